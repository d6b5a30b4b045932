"""Hand the work over to pip for good.

On POSIX safepip execs ``<python> -m pip <args>``, so that signals, the terminal, prompts
on stdin and the exit code are pip's own. On Windows it runs pip as a child and exits with
its code. The interpreter is exec'd under its own path as ``argv[0]``: a venv's python finds
its environment from how it was started.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, Sequence

#: Variables that would make pip in another environment see or write the wrong place.
#: They are removed only when safepip redirects; a pass-through keeps the environment as is.
REDIRECT_CLEAN = ("PYTHONPATH", "PYTHONHOME", "__PYVENV_LAUNCHER__")


def pip_argv(python: str, args: Sequence[str]) -> list[str]:
    """The command line that runs pip in ``python``'s environment."""
    return [python, "-m", "pip", *args]


def child_environ(environ: Mapping[str, str], changes: Mapping[str, str | None], redirected: bool) -> dict[str, str]:
    """pip's environment: the caller's, cleaned for a redirect, with ``changes`` applied."""
    env = dict(environ)
    if redirected:
        for name in REDIRECT_CLEAN:
            env.pop(name, None)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(argv: Sequence[str], env: Mapping[str, str], *, replace: bool = True, failure_code: int | None = None) -> int:
    """Run ``argv``. With ``replace`` on POSIX this never returns: the process becomes it.

    A program that cannot be started raises :class:`SafepipError` with ``failure_code``
    (default: unavailable, 69).
    """
    from safepip.errors import EX_UNAVAILABLE, SafepipError

    code = EX_UNAVAILABLE if failure_code is None else failure_code
    sys.stdout.flush()
    sys.stderr.flush()
    if replace and os.name == "posix":
        try:
            os.execve(argv[0], list(argv), dict(env))  # noqa: S606 - becoming the program is the point
        except OSError as exc:
            raise SafepipError(f"cannot run {argv[0]}: {exc.strerror}", exit_code=code) from None
    import subprocess

    try:
        return subprocess.call(list(argv), env=dict(env))
    except OSError as exc:
        raise SafepipError(f"cannot run {argv[0]}: {exc.strerror}", exit_code=code) from None
    except KeyboardInterrupt:
        return 130
