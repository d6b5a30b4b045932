"""One safepip call: the environment it reads, how it speaks, whether it debugs, what it
starts programs with and what lives until it ends. Made once by :func:`safepip.cli.main`
and handed down (:mod:`safepip.pipeline`, :mod:`safepip.act`) instead of each function
reading ``os.environ``, ``SAFEPIP_DEBUG`` or building its own way to speak.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Mapping

from safepip import ui

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from types import TracebackType

    from safepip.runner import Runner


class Session:
    """One call's environment (``environ``, as safepip decides with it), its ``debug`` switch
    (``SAFEPIP_DEBUG=1``, read here once), the ``runner`` that starts programs (None: the real
    one) and ``stack``: what is cleaned up when the call ends (the classification's scratch).
    """

    def __init__(self, environ: Mapping[str, str], *, runner: Runner | None = None) -> None:
        self.environ = environ
        self.debug = environ.get("SAFEPIP_DEBUG") == "1"
        self.runner = runner
        self.stack = contextlib.ExitStack()
        #: ``say(message, level="notice")``: one ``safepip:`` line on stderr (notice, warning
        #: or error), returned as written (:func:`safepip.ui.say` for this environment).
        self.say = functools.partial(ui.say, environ=environ)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stack.close()
