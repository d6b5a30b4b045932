"""One safepip call: the environment it reads, its working directory, how it speaks, whether
it debugs, what it starts programs with and what lives until it ends. Made once by
:func:`safepip.cli.main` and handed down (:mod:`safepip.pipeline`, :mod:`safepip.act`)
instead of each function reading ``os.environ``, the working directory or ``SAFEPIP_DEBUG``
(read here and nowhere else on the full path) or building its own way to speak.

How safepip speaks (:func:`say`): its own lines on stderr, prefixed ``safepip:``, coloured
only where that is wanted. Colour follows the common conventions: ``NO_COLOR`` (any non-empty
value, as no-color.org says) turns it off, ``FORCE_COLOR`` (any non-empty value) turns it on,
otherwise only when stderr is a terminal. ``NO_COLOR`` wins when both are set.
"""

from __future__ import annotations

import os
import sys

from safepip.errors import SafepipError
from safepip.paths import Dirs
from safepip.runner import using

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from contextlib import AbstractContextManager, ExitStack
    from types import TracebackType
    from typing import Mapping, TextIO

    from safepip.remembered.store import Lookup
    from safepip.runner import Runner


def working_directory() -> str:
    """The working directory, or a clear error when it was deleted under us."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        raise SafepipError(
            "the working directory no longer exists; cd to a directory that does", exit_code=69
        ) from None
    except OSError as exc:  # deeper than the system's path limit, unreadable...
        raise SafepipError(
            f"cannot tell the working directory ({exc.strerror or type(exc).__name__}); cd to a shorter path",
            exit_code=77 if isinstance(exc, PermissionError) else 69,
        ) from None


class Session:
    """One call's environment (``environ``, as safepip decides with it), its working directory
    (``cwd``: given, or read once when first asked), its ``debug`` switch (``SAFEPIP_DEBUG=1``,
    read here once), the ``runner`` that starts programs (None: the real one; while the
    session is entered every program starts through it, logged when debugging),
    ``dirs``: safepip's own directories for ``environ`` (each worked out once, when first
    used; given: those the front door already used for it), ``lookup``: what the front door's
    failed lookup worked out for ``environ`` (:func:`safepip.remembered.store.look_up_decision`;
    None: none), for what the call remembers, and ``stack``: what is cleaned
    up when the call ends (the classification's scratch; ``cleanup``: the same, None while
    nothing was put on it).
    """

    def __init__(self, environ: Mapping[str, str], *, cwd: str | None = None, runner: Runner | None = None,
                 dirs: Dirs | None = None, lookup: Lookup | None = None) -> None:
        self.environ = environ
        self.debug = environ.get("SAFEPIP_DEBUG") == "1"
        self.runner = runner
        self.dirs = Dirs(environ) if dirs is None else dirs
        self._cwd = cwd
        self.lookup = lookup
        self.cleanup: ExitStack | None = None
        self._using: AbstractContextManager[object] | None = None

    def say(self, message: str, kind: str = "notice") -> str:
        """One ``safepip:`` line on stderr (notice, warning or error), returned as written
        (:func:`say` for this environment).
        """
        return say(message, kind, environ=self.environ)

    @property
    def stack(self) -> ExitStack:
        """What is cleaned up when the call ends; made when first asked (contextlib, with
        collections and functools, is ms to import, and most calls put nothing on it).
        """
        if self.cleanup is None:
            import contextlib

            self.cleanup = contextlib.ExitStack()
        return self.cleanup

    @property
    def cwd(self) -> str:
        """The working directory (:func:`working_directory`, read once)."""
        if self._cwd is None:
            self._cwd = working_directory()
        return self._cwd

    def __enter__(self) -> Session:
        # Not on ``stack``: that is closed before pip is exec'd, and pip still starts through the runner.
        self._using = using(self.runner, debug=self.debug, say=say)
        self._using.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if self.cleanup is not None:
                self.cleanup.close()
        finally:
            if self._using is not None:
                self._using.__exit__(None, None, None)
                self._using = None


# How safepip speaks: its own lines on stderr (see the module docstring).

_STYLES = {"notice": "1;36", "warning": "1;33", "error": "1;31"}


def use_colour(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether to colour output written to ``stream``."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def say(message: str, kind: str = "notice", environ: Mapping[str, str] | None = None) -> str:
    """Write one ``safepip:`` line to stderr; return it as written."""
    env = os.environ if environ is None else environ
    prefix = "safepip:"
    if kind == "warning":
        prefix = "safepip: warning:"
    elif kind == "error":
        prefix = "safepip: error:"
    if use_colour(sys.stderr, env):
        prefix = f"\033[{_STYLES[kind]}m{prefix}\033[0m"
    line = f"{prefix} {message}\n"
    sys.stderr.write(line)
    sys.stderr.flush()
    return line


def shortpath(path: str, environ: Mapping[str, str] | None = None) -> str:
    """A path as the user would type it: ``~`` for the home directory."""
    env = os.environ if environ is None else environ
    home = env.get("HOME", "")
    if home and home != "/" and (path == home or path.startswith(home.rstrip("/") + "/")):
        return "~" + path[len(home.rstrip("/")) :]
    return path
