"""One safepip call: the environment it reads, its working directory, how it speaks, whether
it debugs, what it starts programs with and what lives until it ends. Made once by
:func:`safepip.cli.main` and handed down (:mod:`safepip.pipeline`, :mod:`safepip.act`)
instead of each function reading ``os.environ``, the working directory or ``SAFEPIP_DEBUG``
(read here and nowhere else on the full path) or building its own way to speak.
"""

from __future__ import annotations

import contextlib
import functools
import os

from safepip import ui
from safepip.errors import SafepipError
from safepip.paths import Dirs
from safepip.runner import using

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from types import TracebackType
    from typing import Mapping

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
    used) and ``stack``: what is cleaned up when the call ends (the classification's scratch).
    """

    def __init__(self, environ: Mapping[str, str], *, cwd: str | None = None, runner: Runner | None = None) -> None:
        self.environ = environ
        self.debug = environ.get("SAFEPIP_DEBUG") == "1"
        self.runner = runner
        self.dirs = Dirs(environ)
        self._cwd = cwd
        self.stack = contextlib.ExitStack()
        self._runner = contextlib.ExitStack()
        #: ``say(message, level="notice")``: one ``safepip:`` line on stderr (notice, warning
        #: or error), returned as written (:func:`safepip.ui.say` for this environment).
        self.say = functools.partial(ui.say, environ=environ)

    @property
    def cwd(self) -> str:
        """The working directory (:func:`working_directory`, read once)."""
        if self._cwd is None:
            self._cwd = working_directory()
        return self._cwd

    def __enter__(self) -> Session:
        # Not on ``stack``: that is closed before pip is exec'd, and pip still starts through the runner.
        self._runner.enter_context(using(self.runner, debug=self.debug))
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            self.stack.close()
        finally:
            self._runner.close()
