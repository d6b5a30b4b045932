"""The shape of the source tree (README, Development): no import circles, even through
imports made inside functions or for the type checker; facts import no rule of the plan;
no module much over 300 lines but the generated option table.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
GENERATED = {"safepip.facts._pipoptions"}
MAX_LINES = 310


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / "safepip").rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path, known: set[str]) -> set[str]:
    """Every safepip module ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(n for n in names if n in known)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, set(known)) - {name} for name, path in known.items()}


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_facts_import_no_rule_of_the_plan() -> None:
    """Facts read and never decide: no facts module imports the plan's rules or a verb.
    ``facts.gather`` alone imports ``decide``, for ``Context.plan()`` and ``settle``.
    """
    for name, deps in graph().items():
        if not name.startswith("safepip.facts."):
            continue
        rules = {d for d in deps if d.startswith(("safepip.decide_", "safepip.commands"))}
        assert not rules, f"{name} imports {sorted(rules)}"
        if name != "safepip.facts.gather":
            assert not {d for d in deps if d == "safepip.decide" or d.startswith("safepip.decide.")}, name


def test_no_module_is_much_over_300_lines() -> None:
    long = {name: n for name, path in modules().items()
            if name not in GENERATED and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
