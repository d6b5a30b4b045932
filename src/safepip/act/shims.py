"""pip and python on PATH for child processes: tiny ``pip``, ``pip3``, ``pip3.X``, ``python``
and ``python3`` launchers.

Shell functions reach only what is typed in the shell; ``make``, shell scripts and tools
started from it look ``pip`` up on PATH. ``safepip shell-init`` therefore keeps a directory
of launchers (pyenv-style shims) in safepip's data directory and puts it first on PATH;
``safepip self-install --shims`` writes the same launchers into the user's bin directory.

Each launcher carries a mark line. A file without it is someone else's: it is never
overwritten nor removed, only reported. ``pip3.X`` is written for each ``python3.X`` found on
PATH and runs safepip with ``--python python3.X``, as ``pip3.X`` means that Python's pip.
``python`` and ``python3`` run the interpreter of the environment activation would choose in
the working directory (:func:`python_shim_text`), else the name as PATH has it without them.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Mapping

from safepip.facts.interpreter import MARK, is_ours
from safepip.paths import data_dir, replace_file

__all__ = ["MARK", "Outcome", "is_ours", "launcher_text", "python_commands", "python_versions", "refresh", "remove",
           "shim_dir", "wanted"]
_VERSIONED = re.compile(r"^python(3\.\d+)$")


@dataclass
class Outcome:
    """What a refresh did: names written, removed (stale launchers of ours), and left alone
    because another program owns a file of that name.
    """

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


def shim_dir(environ: Mapping[str, str]) -> str:
    """The directory shell-init puts first on PATH."""
    return os.path.join(data_dir(environ), "shims")


def python_versions(environ: Mapping[str, str], skip: tuple[str, ...] = ()) -> list[str]:
    """The ``3.X`` of every ``python3.X`` command on PATH (directories in ``skip`` ignored)."""
    found: set[str] = set()
    ignored = {os.path.realpath(d) for d in skip}
    for entry in environ.get("PATH", os.defpath).split(os.pathsep):
        if not entry or os.path.realpath(entry) in ignored:
            continue
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        for name in names:
            match = _VERSIONED.match(name)
            if match and os.access(os.path.join(entry, name), os.X_OK):
                found.add(match.group(1))
    return sorted(found, key=lambda v: tuple(int(p) for p in v.split(".")))


def python_commands(environ: Mapping[str, str]) -> list[str]:
    """``python``, ``python3`` and ``python3.X``, those of them found on PATH."""
    import shutil

    path = environ.get("PATH", os.defpath)
    names = ["python", "python3", *(f"python{v}" for v in python_versions(environ))]
    return [n for n in names if shutil.which(n, path=path)]


def launcher_text(exe: str, python: str | None = None) -> str:
    """The launcher running safepip as ``exe`` (with ``--python python`` for ``pip3.X``)."""
    extra = f" --python {shlex.quote(python)}" if python else ""
    return (
        "#!/bin/sh\n"
        f"{MARK}\n"
        f"exe={shlex.quote(exe)}\n"
        'case $exe in /*) [ -x "$exe" ] || {\n'
        '  echo "safepip: error: $0 runs $exe, which is gone; run safepip shell-init (or self-install --shims) again" >&2\n'
        "  exit 127; } ;;\n"
        "esac\n"
        f'exec "$exe"{extra} "$@"\n'
    )


#: The interpreter commands the python shims stand in for.
PYTHON_SHIMS = ("python", "python3")
#: What a memo file of the python shims is called, in the directory that mirrors the working directory.
MEMO_NAME = "@{name}"


def memo_root(environ: Mapping[str, str]) -> str:
    """Where the python shims' remembered answers are kept (one file per directory and name)."""
    from safepip.paths import cache_dir

    return os.path.join(cache_dir(environ), "pyshim")


