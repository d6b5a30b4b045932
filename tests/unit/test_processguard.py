"""The rule that unit tests run in-process (tests/processguard.py, applied to every test under
tests/unit/ by the conftest): each way of starting a process is refused and recorded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Callable

import pytest

from processguard import OS_STARTERS, ProcessStarted, no_process

STARTS: list[Callable[[], object]] = [
    lambda: subprocess.run(["true"], check=False),
    lambda: subprocess.check_output([sys.executable, "-c", "pass"]),
    lambda: os.system("true"),  # noqa: S605 - refused before any shell runs
    lambda: os.execv("/bin/true", ["true"]),  # noqa: S606 - refused, never run
    lambda: os.posix_spawn("/bin/true", ["true"], {}),
    lambda: os.fork(),  # noqa: PLW0108 - os.fork looked up when called, once patched
]


def test_every_way_of_starting_a_process_is_refused_and_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    with no_process(monkeypatch) as tried:
        for start in STARTS:
            with pytest.raises(ProcessStarted):
                start()
    assert len(tried) == len(STARTS)
    # An ``except Exception`` in the code under test does not hide it.
    assert not issubclass(ProcessStarted, Exception)


def test_the_rule_applies_to_every_unit_test() -> None:
    """This very test runs under the conftest's guard: starting anything is refused here."""
    assert getattr(getattr(subprocess.Popen, "_execute_child", None), "__name__", "") == "refuse"
    assert all(getattr(getattr(os, name), "__name__", "") == "refuse" for name in OS_STARTERS)
