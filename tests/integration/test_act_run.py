"""The one runner (runner.py): what it leaves behind when a captured child is cut short."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import running
from safepip.runner import capture


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _child(tmp_path: Path) -> tuple[list[str], Path]:
    pidfile = tmp_path / "pid"
    code = f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    return [sys.executable, "-c", code], pidfile


def _when_started(pidfile: Path, then: object) -> threading.Thread:
    def wait() -> None:
        deadline = time.monotonic() + 300  # a child's start on a loaded machine: only an upper bound
        while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        then()  # type: ignore[operator]

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(os.name != "posix", reason="signals and sessions are POSIX")
@pytest.mark.parametrize("timeout", [None, 120.0])
def test_an_interrupted_capture_leaves_no_child(tmp_path: Path, timeout: float | None) -> None:
    argv, pidfile = _child(tmp_path)
    _when_started(pidfile, lambda: os.kill(os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        capture(argv, timeout=timeout)
    pid = int(pidfile.read_text())
    try:
        assert _gone(pid), "the child outlived Ctrl-C (it runs in a session of its own)"
    finally:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds the child by its command line in /proc")
def test_a_capture_past_its_timeout_leaves_no_child(tmp_path: Path) -> None:
    # The child is found by a marker in its command line, not by a pid it would write: on a
    # loaded machine the time limit may pass before the child has run a line of its own.
    marker = f"capture-timeout-{os.getpid()}-{time.monotonic_ns()}"
    argv = [sys.executable, "-c", "import time; time.sleep(600)", marker]
    with pytest.raises(subprocess.TimeoutExpired):
        capture(argv, timeout=2)
    deadline = time.monotonic() + 30  # a SIGKILLed process still takes a moment to go
    while (left := running(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "the child outlived the time limit"


@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_a_capture_without_a_time_limit_stays_in_safepips_process_group(tmp_path: Path) -> None:
    # A kill of safepip's group (a supervisor, a test killing safepip and the pip it runs)
    # must reach the child: a rebuild's pip must not go on after safepip is gone.
    code = "import os; print(os.getpgrp())"
    assert int(capture([sys.executable, "-c", code]).stdout) == os.getpgrp()
    assert int(capture([sys.executable, "-c", code], timeout=60).stdout) != os.getpgrp()
