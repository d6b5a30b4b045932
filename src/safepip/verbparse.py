"""Command-line parsing for safepip's own verbs: argparse, with safepip's usage exit code.

A mistake on a verb's command line is one ``safepip: error:`` line and exit 64, like every
other safepip error, rather than argparse's usage dump and exit 2.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from .errors import UsageError


class VerbParser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`UsageError` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        """Raise a UsageError: safepip's one error path, exit 64."""
        raise UsageError(f"{self.prog}: {message} (see: {self.prog} --help)")


def parser(verb: str, description: str) -> VerbParser:
    """A parser for ``safepip <verb>``."""
    return VerbParser(prog=f"safepip {verb}", description=description)
