"""``safepip __shim NAME MEMO-ROOT PWD [ARGS...]``: the python shims' slow path (not typed by people).

The ``python``/``python3`` shims (:func:`safepip.act.shims.python_shim_text`) run this when
they have no remembered answer for the working directory that still holds. It decides
which interpreter ``NAME`` means here: the environment activation would choose
(:func:`safepip.commands.activation_env.choose`), else ``NAME`` on PATH without the shims;
remembers the answer for the shim (:mod:`safepip.remembered.pythons`); and becomes that interpreter
with ``ARGS``, the environment left exactly as it was (no ``PYTHON*`` variable, no
``VIRTUAL_ENV``: an interpreter finds its environment from its own path). ``-m pip`` (or
``-m pip3``) first runs safepip with the rest instead. ``python`` where PATH has none (Debian,
Ubuntu) means ``python3``; no such command at all: the shell's message and 127.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

from safepip.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.session import Session

#: The shell's exit code for a command it cannot find, and for one it cannot run.
NOT_FOUND = 127
CANNOT_RUN = 126


def pip_args(args: list[str]) -> list[str] | None:
    """safepip's arguments when ``args`` start with ``-m pip`` (or ``-m pip3``), else None."""
    if args[:1] in (["-mpip"], ["-mpip3"]):
        return args[1:]
    if len(args) >= 2 and args[0] == "-m" and args[1] in ("pip", "pip3"):
        return args[2:]
    return None


def main(args: list[str], session: Session) -> int:
    """Decide, remember, and exec the interpreter (or safepip, for ``-m pip``)."""
    environ = session.environ
    from safepip.act.shims import PYTHON_SHIMS

    if len(args) < 3 or args[0] not in PYTHON_SHIMS:
        raise UsageError("__shim is run by safepip's python shims: __shim NAME MEMO-ROOT PWD [ARGS...]")
    name, root, key, rest = args[0], args[1], args[2], args[3:]
    python = _decide(name, root, key, environ)
    if python is None:
        sys.stderr.write(f"{name}: command not found\n")
        return NOT_FOUND
    forwarded = pip_args(rest)
    if forwarded is not None:
        from safepip.cli import main as safepip

        return safepip(forwarded)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(python, [python, *rest])  # noqa: S606 - becoming the interpreter is the point
    except OSError as exc:
        sys.stderr.write(f"{name}: {python}: {exc.strerror}\n")
    return CANNOT_RUN


def _decide(name: str, root: str, key: str, environ: Mapping[str, str]) -> str | None:
    """The interpreter ``name`` means here, remembered for the shim when that is possible."""
    from safepip.commands.activation_env import Activation, choose
    from safepip.errors import SafepipError
    from safepip.facts.interpreter import without_shims
    from safepip.session import say
    from safepip.venv.layout import bin_python

    remember = True
    try:
        chosen = choose(environ)
    except SafepipError as exc:  # a broken configuration file: said, never remembered
        say(f"{exc}; {name} runs as PATH has it", "warning", environ)
        chosen, remember = Activation(None), False
    python = bin_python(chosen.env_dir) if chosen.env_dir is not None else without_shims(name, environ)
    if python is None and name == "python":
        # Debian and Ubuntu have no `python` (without python-is-python3), but this launcher is
        # on PATH: a tool that looks `python` up before python3 finds it (Poetry asks it for
        # sys.executable) and stops at a 127 where, without the launcher, it went on to
        # python3. So `python` means what `python3` means here, as it does where an
        # environment is used.
        python = without_shims("python3", environ)
    try:
        cwd = os.getcwd()
    except OSError:
        remember = False
        cwd = ""
    if remember:
        from safepip.remembered.pythons import remember as write

        path_dirs = [d for d in environ.get("PATH", os.defpath).split(os.pathsep) if d]
        paths = [*chosen.reads.paths, *path_dirs, *([python, os.path.realpath(python)] if python else [])]
        # The variables as the shim sees them: safepip's own activation, which the decision
        # looked through (safepip.activated), is part of what must still hold.
        write(root, key, name, cwd, os.environ, paths, chosen.reads.owned, python)
    return python
