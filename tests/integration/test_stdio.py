"""safepip.stdio: descriptors 0-2 held when closed (close-on-exec), and output that never raises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import ROOT

SRC = str(ROOT / "src")


def _python(program: str, redirections: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run ``program`` with safepip importable, descriptors redirected by the shell."""
    code = f"import sys\nsys.path.insert(0, {SRC!r})\n{program}"
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        ["/bin/sh", "-c", f'exec "$@" {redirections}', "sh", sys.executable, "-c", code],
        text=True, check=False, **kwargs,
    )


def test_closed_descriptors_are_held_and_closed_again_for_what_runs_next(tmp_path: Path) -> None:
    report = tmp_path / "report"
    program = f"""
import os
from safepip.stdio import take_over
take_over()
own = os.open({str(tmp_path / 'own')!r}, os.O_CREAT | os.O_WRONLY)
sys.stdout.write("dropped")
sys.stderr.write("dropped")
check = "import os, sys; sys.exit(sum(1 << fd for fd in (0, 1, 2) if os.path.exists(f'/proc/self/fd/{{fd}}')))"
child = os.spawnv(os.P_WAIT, sys.executable, [sys.executable, "-c", check])
open({str(report)!r}, "w").write(f"{{own}} {{child}}")
os.execv(sys.executable, [sys.executable, "-c", check])
"""
    done = _python(program, "<&- >&- 2>&-")
    assert done.returncode == 0  # exec'd: nothing of safepip's on 0-2
    own, child = report.read_text().split()
    assert int(own) >= 3
    assert child == "0"  # a child started by safepip finds them closed too


def test_write_errors_are_kept_not_raised() -> None:
    program = """
from safepip.stdio import take_over, stdout_error
take_over()
print("x" * 100000)
sys.stdout.write("more")
sys.stderr.write("to stderr: " + str(stdout_error().errno) + "\\n")
"""
    with open("/dev/full", "w") as full:
        done = _python(program, "", stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 0  # no exit 120 from a buffer flushed at exit
    assert done.stderr == "to stderr: 28\n"


def test_closed_stdout_is_not_an_error() -> None:
    program = """
from safepip.stdio import take_over, stdout_error
take_over()
print("dropped")
sys.stdout.buffer.write(b"dropped")
sys.stderr.write(f"{stdout_error()} {sys.stdout.isatty()}\\n")
"""
    done = _python(program, ">&-", stderr=subprocess.PIPE)
    assert (done.returncode, done.stderr) == (0, "None False\n")


def test_open_descriptors_are_written_as_they_are() -> None:
    program = """
from safepip.stdio import take_over
take_over()
print("caf\\u00e9")
sys.stdout.buffer.write(b"\\xff\\n")
"""
    done = subprocess.run(
        [sys.executable, "-c", f"import sys\nsys.path.insert(0, {SRC!r})\n{program}"], capture_output=True, check=False,
        env={"PYTHONIOENCODING": "ascii", "PATH": "/usr/bin:/bin"},
    )
    assert (done.returncode, done.stdout) == (0, b"caf\\xe9\n\xff\n")
