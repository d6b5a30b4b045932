"""The one argument parser for safepip's own verbs: argparse, with safepip's usage exit code.

A mistake on a verb's command line is one ``safepip: error:`` line and exit 64, like every
other safepip error, rather than argparse's usage dump and exit 2; ``--help`` prints the
help and gives the verb an exit code to return (never ``sys.exit``).
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn, Sequence

from safepip.errors import UsageError


class _DoneError(Exception):
    """argparse asked to stop (``--help``): carries the exit code back to the verb."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class VerbParser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`UsageError` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        """Raise a UsageError: safepip's one error path, exit 64."""
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")

    def exit(self, status: int = 0, message: str | None = None) -> Any:
        """Stop parsing (after ``--help``) without leaving the process."""
        if message:
            self._print_message(message)
        raise _DoneError(status)


#: Why an empty value is refused (a script's unset variable, ``--python "$PY"``).
EMPTY = "an empty value names nothing (an unset variable?)"


def given(value: str) -> str:
    """An option's path or interpreter, which may not be empty: argparse's ``type``."""
    if not value:
        raise argparse.ArgumentTypeError(EMPTY)
    return value


def parser(verb: str, description: str) -> VerbParser:
    """A parser for ``safepip <verb>``."""
    return VerbParser(prog=f"safepip {verb}", description=description)


def parse(parser: argparse.ArgumentParser, args: Sequence[str]) -> argparse.Namespace | int:
    """Parse ``args``; an int is the exit code to return at once (after ``--help``)."""
    try:
        return parser.parse_args(list(args))
    except _DoneError as done:
        return done.code


def split_verb_flags(args: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    """``--safepip-KEY=VALUE`` flags anywhere in a verb's own arguments (up to ``--``)."""
    from safepip.facts.config import split_flags

    return split_flags(args)
