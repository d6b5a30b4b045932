"""Which interpreter is the target (pip's own order: ``--python``, then safepip's and the
active environment's variables, then the configuration, then PATH), and what choosing it read.
The search on PATH steps over safepip's own launchers, which carry :data:`MARK`
(:mod:`safepip.act.shims` writes them, and prunes only files that carry it).
"""

from __future__ import annotations

import os
import sys

from safepip.errors import InterpreterError
from safepip.facts.reads import Reads, ancestors
from safepip.venv.layout import bin_python

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping

    from safepip.facts.interpreter import Interp

_WINDOWS = sys.platform == "win32"
MARK = "# safepip shim: a pip launcher made and kept current by safepip (shell-init, self-install --shims)."


def is_ours(path: str) -> bool:
    """Whether ``path`` is a launcher safepip wrote (its second line is the mark)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if not head.startswith(b"#!"):
        return False  # an interpreter's binary, or anyone's script: not ours
    return MARK in head.decode("utf-8", "replace").splitlines()[1:2]


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _which(name: str, path_var: str, skip: str | None = None) -> str | None:
    """The first executable ``name`` on ``path_var`` (``skip``: a directory passed over).

    safepip's own ``python``/``python3`` shims are passed over too: each runs another
    interpreter depending on the directory, so the name means what it would without them.
    """
    names = [name]
    if _WINDOWS and not name.lower().endswith(".exe"):
        names.append(name + ".exe")
    for entry in path_var.split(os.pathsep):
        if not entry:
            continue
        if skip and os.path.realpath(entry) == skip:
            continue
        for candidate in names:
            full = os.path.join(entry, candidate)
            if _is_executable(full) and not is_ours(full):
                return os.path.abspath(full)
    return None


def without_shims(name: str, environ: Mapping[str, str]) -> str | None:
    """What the command ``name`` is on PATH without safepip's shims (None: nothing)."""
    return _which(name, environ.get("PATH", os.defpath))


def resolve_spec(spec: str, source: str, environ: Mapping[str, str]) -> str:
    """Turn a user's interpreter spec (a path, a command name, or a venv directory) into a path."""
    expanded = os.path.expanduser(spec)
    if os.path.isdir(expanded):
        inner = bin_python(expanded)
        if _is_executable(inner):
            return os.path.abspath(inner)
        raise InterpreterError(
            f"{source} {spec}: a directory without an interpreter in it "
            f"(looked for {inner}); name a Python executable or a virtual environment"
        )
    if os.sep in expanded or (os.altsep and os.altsep in expanded) or os.path.exists(expanded):
        if _is_executable(expanded):
            if is_ours(expanded):  # safepip's python3 launcher: the python3 it stands in front of
                behind = _which(os.path.basename(expanded), environ.get("PATH", os.defpath))
                if behind is not None:
                    return behind
            return os.path.abspath(expanded)
        if os.path.exists(expanded):
            raise InterpreterError(f"{source} {spec}: not an executable file")
        raise InterpreterError(f"{source} {spec}: no such file")
    found = _which(expanded, environ.get("PATH", os.defpath))
    if found is None:
        raise InterpreterError(f"{source} {spec}: no such command on PATH")
    return found


def _own_scripts_dir() -> str | None:
    """safepip's own environment's bin directory, if safepip runs inside a venv."""
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        return os.path.realpath(os.path.dirname(bin_python(sys.prefix)))
    return None


def find_target(
    cli_python: str | None,
    environ: Mapping[str, str],
    config_python: tuple[str, str] | None = None,
) -> tuple[str, str]:
    """Return (interpreter path, how it was chosen). ``config_python`` is (value, its layer)."""
    if cli_python:
        return resolve_spec(cli_python, "--python", environ), "--python"
    if environ.get("SAFEPIP_PYTHON"):
        return resolve_spec(environ["SAFEPIP_PYTHON"], "SAFEPIP_PYTHON", environ), "SAFEPIP_PYTHON"
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        if environ.get(variable):
            candidate = bin_python(environ[variable])
            if _is_executable(candidate):
                return candidate, variable
            raise InterpreterError(
                f"{variable}={environ[variable]} names an environment without a working "
                f"interpreter ({candidate}); deactivate it or repair it"
            )
    if config_python:
        value, layer = config_python
        return resolve_spec(value, f"python (from {layer})", environ), f"python (from {layer})"
    path_var = environ.get("PATH", os.defpath)
    for name in ("python3", "python"):
        found = _which(name, path_var, skip=_own_scripts_dir())
        if found:
            return found, "PATH"
    raise InterpreterError(
        "no python3 or python on PATH; name one with --python or SAFEPIP_PYTHON"
    )


def target_reads(interp: Interp, cwd: str, environ: Mapping[str, str]) -> Reads:
    """What choosing and judging ``interp`` read: its file, what selects a pyenv shim's
    interpreter, every PATH directory when it was found on PATH (a new python3 earlier on
    PATH would change the target), its EXTERNALLY-MANAGED marker.
    """
    paths = [interp.path, *pyenv_selection(interp.path, cwd, environ)]
    if interp.how == "PATH":
        paths.extend(os.path.abspath(p) for p in environ.get("PATH", "").split(os.pathsep) if p)
    if interp.stdlib:
        paths.append(os.path.join(interp.stdlib, "EXTERNALLY-MANAGED"))
    return Reads(tuple(paths))


def pyenv_selection(python: str, cwd: str, environ: Mapping[str, str]) -> list[str]:
    """The files that choose what a pyenv shim runs (``.python-version`` from ``cwd`` up,
    pyenv's global ``version`` file), when ``python`` is one (``PYENV_VERSION`` is in the
    memo's key). Empty for any other interpreter.
    """
    if os.path.basename(os.path.dirname(python)) != "shims":
        return []
    root = environ.get("PYENV_ROOT") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".pyenv")
    base = environ.get("PYENV_DIR") or cwd
    return [*(os.path.join(d, ".python-version") for d in ancestors(base)), os.path.join(root, "version")]