def python_shim_text(exe: str, name: str, root: str) -> str:
    """The ``python``/``python3`` shim: the interpreter of the environment activation would
    choose in the working directory, else ``name`` as PATH has it without the shims.

    The decision is safepip's (:mod:`safepip.commands.pyshim`, the slow path), remembered
    per directory as a file of tests (:mod:`safepip.remembered.pythons`) that the shim reads when it is
    its user's own: every test holds, and the remembered interpreter runs with no other
    process started. Only shell variables are set (nothing the interpreter sees).
    ``-m pip``/``-m pip3`` first on the command line runs safepip with the rest.
    """
    memo = shlex.quote(root) + '"$PWD"' + shlex.quote("/" + MEMO_NAME.format(name=name))
    run = shlex.join(runner(exe))
    return (
        "#!/bin/sh\n"
        f"{MARK}\n"
        f"# {name}: the environment's interpreter where safepip would use one (safepip which env),\n"
        f"# else {name} as PATH has it without safepip's shims; `{name} -m pip` runs safepip.\n"
        f"_safepip_exe={shlex.quote(exe)}\n"
        "_safepip_py= _safepip_ok=\n"
        "case ${PWD-} in /*)\n"
        f"  _safepip_memo={memo}\n"
        '  if [ -f "$_safepip_memo" ] && [ -O "$_safepip_memo" ] && [ ! -L "$_safepip_memo" ]; then\n'
        '    . "$_safepip_memo"\n'
        "  fi ;;\n"
        "esac\n"
        'if [ -n "$_safepip_ok" ]; then\n'
        '  if [ -z "$_safepip_py" ]; then\n'
        f'    echo "{name}: command not found" >&2\n'
        "    exit 127\n"
        "  fi\n"
        "  case ${1-} in\n"
        f'    -mpip|-mpip3) shift; exec {run} "$@" ;;\n'
        f'    -m) case ${{2-}} in pip|pip3) shift 2; exec {run} "$@" ;; esac ;;\n'
        "  esac\n"
        '  exec "$_safepip_py" "$@"\n'
        "fi\n"
        'case $_safepip_exe in /*) [ -x "$_safepip_exe" ] || {\n'
        '  echo "safepip: error: $0 runs $_safepip_exe, which is gone; run safepip shell-init (or self-install --shims) again" >&2\n'
        "  exit 127; } ;;\n"
        "esac\n"
        f'exec {run} __shim {shlex.quote(name)} {shlex.quote(root)} "${{PWD-}}" "$@"\n'
    )


def runner(exe: str) -> list[str]:
    """How a python shim starts safepip: ``exe`` itself, or, when ``exe`` finds its
    interpreter on PATH (``#!/usr/bin/env python3``: an executable safepip.pyz, a clone's
    bin/safepip), the interpreter running now with ``exe``: ``python3`` on PATH would be the
    shim itself, which would start safepip again, and again.
    """
    import sys

    try:
        with open(exe, "rb") as handle:
            first = handle.readline(256)
    except OSError:
        return [exe]
    interpreter = first[2:].split() if first.startswith(b"#!") else []
    if interpreter and os.path.isabs(interpreter[0]) and os.path.basename(interpreter[0]) != b"env":
        return [exe]
    if not first.startswith(b"#!") and not exe.endswith(".pyz"):
        return [exe]  # a binary, or a script the shell runs
    return [sys.executable, exe] if sys.executable else [exe]


def wanted(exe: str, versions: list[str], memo: str | None = None) -> dict[str, str]:
    """name -> launcher text, for ``pip``, ``pip3`` and one ``pip3.X`` per version; with
    ``memo`` (the python shims' memo root), ``python`` and ``python3`` too.
    """
    texts = {"pip": launcher_text(exe), "pip3": launcher_text(exe)}
    for version in versions:
        texts[f"pip{version}"] = launcher_text(exe, f"python{version}")
    if memo is not None:
        for name in PYTHON_SHIMS:
            texts[name] = python_shim_text(exe, name, memo)
    return texts


def refresh(directory: str, texts: Mapping[str, str], *, prune: bool = True) -> Outcome:
    """Make ``directory`` hold exactly ``texts`` among safepip's launchers.

    A launcher whose text is already right is not rewritten (no change on every new shell);
    others are replaced atomically. With ``prune``, launchers of ours not in ``texts``
    (a Python version that went away) are removed. Files not written by safepip stay as they are.
    """
    outcome = Outcome()
    os.makedirs(directory, exist_ok=True)
    for name, text in sorted(texts.items()):
        path = os.path.join(directory, name)
        if os.path.lexists(path) and not is_ours(path):
            outcome.foreign.append(name)
            continue
        if read_text(path) == text:
            continue
        # A launcher: executable by everyone, like any command. The temporary name is hidden
        # (never taken for a launcher of ours while it is written).
        tmp = os.path.join(directory, f".{name}.{os.getpid()}.tmp")
        replace_file(path, text.encode("utf-8"), mode=0o755, exact_mode=True, tmp=tmp)
        outcome.written.append(name)
    if prune:
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if _shim_name(name) and name not in texts and not os.path.islink(path) and is_ours(path):
                os.unlink(path)
                outcome.removed.append(name)
    return outcome


def remove(directory: str) -> list[str]:
    """Remove safepip's launchers from ``directory`` (nothing else); return their names."""
    removed: list[str] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return removed
    for name in names:
        path = os.path.join(directory, name)
        if _shim_name(name) and not os.path.islink(path) and is_ours(path):
            os.unlink(path)
            removed.append(name)
    return removed


def _shim_name(name: str) -> bool:
    """Whether ``name`` is one safepip's launchers may have (``pip*``, ``python``, ``python3``)."""
    return name.startswith("pip") or name in PYTHON_SHIMS


def read_text(path: str) -> str | None:
    """A file's text (None: it cannot be read, or is not UTF-8): what a launcher or an rc file holds."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None
