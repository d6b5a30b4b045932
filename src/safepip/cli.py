"""safepip's command line: its own verbs, or a pip command line to send where it belongs.

``main`` is the one place that turns a :class:`SafepipError` into its message and exit
code; ``SAFEPIP_DEBUG=1`` shows the traceback as well.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Callable, Mapping, Sequence

    from safepip.paths import Dirs
    from safepip.remembered.store import Lookup
    from safepip.runner import Runner
    from safepip.session import Session

#: safepip's own verbs, none of them a pip command: name -> "module:function".
VERBS: dict[str, str] = {
    "run": "commands.run:main",
    "which": "commands.which:main",
    "doctor": "commands.doctor:main",
    "explain": "commands.explain:main",
    "shell-init": "commands.shellinit:main",
    "self-install": "commands.selfinstall:self_install",
    "self-uninstall": "commands.selfinstall:self_uninstall",
    "audit": "commands.audit:main",
    "repair": "commands.repair:main",
    "trust": "commands.trust:main",
    # The python shims' slow path (not for people: the shims run it with their memo's place).
    "__shim": "commands.pyshim:main",
}

#: Every other command line is pip's: resolved and executed where it belongs.
PIP_VERB = "commands.pip:main"


def _handler(args: list[str]) -> tuple[Callable[[list[str], Session], int], list[str]]:
    """The verb's handler and its arguments: one of safepip's own verbs, else pip's."""
    if args and args[0] in VERBS:
        target, rest = VERBS[args[0]], args[1:]  # a verb reads its own --safepip-* flags
    else:
        target, rest = PIP_VERB, args
    module, _, function = target.partition(":")
    __import__(f"safepip.{module}")  # not importlib.import_module: importlib imports warnings
    handler: Callable[[list[str], Session], int] = getattr(sys.modules[f"safepip.{module}"], function)
    return handler, rest


def _tolerant_output() -> None:
    """Make text output survive any path: under ``PYTHONIOENCODING=ascii`` (or any encoding
    that cannot spell a path) a character it cannot write is escaped, never an error.
    Paths meant for programs (``safepip which``) are written as bytes.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "strict") == "strict":
            try:  # noqa: SIM105 - contextlib (with collections and functools) is ms to import
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot: left as it is
                pass


def _output_failed(code: int, session: Session) -> int:
    """A verb's exit code, 74 (with one line) when its output could not be written.

    Unless the verb failed already. A stdout closed by the caller is no error: what goes
    there is dropped, as Python's ``print`` and pip do. An answer safepip gives in pip's
    place that cannot be written is left to pip instead (:func:`safepip.act.flow.run_pip`).
    """
    from safepip.stdio import stdout_error

    error = stdout_error()
    if error is None or code != 0:
        return code
    from safepip.errors import EX_IOERR

    session.say(f"cannot write to standard output: {error.strerror or error}", "error")
    return EX_IOERR


def main(argv: Sequence[str] | None = None, *, runner: Runner | None = None) -> int:
    """Run safepip with ``argv`` (default: the process's arguments); return the exit code.

    ``runner`` starts every program instead of the real one (see :mod:`safepip.runner`):
    tests run ``main([...])`` in-process and see the exact argv that would be exec'd.
    With the process's own arguments (``argv`` None: the ``safepip`` command), safepip
    first makes descriptors 0-2 the caller's (:mod:`safepip.stdio`), before it opens anything.
    """
    if argv is None:
        import gc

        from safepip.stdio import take_over

        # A call makes some ten thousand objects and execs or exits within milliseconds:
        # the collector's runs at the default threshold (700: about six, 0.5 to 1 ms of a
        # call with nothing remembered) find next to nothing. Collected far less often, not
        # never (a long call still collects).
        gc.set_threshold(100_000)
        take_over()
    args = list(sys.argv[1:] if argv is None else argv)
    return _main(args, runner, in_process=runner is not None, own_process=argv is None and runner is None)


def _end(code: int) -> int:
    """End the process now with ``code``, without the interpreter's finalization: for an
    answer complete before anything but the front door's few modules was loaded, tearing
    them down (and the interpreter's own) costs more than the answer (about 1.8 ms of CPU,
    where the prompt hook's whole question costs some 4 ms over one interpreter start).

    Only when finalization has nothing else to do: no exit handler registered (a
    ``sitecustomize``'s, coverage's), no thread module loaded, no interactive prompt to
    follow (``python -i``, ``PYTHONINSPECT``); and the standard streams
    flushed here (safepip's own are unbuffered: :mod:`safepip.stdio`). Otherwise ``code``
    is returned, and the process ends as every other call does.
    """
    import atexit

    pending = getattr(atexit, "_ncallbacks", None)  # CPython's count of the handlers registered
    if pending is None or pending() or "threading" in sys.modules or sys.flags.inspect or os.environ.get("PYTHONINSPECT"):
        return code
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # what finalization would report: left to it
            return code
    os._exit(code)


def _main(args: list[str], runner: Runner | None, *, in_process: bool, own_process: bool = False) -> int:
    environ: Mapping[str, str] = os.environ
    dirs: Dirs | None = None
    lookup: Lookup | None = None
    if "SAFEPIP_ACTIVATED" in environ:  # shell-init's activation never changes a decision
        from safepip.activated import without_own_activation

        environ = without_own_activation(environ)
    if not in_process and not (args and args[0] in VERBS):
        from safepip.front import answer

        quick = answer(args, environ)  # an active venv's pass-through (exec), or a remembered no-op
        if quick is not None:
            return _end(quick) if own_process else quick
    elif not in_process and args[:1] == ["run"]:
        from safepip.front import run_answer
        from safepip.paths import Dirs

        # The process environment read once: the call looks its variables up some hundred
        # times (os.environ encodes each name and decodes each value it gives), and hands it
        # whole to the command. The call's directories: the memo's, worked out here, is the session's too;
        # and what the lookup worked out (the memo key's shared part, the anchor), what the call remembers with.
        environ = dict(environ)
        dirs = Dirs(environ)
        lookup = run_answer(args[1:], environ, dirs)  # a remembered environment: exec the command at once
    elif not in_process and args[:1] == ["which"]:
        from safepip.front import activation_answer

        code = activation_answer(args[1:], environ)  # the prompt hook's question, answered before
        if code is not None:
            return _end(code) if own_process else code
    from safepip.errors import EX_SOFTWARE, SafepipError
    from safepip.session import Session

    _tolerant_output()
    session = Session(environ, runner=runner, dirs=dirs, lookup=lookup)
    try:
        with session:  # what lives as long as the call (the classification's scratch) ends with it
            handler, rest = _handler(args)
            code = handler(rest, session)
    except SafepipError as exc:
        if session.debug:
            import traceback

            traceback.print_exc()
        session.say(str(exc), "error")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception:  # a bug: say so plainly, and how to report it
        if session.debug:
            raise
        import traceback

        last = traceback.format_exc().strip().splitlines()[-1]
        session.say(f"internal error ({last}); rerun with SAFEPIP_DEBUG=1 and report it", "error")
        return EX_SOFTWARE
    return _output_failed(code, session) if args and args[0] in VERBS else code
