"""The one runner: every program safepip starts (pip, pipx, a probe, a compiler) starts here,
with its one exec and its one child environment.

Three ways: :func:`run` hands over to the program for good (``os.execve`` on POSIX, so that
signals, the terminal, prompts on stdin and the exit code are the program's own; a child
and its exit code on Windows); :func:`call` runs a child and returns its exit code;
:func:`capture` runs a child and returns its output. With ``SAFEPIP_DEBUG=1`` (the session's,
:func:`using`) each command is logged on stderr before it starts. An interpreter is exec'd under its own path as
``argv[0]``: a venv's python finds its environment from how it was started.

The runner is injectable (:func:`using`): tests run ``main([...])`` in-process with a
:class:`Runner` that records each argv instead of starting it.

**Handing the process over** to pip (or another program): the one exec (:func:`become`), the
one child environment (:func:`child_environ`), and the command line that starts pip or
another module in an interpreter (:func:`pip_argv`, :func:`module_argv`). Standard library
only, and what is heavier (subprocess, safepip's errors and its way to speak) is imported in
the functions that need it: the front door (:mod:`safepip.front`), a remembered route
(:mod:`safepip.remembered.store`) and the full path's runner all hand over to pip here, so
that pip starts the same way whichever of them decided.

**Never from the working directory.** ``python -m pip`` puts the working directory first
on ``sys.path`` and only then looks for pip, so a ``pip/`` or ``pip.py`` in it is what runs,
as the user who typed the command: in ``/tmp``, anyone can leave one there. pip's own
launcher scripts (``bin/pip``) do not put the working directory on ``sys.path``. safepip
runs ``python -c PROGRAM`` instead (:func:`pip_argv`, :func:`module_argv`): ``-c`` puts the
working directory first too (as ``""``), and the program takes that entry off before it
imports anything, then calls what the ``pip`` script calls (``pip._internal.cli.main:main``;
pip before 19.3 through ``runpy``, as ``-m`` does). pip names itself ``python -m pip`` in
its messages for ``-c`` as for ``-m``. It is faster as well: ``-m`` imports ``runpy`` first
(about 6 ms of ``pip --version`` here, docs/performance.md).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    import subprocess
    from types import TracebackType
    from typing import Callable, Mapping, Sequence

    #: How a program that cannot start is said: the session's ``say`` (message, kind, environ).
    Say = Callable[[str, str, Mapping[str, str]], object]


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


#: The runner every program starts through, whether each command is logged first, and how
#: a program that cannot start is said (the session's way to speak; None outside a session).
_RUNNERS: list[tuple[Runner, bool, Say | None]] = [(Runner(), False, None)]


class _Using:
    """:func:`using`'s block (a class, not contextlib's decorator: contextlib, with collections
    and functools, is ms to import, and every call of the full path enters one).
    """

    def __init__(self, runner: Runner | None, debug: bool, say: Say | None) -> None:
        self._runner = runner
        self._debug = debug
        self._say = say
        self._entry: tuple[Runner, bool, Say | None] | None = None

    def __enter__(self) -> Runner:
        self._entry = (self._runner or _RUNNERS[-1][0], self._debug, self._say or _RUNNERS[-1][2])
        _RUNNERS.append(self._entry)
        return self._entry[0]

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._entry is not None:
            _RUNNERS.remove(self._entry)
            self._entry = None


def using(runner: Runner | None, *, debug: bool = False, say: Say | None = None) -> _Using:
    """Start every program through ``runner`` (None: the one in use) within the block, each
    command logged on stderr first when ``debug`` (the session's ``SAFEPIP_DEBUG``), a program
    that cannot start said with ``say`` (the session's :func:`safepip.session.say`, which
    enters this block: the runner, below the session, imports none of it).
    """
    return _Using(runner, debug, say)


def _log(argv: Sequence[str], how: str) -> Runner:
    runner, debug, _ = _RUNNERS[-1]
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
    """Run one part of a multi-part command: its exit code (127 when it cannot start, said
    with the session's way to speak; outside a session, the OSError is raised).
    """
    say = _RUNNERS[-1][2]
    try:
        return _log(argv, "run").call(argv, env)
    except OSError as exc:
        if say is None:  # pragma: no cover - every call of safepip's runs in its session
            raise
        say(f"cannot run {argv[0]}: {exc.strerror}", "error", env)
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


# Handing the process over: the command lines, the child environment, the one exec.

#: The working directory off sys.path, unless PYTHONSAFEPATH (or -P) already left it off.
OFF_PATH = 'import sys\nif sys.path and sys.path[0] == "":\n    del sys.path[0]\n'

PIP_PROGRAM = OFF_PATH + (
    "try:\n"
    "    from pip._internal.cli.main import main\n"
    "except ImportError:\n"
    "    import runpy\n"
    '    runpy.run_module("pip", run_name="__main__", alter_sys=True)\n'
    "else:\n"
    "    sys.exit(main())\n"
)

_MODULE_PROGRAM = OFF_PATH + 'import runpy\nrunpy.run_module(%r, run_name="__main__", alter_sys=True)\n'
_MODULE_HEAD, _MODULE_TAIL = _MODULE_PROGRAM.split("%r")


def pip_argv(python: str, args: Sequence[str]) -> list[str]:
    """The command line that runs pip in ``python``'s environment with ``args``."""
    return [python, "-c", PIP_PROGRAM, *args]


def pip_args(argv: Sequence[str]) -> list[str] | None:
    """pip's arguments when ``argv`` is a :func:`pip_argv` command line, else None."""
    if len(argv) >= 3 and argv[1] == "-c" and argv[2] == PIP_PROGRAM:
        return list(argv[3:])
    return None


def pip_python(argv: Sequence[str]) -> str | None:
    """The interpreter whose environment a :func:`pip_argv` command line works on: its own,
    or the one named by ``--python`` before pip's command (safepip's own pip driving an
    environment without one). None: ``argv`` is not such a command line (pip run from a
    wheel).
    """
    args = pip_args(argv)
    if args is None:
        return None
    return args[1] if args[:1] == ["--python"] and len(args) > 1 else argv[0]


def module_argv(python: str, module: str, args: Sequence[str] = ()) -> list[str]:
    """``python -m MODULE args`` without the working directory on ``sys.path``."""
    return [python, "-c", _MODULE_PROGRAM % module, *args]


def shown(argv: Sequence[str]) -> list[str]:
    """``argv`` as people read it: a pip or module program is shown as ``-m NAME``."""
    args = pip_args(argv)
    if args is not None:
        return [argv[0], "-m", "pip", *args]
    if len(argv) >= 3 and argv[1] == "-c" and argv[2].startswith(_MODULE_HEAD) and argv[2].endswith(_MODULE_TAIL):
        name = argv[2][len(_MODULE_HEAD):-len(_MODULE_TAIL)][1:-1]  # the module's repr, less its quotes
        return [argv[0], "-m", name, *argv[3:]]
    return list(argv)


#: Variables that would make pip in another environment see or write the wrong place.
#: They are removed only when safepip redirects; a pass-through keeps the environment as is.
REDIRECT_CLEAN = ("PYTHONPATH", "PYTHONHOME", "__PYVENV_LAUNCHER__")

#: Signals Python ignores for itself (a write to a closed pipe raises instead of killing it):
#: an ignored signal stays ignored through exec, so ``safepip run yes | head -1`` would have
#: made ``yes`` fail with "Broken pipe" where the shell's own ``yes | head -1`` ends quietly.
#: subprocess puts them back in every child (``restore_signals``); exec must do the same.
_PYTHON_IGNORES = ("SIGPIPE", "SIGXFSZ")


def find_command(name: str, path: str) -> str | None:
    """The program ``name`` runs with ``path`` as ``PATH``, as ``shutil.which(name, path=path)``
    finds it (None: none), without shutil's imports (``safepip run`` costs one interpreter
    start over the command: :mod:`safepip.front` and :mod:`safepip.commands.run` both ask here).
    """
    if sys.platform == "win32":  # pragma: no cover - PATHEXT and the current directory: shutil's rules
        import shutil

        return shutil.which(name, path=path)
    where = [name] if os.path.dirname(name) else [os.path.join(d, name) for d in path.split(os.pathsep)] if path else []
    return next((w for w in where if os.access(w, os.F_OK | os.X_OK) and not os.path.isdir(w)), None)


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
