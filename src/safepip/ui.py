"""safepip's own lines on stderr: prefixed ``safepip:``, coloured only where that is wanted.

Colour follows the common conventions: ``NO_COLOR`` (any non-empty value, as no-color.org
says) turns it off, ``FORCE_COLOR`` (any non-empty value) turns it on, otherwise only when
stderr is a terminal. ``NO_COLOR`` wins when both are set.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only (the no-op check imports no typing)
    from typing import Mapping, TextIO

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
