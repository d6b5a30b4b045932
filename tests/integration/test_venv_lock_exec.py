"""safepip's own lock: exclusive across processes, survives exec, private whatever the
umask, never follows a planted link, refuses someone else's directory or file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import ROOT
from safepip.venv.lock import FileLock

HOLD = """
import os, sys
sys.path.insert(0, {src!r})
from safepip.venv.lock import FileLock
lock = FileLock({path!r})
assert lock.try_acquire()
lock.write_holder("pid %d: safepip install x" % os.getpid())
lock.inherit()
# exec a program that only waits: the lock must be held by it
os.execv(sys.executable, [sys.executable, "-c", "import sys; sys.stdout.write('ready\\\\n'); sys.stdout.flush(); sys.stdin.read()"])
"""
SRC = str(ROOT / "src")


def test_held_through_exec_until_the_program_exits(tmp_path: Path) -> None:
    path = str(tmp_path / "locks" / "b.lock")
    proc = subprocess.Popen([sys.executable, "-c", HOLD.format(src=SRC, path=path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        other = FileLock(path)
        assert not other.try_acquire()
        assert other.holder() == f"pid {proc.pid}: safepip install x"
    finally:
        proc.communicate("")
    assert proc.returncode == 0
    assert other.holder() is None  # the holder is gone: its line names no one
    assert other.try_acquire()
    other.release()


def test_never_on_a_standard_descriptor(tmp_path: Path) -> None:
    """With 0-2 closed the lock still takes 3 or more: it is handed to pip through exec, and
    on 0 pip read it as the answer to its prompt."""
    where = tmp_path / "fd"
    program = (
        f"import sys\nsys.path.insert(0, {SRC!r})\nfrom safepip.venv.lock import FileLock\n"
        f"lock = FileLock({str(tmp_path / 'a.lock')!r})\nassert lock.try_acquire()\n"
        f"open({str(where)!r}, 'w').write(str(lock._fd))\n"
    )
    done = subprocess.run(["/bin/sh", "-c", 'exec "$@" <&- >&- 2>&-', "sh", sys.executable, "-c", program], check=False)
    assert done.returncode == 0
    assert int(where.read_text()) >= 3
