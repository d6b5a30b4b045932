"""safepip's one error family, and its exit codes (the sysexits range; pip's own pass through).

``str(err)`` is the line the user reads: what happened, and what to do next. Only
``cli.main`` catches these.
"""

from __future__ import annotations

#: Exit codes of safepip's own failures. pip's codes (0, 1, 2, 23, ...) pass through unchanged.
EX_USAGE = 64  # a safepip command line that makes no sense
EX_UNAVAILABLE = 69  # nothing safe to do: no interpreter, no project, a refused policy
EX_SOFTWARE = 70  # a bug in safepip: please report it
EX_CANTCREAT = 73  # an environment could not be created
EX_IOERR = 74  # a safepip command's own output could not be written (a full disk, a closed pipe)
EX_NOPERM = 77  # a permission or ownership rule refuses the operation
EX_CONFIG = 78  # a configuration file or value is wrong


class SafepipError(Exception):
    """An error the user can act on. Subclasses fix the exit code."""

    exit_code = EX_SOFTWARE

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(SafepipError):
    """safepip's own command line is wrong."""

    exit_code = EX_USAGE


class InterpreterError(SafepipError):
    """The target interpreter cannot be found or used."""

    exit_code = EX_UNAVAILABLE


class NoTargetError(SafepipError):
    """There is nowhere safe to send the work (outside a project, refused by policy)."""

    exit_code = EX_UNAVAILABLE


class EnvironmentCreateError(SafepipError):
    """A virtual environment could not be created or repaired."""

    exit_code = EX_CANTCREAT


class PermissionRefused(SafepipError):
    """An ownership or permission rule forbids the operation."""

    exit_code = EX_NOPERM


class ConfigError(SafepipError):
    """A configuration file or value is invalid."""

    exit_code = EX_CONFIG
