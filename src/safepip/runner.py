"""The one runner: every program safepip starts (pip, pipx, a probe, a compiler) starts here.

Three ways: :func:`run` hands over to the program for good (``os.execve`` on POSIX, so that
signals, the terminal, prompts on stdin and the exit code are the program's own; a child
and its exit code on Windows); :func:`call` runs a child and returns its exit code;
:func:`capture` runs a child and returns its output. With ``SAFEPIP_DEBUG=1`` (the session's,
:func:`using`) each command is logged on stderr before it starts. An interpreter is exec'd under its own path as
``argv[0]``: a venv's python finds its environment from how it was started.

The exec itself and the child environment are :mod:`safepip.handoff`'s (the front door
hands over the same way). The runner is injectable (:func:`using`): tests run ``main([...])`` in-process with a
:class:`Runner` that records each argv instead of starting it.
"""

from __future__ import annotations

import os
import sys

from safepip.handoff import become, shown

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    import subprocess
    from types import TracebackType
    from typing import Mapping, Sequence


class Runner:
    """Starts programs for real. Each method receives the argv and environment to use."""

    def exec(self, argv: Sequence[str], env: Mapping[str, str]) -> int:
        """Become ``argv`` (POSIX: never returns); elsewhere run it and return its code."""
        if os.name == "posix":
            become(argv, env)
        return self.call(argv, env)  # pragma: no cover - Windows

    def call(self, argv: Sequence[str], env: Mapping[str, str] | None) -> int:
        """Run ``argv`` as a child with the terminal; return its exit code."""
        import subprocess

        sys.stdout.flush()
        sys.stderr.flush()
        return subprocess.call(list(argv), env=None if env is None else dict(env))

    def capture(
        self, argv: Sequence[str], env: Mapping[str, str] | None, cwd: str | None, timeout: float | None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` with its output captured (decoded as UTF-8, undecodable bytes replaced)."""
        import subprocess

        # With a time limit, in a session of its own (POSIX), so that a timeout kills whatever
        # it started too. Without one, in safepip's process group: what kills safepip (Ctrl-C,
        # a kill of its group) reaches the child as well.
        own_session = os.name == "posix" and timeout is not None
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8", errors="replace", env=None if env is None else dict(env), cwd=cwd,
            start_new_session=own_session,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:  # a timeout, or Ctrl-C (a child in a session of its own never saw it)
            import contextlib
            import signal

            with contextlib.suppress(OSError):
                if own_session:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired, OSError):  # a child that holds the pipes open
                proc.communicate(timeout=5)
            raise
        return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


#: The runner every program starts through, and whether each command is logged first.
_RUNNERS: list[tuple[Runner, bool]] = [(Runner(), False)]


class _Using:
    """:func:`using`'s block (a class, not contextlib's decorator: contextlib, with collections
    and functools, is ms to import, and every call of the full path enters one).
    """

    def __init__(self, runner: Runner | None, debug: bool) -> None:
        self._runner = runner
        self._debug = debug
        self._entry: tuple[Runner, bool] | None = None

    def __enter__(self) -> Runner:
        self._entry = (self._runner or _RUNNERS[-1][0], self._debug)
        _RUNNERS.append(self._entry)
        return self._entry[0]

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._entry is not None:
            _RUNNERS.remove(self._entry)
            self._entry = None


def using(runner: Runner | None, *, debug: bool = False) -> _Using:
    """Start every program through ``runner`` (None: the one in use) within the block, each
    command logged on stderr first when ``debug`` (the session's ``SAFEPIP_DEBUG``).
    """
    return _Using(runner, debug)


def _log(argv: Sequence[str], how: str) -> Runner:
    runner, debug = _RUNNERS[-1]
    if debug:
        import shlex

        sys.stderr.write(f"safepip: debug: {how}: {shlex.join(shown(argv))}\n")
    return runner


def run(argv: Sequence[str], env: Mapping[str, str], *, replace: bool = True, failure_code: int | None = None) -> int:
    """Run ``argv``. With ``replace`` on POSIX this never returns: the process becomes it.

    A program that cannot be started raises :class:`SafepipError` with ``failure_code``
    (default: unavailable, 69).
    """
    from safepip.errors import EX_UNAVAILABLE, SafepipError

    code = EX_UNAVAILABLE if failure_code is None else failure_code
    runner = _log(argv, "exec" if replace else "run")
    try:
        return runner.exec(argv, env) if replace else runner.call(argv, env)
    except OSError as exc:
        raise SafepipError(f"cannot run {argv[0]}: {exc.strerror}", exit_code=code) from None
    except KeyboardInterrupt:
        return 130


def call(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run one part of a multi-part command: its exit code (127 when it cannot start)."""
    from safepip import ui

    try:
        return _log(argv, "run").call(argv, env)
    except OSError as exc:
        ui.say(f"cannot run {argv[0]}: {exc.strerror}", "error", env)
        return 127
    except KeyboardInterrupt:
        return 130


def capture(
    argv: Sequence[str], env: Mapping[str, str] | None = None, *, cwd: str | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with its output captured (text). Raises OSError when it cannot start,
    ``subprocess.TimeoutExpired`` past ``timeout`` seconds.
    """
    return _log(argv, "capture").capture(argv, env, cwd, timeout)
