"""The lock on one environment: creation and pip runs that change an environment are
serialized across processes with a file lock kept outside the environment (under the cache
directory, keyed on the environment's path). The lock's descriptor is inheritable, so it
stays held through the exec into pip and is released when pip exits.

The file lock itself (:class:`FileLock`, which the environment's lock is and the front door's
replay takes) is an exclusive lock on a file that survives ``exec``: safepip's own, on
``fcntl.flock`` (POSIX) and ``msvcrt.locking`` (Windows), stdlib only, cheap to import (what
is not, such as safepip's errors, is imported where the environment's lock needs it).

Why not filelock: the lock must be handed to pip through ``exec`` and held until pip exits.
An ``flock`` belongs to the open file description, so it lives as long as any process holds
the descriptor open, and exec keeps inheritable descriptors open. filelock keeps its
descriptor private (``_context.lock_file_fd``), decides the file's mode itself, truncates
the file on every attempt and costs ~30 ms of imports (hashlib, logging, inspect...) on a
path that must cost next to nothing; the front door (:mod:`safepip.front`) takes this lock
before it replays a remembered route.

The files are private whatever the umask: the directory is created 0700 and the lock file
0600, both must be owned by the effective user (a lock in someone else's directory could be
held or swapped by them), the lock file is opened with ``O_NOFOLLOW`` (a planted symbolic
link is refused, never followed) and must be a regular file. The holder writes one line
into the lock file itself ("pid N: safepip ARGS"), so a waiter can say whom it waits for.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Callable

    from safepip.paths import Dirs

_WINDOWS = sys.platform == "win32"
#: Opening flags: never follow a link at the last component, never leak into children
#: except through an explicit :meth:`FileLock.inherit`.
_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class LockUnsafe(OSError):
    """The lock's directory or file is not safely the user's own (the message says why)."""


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def private_dir(path: str) -> None:
    """Make ``path`` (and missing parents) a directory only the effective user can enter:
    created 0700, an existing one of ours narrowed to 0700; raise :class:`LockUnsafe` for a
    symbolic link or a directory owned by someone else.
    """
    import stat

    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError as exc:
        raise LockUnsafe(exc.errno, f"cannot create the lock directory {path}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise LockUnsafe(f"the lock directory {path} is not a directory (a symbolic link?)")
    if _WINDOWS:  # pragma: no cover - ownership is the ACL's business there
        return
    if st.st_uid != _euid():
        raise LockUnsafe(f"the lock directory {path} is owned by uid {st.st_uid}, not by you")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)


def _above_stdio(fd: int) -> int:
    """``fd`` moved to 3 or more. The lock is handed to pip through exec: on a descriptor the
    caller closed it would become pip's stdin, stdout or stderr. The ``safepip`` command holds
    those first (:mod:`safepip.stdio`); this covers whoever calls safepip's code otherwise.
    """
    if fd > 2 or _WINDOWS:
        return fd
    import fcntl

    try:
        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    finally:
        os.close(fd)


def _open(path: str) -> int:
    """The lock file's descriptor: created 0600, checked to be a regular file of ours."""
    import stat

    private_dir(os.path.dirname(path) or os.curdir)
    try:
        fd = _above_stdio(os.open(path, _FLAGS, 0o600))
    except OSError as exc:
        raise LockUnsafe(exc.errno, f"cannot open the lock {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LockUnsafe(f"the lock {path} is not a regular file")
        if not _WINDOWS:
            if st.st_uid != _euid():
                raise LockUnsafe(f"the lock {path} is owned by uid {st.st_uid}, not by you")
            if stat.S_IMODE(st.st_mode) != 0o600:
                os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


class FileLock:
    """An exclusive lock on ``path``; not reentrant. Waiting is the caller's choice:
    :meth:`try_acquire` never blocks, :meth:`acquire` waits for as long as it takes.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; return whether it is now held."""
        return self._take(blocking=False)

    def acquire(self) -> None:
        """Take the lock, waiting for its holder to release it."""
        self._take(blocking=True)

    def _take(self, *, blocking: bool) -> bool:
        if self._fd is not None:
            return True
        fd = _open(self.path)
        try:
            got = _lock(fd, blocking)
        except BaseException:
            os.close(fd)
            raise
        if not got:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def write_holder(self, text: str) -> None:
        """Say who holds the lock, in the lock file itself (best effort)."""
        if self._fd is None:
            return
        try:
            data = text.encode("utf-8", "replace")[:300]
            if _WINDOWS:  # pragma: no cover - the locked byte 0 cannot be written there
                return
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)
        except OSError:
            pass

    def holder(self) -> str | None:
        """What the holder wrote about itself, if it is a process that is still alive."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        try:
            text = os.read(fd, 400).decode("utf-8", "replace").strip()
        except OSError:
            return None
        finally:
            os.close(fd)
        if text.startswith("pid "):
            pid = text[4:].split(":", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                return None  # written by a holder that is gone: not who holds it now
        return text or None

    def inherit(self) -> bool:
        """Let the descriptor survive exec, so that the program exec'd holds the lock until
        it exits. Return False where that cannot be (Windows, or the lock is not held).
        """
        if self._fd is None or _WINDOWS:
            return False
        os.set_inheritable(self._fd, True)
        return True

    def release(self) -> None:
        """Release the lock (the holder line is cleared first)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if not _WINDOWS:
                os.ftruncate(fd, 0)
            _unlock(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def _alive(pid: int) -> bool:
    if _WINDOWS:  # pragma: no cover
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, someone else's
    return True


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only

    def _lock(fd: int, blocking: bool) -> bool:
        import msvcrt
        import time

        while True:
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                if not blocking:
                    return False
                time.sleep(0.05)
            else:
                return True

    def _unlock(fd: int) -> None:
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:

    def _lock(fd: int, blocking: bool) -> bool:
        import errno
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except OSError as exc:
            if not blocking and exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


# The environment's lock: a FileLock on its lock file, outside the environment.


def lock_path(env_dir: str, dirs: Dirs) -> str:
    """The lock file of an environment: outside it, so that it survives a rebuild (in the
    cache of ``dirs``, the session's).
    """
    # CPython's own SHA-256, not hashlib's: hashlib loads OpenSSL (about 2 ms), and every pip
    # run the full path remembers asks for this name, not only the calls that lock.
    from safepip.venv.state import sha256_hex

    key = sha256_hex(os.path.realpath(env_dir).encode("utf-8", "surrogateescape"))[:24]
    return os.path.join(dirs.cache, "locks", f"{key}.lock")


class EnvLock(FileLock):
    """An exclusive, cross-process lock on one environment (a :class:`FileLock`
    on the environment's lock file), held until released or until the process that exec'd
    with it exits.

    As a context manager it is held for the block and released after it, unless the block
    handed it to pip (:meth:`keep_through_exec`, then exec): exec does not come back, and pip
    holds it until it exits.
    """

    def __init__(self, env_dir: str, dirs: Dirs, say: Callable[[str], object]) -> None:
        from safepip.errors import PermissionRefused
        from safepip.paths import directory_problem

        path = lock_path(env_dir, dirs)
        # The lock file is opened by name: its directory must be one nobody else can plant in.
        why = directory_problem(os.path.dirname(path), dirs.cache, create=True)
        if why is not None:
            raise PermissionRefused(f"cannot create the lock directory {os.path.dirname(path)}: {why}")
        super().__init__(path)
        self.env_dir = env_dir
        self._say = say

    def acquire(self) -> None:
        """Take the lock, saying once on stderr who holds it if we have to wait."""
        from safepip.errors import PermissionRefused  # here: the replay's FileLock needs none of it

        try:
            if not self.try_acquire():
                import time

                # The holder writes who it is just after it gets the lock: give it a moment,
                # so that the one line said names it (and say nothing if the lock comes free).
                holder = None
                for _ in range(20):
                    holder = self.holder()
                    if holder or self.try_acquire():
                        break
                    time.sleep(0.025)
                if not self.held:
                    self._say(f"waiting for {self.env_dir}: in use by {holder or 'another process'}")
                    super().acquire()
        except LockUnsafe as exc:
            raise PermissionRefused(str(exc.strerror or exc)) from None
        except OSError as exc:
            raise PermissionRefused(f"cannot lock {self.env_dir} ({self.path}): {exc.strerror}") from None
        self.write_holder(f"pid {os.getpid()}: safepip {' '.join(sys.argv[1:])}")

    def __enter__(self) -> EnvLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def keep_through_exec(self) -> bool:
        """Make the lock's descriptor survive exec, so pip holds the lock until it exits
        (:meth:`FileLock.inherit`).

        The lock is an ``flock`` on that descriptor's open file: it lives as long as some
        process holds the descriptor open, and exec keeps inheritable descriptors open.
        Return False where that cannot be (Windows runs pip as a child): the caller must
        then keep the lock by waiting for pip.
        """
        return self.inherit()
