"""Every cross-reference resolves: the ``:mod:``, ``:func:``, ``:class:`` (and ``:meth:``,
``:data:``, ``:attr:``, ``:exc:``) roles in safepip's docstrings, and in README.md and docs/*.md
the roles, the ``safepip.x.y`` names and the source and test paths they quote. Read from the
source (nothing is imported): a module moved or renamed without its references fails here.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from typing import Iterator

from helpers import ROOT, safepip_modules

SRC = ROOT / "src"
ROLE = re.compile(r":(?:mod|func|class|meth|data|attr|exc|obj):`~?([\w.]+?)(?:\(\))?`")
#: In the Markdown files: a quoted dotted name of safepip's, and a quoted or linked path of a
#: Python file of this repository (a package folder's, ``act/run.py``, or from the root).
DOTTED = re.compile(r"(?<!:)`(safepip(?:\.(?!pyz`)\w+)+)(?:\(\))?`")
PATH = re.compile(r"(?:^|(?<=[\s`(]))((?:src|tests|tools|benchmarks|safepip|act|commands|facts|fastpath|remembered|venv)"
                  r"(?:/[\w.-]+)*/[\w.-]+\.py)\b")


MODULES = safepip_modules()
_TREES: dict[str, ast.Module] = {}


def tree(module: str) -> ast.Module:
    if module not in _TREES:
        _TREES[module] = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return _TREES[module]


def defined(body: list[ast.stmt]) -> dict[str, ast.AST]:
    """The names a module or class body defines (imports included: a module re-exports them)."""
    names: dict[str, ast.AST] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names[leaf.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, (ast.If, ast.Try)):  # TYPE_CHECKING blocks, fallbacks
            names.update(defined([*node.body, *getattr(node, "orelse", [])]))
    return names


def members(node: ast.AST) -> set[str]:
    """A class's names: its body's, and the attributes its methods set on ``self``."""
    if not isinstance(node, ast.ClassDef):
        return set()
    found = set(defined(node.body))
    for leaf in ast.walk(node):
        if isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name) and leaf.value.id == "self":
            found.add(leaf.attr)
    return found


def resolves(target: str, here: str | None = None) -> bool:
    """Whether ``target`` names a safepip module or something defined in one; a short name is
    looked up in the module ``here`` (anywhere in it: a method named from its class's module).
    """
    parts = target.split(".")
    if parts[0] != "safepip":
        if here is None:
            return True  # Markdown names only safepip's own things by their full name
        names = {n.name for n in ast.walk(tree(here)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                         ast.ClassDef))}
        imported = {(a.asname or a.name) for n in ast.walk(tree(here)) if isinstance(n, (ast.Import, ast.ImportFrom))
                    for a in n.names}
        attributes = set().union(*(members(n) for n in ast.walk(tree(here)) if isinstance(n, ast.ClassDef)))
        if parts[0] in names | imported | attributes or parts[0] in defined(tree(here).body):
            return True
        return importlib.util.find_spec(parts[0]) is not None  # the standard library's (os.execv...)
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if module in MODULES:
            break
    else:
        return False
    rest = parts[cut:]
    if not rest:
        return True
    found = defined(tree(module).body)
    if rest[0] not in found:
        return False
    if len(rest) == 1:
        return True
    return len(rest) == 2 and rest[1] in members(found[rest[0]])


def docstrings() -> Iterator[tuple[str, str]]:
    """(module, docstring) for every module, class and function docstring of safepip."""
    for module in MODULES:
        for node in ast.walk(tree(module)):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                text = ast.get_docstring(node, clean=False)
                if text:
                    yield module, text


def comments(module: str) -> Iterator[str]:
    """The ``#:`` comments that document a module's names (Sphinx's form)."""
    for line in MODULES[module].read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#:"):
            yield line


def broken_in_source() -> list[str]:
    broken = []
    for module, text in docstrings():
        broken += [f"{module}: {t}" for t in ROLE.findall(text) if not resolves(t, module)]
    for module in MODULES:
        for line in comments(module):
            broken += [f"{module}: {t}" for t in ROLE.findall(line) if not resolves(t, module)]
    return broken


def markdown() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def path_exists(quoted: str) -> bool:
    bases = [ROOT, SRC, SRC / "safepip"]
    return any((base / quoted).is_file() for base in bases)


def broken_in_markdown(files: list[Path]) -> list[str]:
    broken = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        names = [*ROLE.findall(text), *DOTTED.findall(text)]
        broken += [f"{path.name}: {n}" for n in names if not resolves(n)]
        broken += [f"{path.name}: {p}" for p in PATH.findall(text) if not path_exists(p)]
    return broken


def test_every_reference_in_a_docstring_resolves() -> None:
    assert broken_in_source() == []


def test_every_module_path_and_name_the_docs_quote_exists() -> None:
    assert broken_in_markdown(markdown()) == []


def test_a_stale_reference_is_found(tmp_path: Path) -> None:
    assert not resolves("safepip.context.gather")  # a module that is gone
    assert not resolves("safepip.pipeline.no_such_function")
    assert not resolves("safepip.venv.lock.FileLock.no_such_method")
    assert resolves("safepip.venv.lock.FileLock.inherit")
    assert resolves("safepip.venv")
    doc = tmp_path / "doc.md"
    doc.write_text("See `safepip.venv.layout.bin_python`, `src/safepip/cli.py` and `act/gone.py`, "
                   ":func:`safepip.gone`.\n", encoding="utf-8")
    assert broken_in_markdown([doc]) == ["doc.md: safepip.gone", "doc.md: act/gone.py"]
