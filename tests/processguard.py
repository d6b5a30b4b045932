"""Unit tests run in-process: while a unit test runs (its own fixtures included), every way
Python starts or replaces a process raises :class:`ProcessStarted`, and the test fails even
where the code under test swallows the error. Tests that start processes belong in
tests/integration/.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from typing import Any, Iterator

import pytest

#: Every way a process is started or replaced from Python (subprocess goes through Popen).
OS_STARTERS = tuple(name for name in (
    "system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp", "execv", "execve", "execl", "execle", "execlp",
    "execlpe", "execvp", "execvpe", "spawnv", "spawnve", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnvp",
    "spawnvpe",
) if hasattr(os, name))


class ProcessStarted(BaseException):
    """A unit test started a process (a BaseException: ``except Exception`` in the code under
    test does not hide it).
    """


@contextmanager
def no_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse every process start until the block ends; the list says what was tried."""
    tried: list[str] = []

    def refusing(what: str) -> Any:
        def refuse(*args: object, **kwargs: object) -> object:
            shown = args[1] if what == "subprocess" and len(args) > 1 else args[:1]
            tried.append(f"{what} {shown!r}")
            raise ProcessStarted(f"a unit test starts a process ({what} {shown!r}): it belongs in tests/integration/")

        return refuse

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refusing("subprocess"))
    for name in OS_STARTERS:
        monkeypatch.setattr(os, name, refusing(f"os.{name}"))
    yield tried
