"""Handing the process over to another program: the one exec and the one child environment.

Standard library only: the front door (:mod:`safepip.front`), a remembered route
(:mod:`safepip.remembered.store`) and the full path's runner (:mod:`safepip.runner`) all hand over
to pip here, so that pip starts the same way whichever of them decided.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping, Sequence

#: Variables that would make pip in another environment see or write the wrong place.
#: They are removed only when safepip redirects; a pass-through keeps the environment as is.
REDIRECT_CLEAN = ("PYTHONPATH", "PYTHONHOME", "__PYVENV_LAUNCHER__")

#: Signals Python ignores for itself (a write to a closed pipe raises instead of killing it):
#: an ignored signal stays ignored through exec, so ``safepip run yes | head -1`` would have
#: made ``yes`` fail with "Broken pipe" where the shell's own ``yes | head -1`` ends quietly.
#: subprocess puts them back in every child (``restore_signals``); exec must do the same.
_PYTHON_IGNORES = ("SIGPIPE", "SIGXFSZ")


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


def become(argv: Sequence[str], env: Mapping[str, str]) -> None:
    """Become ``argv`` (``os.execve``): returns only by raising OSError, with safepip's
    signal handling as it was. An interpreter is exec'd under its own path as ``argv[0]``:
    a venv's python finds its environment from how it was started.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    restored = _default_signals()
    try:
        os.execve(argv[0], list(argv), dict(env))  # noqa: S606 - becoming the program is the point
    except BaseException:
        _ignore_signals(restored)  # still safepip: a closed pipe is an error to report, not death
        raise


def _default_signals() -> list[int]:
    # The C module: ``signal`` wraps it in enums (``import enum``: a few ms of a path that
    # costs one interpreter start).
    import _signal as signal  # type: ignore[import-not-found]

    restored = []
    for name in _PYTHON_IGNORES:
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) == signal.SIG_IGN:
            signal.signal(number, signal.SIG_DFL)
            restored.append(number)
    return restored


def _ignore_signals(numbers: list[int]) -> None:
    import _signal as signal

    for number in numbers:
        signal.signal(number, signal.SIG_IGN)
