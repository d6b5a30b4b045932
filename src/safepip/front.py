"""safepip's front door: the answers that need nothing but ``os``, ``sys`` and ``marshal``.

safepip stands in front of every pip call, so the commonest calls must cost next to
nothing. Two are answered here, before any other module is imported:

* **An active virtual environment** (``VIRTUAL_ENV`` naming a venv that has pip): every pip
  command passes through unchanged, which is ``plan()``'s rule for a target that is a
  virtual environment. safepip execs the environment's pip at once. Anything this module is
  not sure of (``--python``, ``--version``, help, safepip's own flags and variables, an
  ``install`` the fast path may answer) takes the full path, which decides the same way
  (the front-door tests check that they agree).

* **A no-op install answered before** (:mod:`safepip.remembered.store`): replayed while nothing it
  depended on has changed.
"""

from __future__ import annotations

import os
import sys

from safepip.remembered.store import replay
from safepip.venv.layout import bin_python, has_pip, venv_of

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping, Sequence

_WINDOWS = sys.platform == "win32"
#: safepip's variables that cannot change what the full path does in an active venv (shell-init's
#: activation, once it is not the active venv, and its pip function's mark only shape a notice).
_INERT = frozenset({"SAFEPIP_NO_FASTPATH", "SAFEPIP_CACHE_DIR", "SAFEPIP_CONFIG_DIR", "SAFEPIP_DATA_DIR",
                    "SAFEPIP_BIN_DIR", "SAFEPIP_NO_PROBE_CACHE", "SAFEPIP_ALLOW_ROOT", "SAFEPIP_ACTIVATED",
                    "SAFEPIP_SHELL_ACTIVATES", "SAFEPIP_QUIET_ACTIVATE"})


def _unsure(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether the full path must look at this call (it may do more than pass through)."""
    if any(k.startswith("SAFEPIP_") and k not in _INERT for k in environ) or "CONDA_PREFIX" in environ:
        return True
    fast = environ.get("SAFEPIP_NO_FASTPATH") != "1"
    for arg in argv:
        if arg == "--":
            break
        if arg.startswith("--"):
            name = arg.split("=", 1)[0]
            # --python (and its abbreviations) picks another target; --version and --help
            # print safepip's part too; --safepip-* are safepip's own flags.
            if name.startswith(("--py", "--safepip")) or (len(name) > 5 and "--version".startswith(name)):
                return True
            if len(name) > 2 and "--help".startswith(name):
                return True
        elif (arg.startswith("-") and len(arg) > 1 and ("h" in arg or "V" in arg)) or arg == "help" or (fast and arg == "install"):
            return True
    return False


def passthrough(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    """Exec the active virtual environment's pip with ``argv`` when that is certainly what
    the full path would do; return (doing nothing) otherwise.
    """
    env_dir = environ.get("VIRTUAL_ENV")
    if not env_dir or _WINDOWS or _unsure(argv, environ):
        return
    python = bin_python(env_dir)
    if not (os.access(python, os.X_OK) and venv_of(python) and has_pip(env_dir)):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        try:
            if os.stat(env_dir).st_uid != 0:
                return  # root in another user's environment: the full path applies the sudo rule
        except OSError:
            return
    try:
        os.getcwd()
    except OSError:
        return  # the full path says what is wrong
    from safepip.launch import pip_argv  # here: a replayed answer never needs it

    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(python, pip_argv(python, argv))  # noqa: S606 - becoming pip is the point
    except OSError:
        return  # the full path reports it


def answer(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """The front door: an exit code when answered here, None for the full path."""
    code = replay(argv, environ)
    if code is not None:
        return code
    passthrough(argv, environ)
    return None
