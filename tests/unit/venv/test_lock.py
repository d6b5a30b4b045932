"""An environment's lock (safepip.venv.lock): kept outside the environment, exclusive, and a
context manager that releases it after the block; and the file lock it is, safepip's own:
exclusive across processes, survives exec, private whatever the umask, never follows a
planted link, refuses someone else's directory or file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from safepip.paths import Dirs
from safepip.venv.lock import EnvLock, FileLock, LockUnsafe, lock_path, private_dir


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


def test_the_lock_file_is_named_by_sha256_of_the_real_path(tmp_path: Path) -> None:
    # The name every safepip version has given it (hashlib's SHA-256, now computed without
    # OpenSSL): a safepip installed beside this one locks the same file.
    import hashlib

    env = tmp_path / "a" / ".venv"
    env.mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "a")
    dirs = Dirs(os.environ)
    digest = hashlib.sha256(str(env.resolve()).encode()).hexdigest()[:24]
    assert lock_path(str(tmp_path / "link" / ".venv"), dirs) == os.path.join(dirs.cache, "locks", f"{digest}.lock")


def test_exclusive_and_released(tmp_path: Path) -> None:
    path = str(tmp_path / "locks" / "a.lock")
    first, second = FileLock(path), FileLock(path)
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "cache" / "locks" / "c.lock"
        lock = FileLock(str(path))
        assert lock.try_acquire()
        lock.release()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o666)
    path.parent.chmod(0o777)
    assert FileLock(str(path)).try_acquire()  # narrowed again
    assert (stat.S_IMODE(path.parent.stat().st_mode), stat.S_IMODE(path.stat().st_mode)) == (0o700, 0o600)


def test_a_planted_link_is_refused_not_followed(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    private_dir(str(locks))
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (locks / "d.lock").symlink_to(victim)
    with pytest.raises(LockUnsafe):
        FileLock(str(locks / "d.lock")).try_acquire()
    assert victim.read_text() == "precious\n"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(LockUnsafe, match="not a directory"):
        FileLock(str(tmp_path / "linked" / "e.lock")).try_acquire()


def test_not_a_regular_file(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    private_dir(str(locks))
    os.mkfifo(locks / "f.lock")
    with pytest.raises(LockUnsafe, match="regular"):
        FileLock(str(locks / "f.lock")).try_acquire()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a file someone else's")
def test_someone_elses_directory_or_file_is_refused(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    locks.mkdir()
    os.chown(locks, 12345, 12345)
    with pytest.raises(LockUnsafe, match="owned by uid 12345"):
        FileLock(str(locks / "g.lock")).try_acquire()
    os.chown(locks, 0, 0)
    (locks / "g.lock").write_text("")
    os.chown(locks / "g.lock", 12345, 12345)
    with pytest.raises(LockUnsafe, match="owned by uid 12345"):
        FileLock(str(locks / "g.lock")).try_acquire()
