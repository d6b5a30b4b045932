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

* **A command line never seen, of a kind decided before** (:mod:`safepip.remembered.decision`):
  sent where the full path sent the last one of its kind.

* **``safepip run CMD`` with a remembered environment**: CMD is exec'd at once.

* **``safepip which env --for-activation``** (shell-init's prompt hook) with a remembered
  choice: printed, and remembered for the hook of this directory.

Decisions made in a project answer in all its directories (:func:`safepip.facts.walkup.anchor`).
"""

from __future__ import annotations

import os
import sys

from safepip.remembered.store import replay

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping, Sequence

    from safepip.paths import Dirs
    from safepip.remembered.store import Lookup

_WINDOWS = sys.platform == "win32"
#: safepip's variables that cannot change what the full path does in an active venv (shell-init's
#: activation, once it is not the active venv, and its pip function's mark only shape a notice;
#: SAFEPIP_SHELL_INIT, set in every shell that ran shell-init, only tells doctor so).
_INERT = frozenset({"SAFEPIP_NO_FASTPATH", "SAFEPIP_CACHE_DIR", "SAFEPIP_CONFIG_DIR", "SAFEPIP_DATA_DIR",
                    "SAFEPIP_BIN_DIR", "SAFEPIP_NO_PROBE_CACHE", "SAFEPIP_ALLOW_ROOT", "SAFEPIP_ACTIVATED",
                    "SAFEPIP_SHELL_ACTIVATES", "SAFEPIP_QUIET_ACTIVATE", "SAFEPIP_SHELL_INIT"})


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
    from safepip.venv.layout import bin_python, has_pip, venv_of  # here: the prompt hook's answer needs none

    python = bin_python(env_dir)
    if not (os.access(python, os.X_OK) and venv_of(python) and has_pip(env_dir)):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        from safepip.rootrule import foreign_to_root

        try:
            if foreign_to_root(0, os.stat(env_dir).st_uid):
                return  # root in another user's environment: the full path applies the root rule
        except OSError:
            return
    try:
        os.getcwd()
    except OSError:
        return  # the full path says what is wrong
    from safepip.runner import become, pip_argv  # here: a replayed answer never needs pip_argv

    try:
        become(pip_argv(python, argv), os.environ)  # the caller's, as it came
    except OSError:
        return  # the full path reports it


def run_answer(args: Sequence[str], environ: Mapping[str, str], dirs: Dirs | None = None) -> Lookup | None:
    """``safepip run CMD``: exec CMD at once in the environment remembered for this
    directory (see :mod:`safepip.commands.run`); return (doing nothing) otherwise, with what
    the lookup worked out (None: nothing) for the full path to remember with.
    ``dirs``: the call's (the full path's session keeps what they worked out).
    """
    if _WINDOWS or not args or args[0].startswith("-"):
        return None  # run's own options, or none: the full path reads them
    from safepip.remembered.store import RUN, look_up_decision

    found, looked = look_up_decision((RUN,), environ, dirs)
    if found is None or found[0][3] is None:
        return looked
    bin_dir, env_dir = found[0][3]
    env = dict(environ)
    entries = [e for e in env.get("PATH", os.defpath).split(os.pathsep) if e and e != bin_dir]
    env["PATH"] = os.pathsep.join([bin_dir, *entries])
    if env_dir is not None:
        env["VIRTUAL_ENV"] = env_dir
    env.pop("PYTHONHOME", None)
    from safepip.runner import become, find_command

    found_exe = find_command(args[0], env["PATH"])
    if found_exe is None:
        return None  # the full path says it is not found, and where it looked
    exe = os.path.abspath(found_exe)

    try:
        become([exe, *args[1:]], env)
    except OSError:
        return None  # the full path reports it
    return None


def activation_answer(args: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """``safepip which env --for-activation`` (bash's and zsh's hook): print the environment
    activation chose, as remembered for this directory or its project (see
    :func:`safepip.commands.activation_env.choose`), and remember it for the hook here as
    :func:`safepip.commands.shellhooks.remember` does; None: the full path answers.
    """
    if _WINDOWS or list(args) != ["env", "--for-activation"]:
        return None
    from safepip.remembered.store import ACTIVATE, recall_decision

    found = recall_decision((ACTIVATE,), environ)
    if found is None or found[0][3] is None:
        return None
    (checks, _, _, (env_dir,)), below = found
    if env_dir is not None:
        out = sys.stdout.buffer
        out.write(os.fsencode(env_dir) + b"\n")
        try:
            out.flush()
        except OSError:
            return None  # the full path reports it
    from safepip.paths import cache_dir
    from safepip.remembered import pythons

    path_dirs = [d for d in os.environ.get("PATH", os.defpath).split(os.pathsep) if d]
    paths = [path for path, owner_only, _ in checks if not owner_only] + list(below) + path_dirs
    owned = [path for path, owner_only, _ in checks if owner_only] + list(below)
    try:
        root = os.path.join(cache_dir(os.environ), "pyshim")  # act.shims.memo_root
        known = {path: sig for path, _, sig in checks}  # checked a moment ago by the recall
        pythons.remember(root, os.environ.get("PWD", ""), "activate", os.getcwd(), os.environ, paths, owned, env_dir,
                         known=known)
    except (OSError, ValueError):
        pass  # best effort: the hook asks again next time
    return 0


def answer(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """The front door: an exit code when answered here, None for the full path."""
    code = replay(argv, environ)
    if code is not None:
        return code
    from safepip.remembered.decision import decided  # here: a replayed answer never needs it

    code = decided(argv, environ)
    if code is not None:
        return code
    passthrough(argv, environ)
    return None
