"""An environment's lock (safepip.venv.lock): kept outside the environment, exclusive, and a
context manager that releases it after the block.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.filelock import FileLock
from safepip.paths import Dirs
from safepip.venv.lock import EnvLock, lock_path


def test_the_lock_is_held_for_the_block_and_released_after_it(tmp_path: Path) -> None:
    env = str(tmp_path / "proj" / ".venv")
    said: list[str] = []
    with EnvLock(env, Dirs(os.environ), said.append) as lock:
        assert lock.path == lock_path(env, Dirs(os.environ))
        assert not lock.path.startswith(env)  # outside the environment: it survives a rebuild
        assert not FileLock(lock.path).try_acquire()
    other = FileLock(lock.path)
    assert other.try_acquire()
    other.release()
    assert said == []


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    env = str(tmp_path / ".venv")
    with pytest.raises(RuntimeError), EnvLock(env, Dirs(os.environ), print) as lock:
        raise RuntimeError
    assert FileLock(lock.path).try_acquire()


def test_one_environment_one_lock(tmp_path: Path) -> None:
    a, b = str(tmp_path / "a" / ".venv"), str(tmp_path / "b" / ".venv")
    assert lock_path(a, Dirs(os.environ)) != lock_path(b, Dirs(os.environ))
    assert lock_path(a, Dirs(os.environ)) == lock_path(str(tmp_path / "a" / "." / ".venv"), Dirs(os.environ))
