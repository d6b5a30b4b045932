"""The lock on one environment: creation and pip runs that change an environment are
serialized across processes with a file lock kept outside the environment (under the cache
directory, keyed on the environment's path). The lock's descriptor is inheritable, so it
stays held through the exec into pip and is released when pip exits.
"""

from __future__ import annotations

import os
import sys

from safepip.errors import PermissionRefused
from safepip.filelock import FileLock, LockUnsafe

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Callable

    from safepip.paths import Dirs


def lock_path(env_dir: str, dirs: Dirs) -> str:
    """The lock file of an environment: outside it, so that it survives a rebuild (in the
    cache of ``dirs``, the session's).
    """
    import hashlib  # here: OpenSSL's loading is paid by the calls that lock

    key = hashlib.sha256(os.path.realpath(env_dir).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return os.path.join(dirs.cache, "locks", f"{key}.lock")


class EnvLock(FileLock):
    """An exclusive, cross-process lock on one environment (a :class:`safepip.filelock.FileLock`
    on the environment's lock file), held until released or until the process that exec'd
    with it exits.

    As a context manager it is held for the block and released after it, unless the block
    handed it to pip (:meth:`keep_through_exec`, then exec): exec does not come back, and pip
    holds it until it exits.
    """

    def __init__(self, env_dir: str, dirs: Dirs, say: Callable[[str], object]) -> None:
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
        (:meth:`safepip.filelock.FileLock.inherit`).

        The lock is an ``flock`` on that descriptor's open file: it lives as long as some
        process holds the descriptor open, and exec keeps inheritable descriptors open.
        Return False where that cannot be (Windows runs pip as a child): the caller must
        then keep the lock by waiting for pip.
        """
        return self.inherit()
