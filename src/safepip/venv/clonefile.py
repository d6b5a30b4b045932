"""A private copy of a file: a reflink clone where the file system offers one, else the
bytes; never a hard link (see :func:`put`). Used for the byte code new environments get
(:mod:`safepip.venv.bytecode`).
"""

from __future__ import annotations

import contextlib
import os
import sys

#: Linux's FICLONE ioctl: a copy-on-write clone of a whole file (btrfs, XFS, bcachefs...).
_FICLONE = 0x40049409


def put(source: str, target: str, data: bytes, mode: int) -> None:
    """Make ``target`` a new file holding ``data``, the content of ``source``: a reflink
    clone where the file system offers one, else a copy. Never a hard link: files shared
    between environments would share their owner and mode too (a ``chmod -R`` or ``chown -R``
    of one project would change the others), and anyone able to write one could change
    them all. An existing ``target`` is left alone (FileExistsError).

    The file is created with ``O_EXCL`` (never through a planted link) and removed again if
    it cannot be written whole. It is written in place: the environment (or the cache
    entry) it goes into is still being made, and nothing runs there until it is whole (a
    creation killed midway is rebuilt).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(target, flags, mode)
    try:
        if not _clone(source, fd):
            view = memoryview(data)
            while view:
                view = view[_write(fd, view) :]
    except OSError:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise
    os.close(fd)


_write = os.write  # (a name of this module's: tests cut a copy short through it)
_CLONES = [sys.platform.startswith("linux")]


def _clone(source: str, fd: int) -> bool:
    """Clone ``source`` into the open file ``fd`` (Linux's FICLONE); False where the file
    system cannot (then it is not tried again in this process).
    """
    if not _CLONES[0]:
        return False
    try:
        import fcntl

        src = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            fcntl.ioctl(fd, _FICLONE, src)
        finally:
            os.close(src)
    except (OSError, ImportError):
        _CLONES[0] = False
        return False
    return True
