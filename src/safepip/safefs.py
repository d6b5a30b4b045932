"""safepip's own files (probe results, remembered answers, lock notes, byte code): private,
never followed, never half-written.

Everything safepip keeps lives under one cache root. A file there is believed only when it
and every directory from it up to the cache root are owned by the user running safepip and
writable by nobody else, and when no directory above the cache root lets another user
replace it (owned by that user or root; writable by others only with the sticky bit).
Anything else is ignored with one warning, never followed: files are opened with
``O_NOFOLLOW``, written to a new file made with ``O_CREAT | O_EXCL`` and renamed into
place. Directories are made ``0700`` and files ``0600``, whatever the umask.

Only ``os`` and ``stat`` are imported: the remembered-answer path reads these files before
anything else is loaded.
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import BinaryIO, Callable

_POSIX = hasattr(os, "geteuid")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a planted FIFO must not hang the read
_WRITABLE = stat.S_IWGRP | stat.S_IWOTH
#: Cache roots already judged in this process: real path -> the problem (None: fine).
_ROOTS: dict[str, str | None] = {}
_WARNED: set[str] = set()


def _stderr(message: str) -> None:
    if message in _WARNED:
        return
    _WARNED.add(message)
    sys.stderr.write(f"safepip: warning: {message}\n")
    sys.stderr.flush()


#: Where warnings go (one line each, once per process).
warn: Callable[[str], object] = _stderr


def user_name(uid: int) -> str:
    """A user as messages name it: ``alice (uid 1000)``, or ``uid 1000`` without an account."""
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def private_group(st: os.stat_result) -> bool:
    """Whether the group holds only the owner (a user private group, umask 002's setting)."""
    try:
        import grp
        import pwd

        owner = pwd.getpwuid(st.st_uid).pw_name
        group = grp.getgrgid(st.st_gid)
    except (ImportError, KeyError):
        return False
    return group.gr_name == owner and set(group.gr_mem) <= {owner}


def _others_write(st: os.stat_result) -> bool:
    return bool(st.st_mode & stat.S_IWOTH or (st.st_mode & stat.S_IWGRP and not private_group(st)))


def root_problem(root: str) -> str | None:
    """Why the cache root ``root`` cannot be trusted, or None. A root that does not exist
    yet is judged by the directories it would be made in.
    """
    if not _POSIX:  # pragma: no cover - Windows: no uids to check
        return None
    real = os.path.realpath(root)
    if real in _ROOTS:
        return _ROOTS[real]
    euid = os.geteuid()
    why: str | None = None
    current = real
    while True:
        try:
            st = os.stat(current)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            why = f"{current} cannot be read ({exc.strerror})"
            break
        if st is not None:
            mode = stat.S_IMODE(st.st_mode)
            if current == real:
                if st.st_uid != euid:
                    why = f"{current} is owned by {user_name(st.st_uid)}, not by you"
                    break
            elif st.st_uid not in (euid, 0):
                why = f"{current}, above it, is owned by {user_name(st.st_uid)}"
                break
            if _others_write(st) and not (current != real and st.st_mode & stat.S_ISVTX):
                why = f"{current} is writable by other users (mode {mode:04o})"
                break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    _ROOTS[real] = why
    return why


def _levels(path: str, root: str) -> list[str] | None:
    """The directories from ``root`` (included) down to ``path`` (included)."""
    rel = os.path.relpath(path, root)
    if rel == os.curdir:
        return [root]
    if rel.startswith(os.pardir):
        return None
    levels = [root]
    for part in rel.split(os.sep):
        levels.append(os.path.join(levels[-1], part))
    return levels


def _own_dir(path: str, fix: bool) -> str | None:
    """Why ``path`` is not a private directory of this user's (None: it is)."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror})"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a directory"
    if st.st_uid != os.geteuid():
        return f"{path} is owned by {user_name(st.st_uid)}, not by you"
    if st.st_mode & _WRITABLE:
        if not fix:
            return f"{path} is writable by other users (mode {stat.S_IMODE(st.st_mode):04o})"
        try:  # our own directory, made so by an old umask: make it private again
            os.chmod(path, stat.S_IMODE(st.st_mode) & ~_WRITABLE, follow_symlinks=False)
        except OSError as exc:
            return f"{path} is writable by other users and cannot be changed ({exc.strerror})"
        warn(f"{path} was writable by other users (mode {stat.S_IMODE(st.st_mode):04o}); made it private")
    return None


def directory_problem(directory: str, root: str, *, create: bool = False) -> str | None:
    """Why files in ``directory`` (``root`` or below it) cannot be trusted, or None.
    With ``create``, missing directories are made (mode 0700).
    """
    if not _POSIX:  # pragma: no cover - Windows
        if create:
            os.makedirs(directory, exist_ok=True)
        return None
    why = root_problem(root)
    if why is not None:
        return why
    levels = _levels(os.path.abspath(directory), os.path.abspath(root))
    if levels is None:
        return f"{directory} is not inside {root}"
    if create:
        above = []  # missing directories above the root (a first ~/.cache): private too
        current = os.path.dirname(levels[0])
        while not os.path.lexists(current) and os.path.dirname(current) != current:
            above.append(current)
            current = os.path.dirname(current)
        for level in reversed(above):
            try:
                os.mkdir(level, 0o700)
            except FileExistsError:
                pass
            except OSError as exc:
                return f"{level} cannot be created ({exc.strerror})"
    for level in levels:
        if create:
            try:
                os.mkdir(level, 0o700)
            except FileExistsError:
                pass
            except OSError as exc:
                return f"{level} cannot be created ({exc.strerror})"
        why = _own_dir(level, fix=create)
        if why is not None:
            return why
    return None


def _file_problem(st: os.stat_result) -> str | None:
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    if _POSIX and st.st_uid != os.geteuid():
        return f"it is owned by {user_name(st.st_uid)}, not by you"
    if _POSIX and st.st_mode & _WRITABLE:
        return f"it is writable by other users (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def private_file(path: str, root: str) -> bool:
    """Whether ``path`` is a private file of the user's own under ``root`` (not followed)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return _file_problem(st) is None and directory_problem(os.path.dirname(path), root) is None


def read(path: str, root: str) -> bytes | None:
    """The content of the private file ``path`` under the cache root ``root``, or None when
    it is missing or cannot be trusted (then with a warning).
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if os.path.islink(path):
            warn(f"ignoring {path}: it is a symbolic link")
        elif os.path.lexists(path):
            warn(f"ignoring {path}: {exc.strerror}")
        return None
    try:
        why = _file_problem(os.fstat(fd)) or directory_problem(os.path.dirname(path), root)
        if why is not None:
            warn(f"ignoring {path}: {why}")
            return None
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


def replace_file(
    path: str, content: bytes | Callable[[BinaryIO], object], *, mode: int = 0o600, exact_mode: bool = False,
    tmp: str | None = None, durable: bool = False,
) -> None:
    """Write ``path`` atomically: a new file beside it (``tmp``, default ``PATH.<pid>.tmp``),
    made with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (never written through a planted link), filled
    with ``content`` (bytes, or a function that writes to the open file), then renamed over
    whatever was there. Readers see the old file or the new one, never half of it.

    The new file gets ``mode`` less the umask, or exactly ``mode`` with ``exact_mode``; with
    ``durable`` it reaches the disk before the rename (a state a crash must not lose). A
    temporary file left by a killed process with this pid is replaced. Raises what the
    writing raised (``OSError``...), the temporary file removed.
    """
    tmp = f"{path}.{os.getpid()}.tmp" if tmp is None else tmp
    try:  # noqa: SIM105 - contextlib costs an import on the remembered-answer path
        os.unlink(tmp)  # left by a killed process with our pid: ours to replace
    except OSError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode)
    try:
        if exact_mode and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            if isinstance(content, bytes):
                handle.write(content)
            else:
                content(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:  # noqa: SIM105 - as above
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write(path: str, data: bytes, root: str) -> bool:
    """Write ``data`` as the private file ``path`` under ``root``, atomically
    (:func:`replace_file`, mode 0600 whatever the umask). Return whether it was written.
    """
    directory = os.path.dirname(path)
    why = directory_problem(directory, root, create=True)
    if why is not None:
        warn(f"not writing {path}: {why}")
        return False
    try:
        replace_file(path, data, mode=0o600, exact_mode=True)
    except OSError:
        return False
    return True


def unlink(path: str, root: str) -> None:
    """Remove ``path`` if it is in a directory of ours (removing a name never follows it)."""
    if directory_problem(os.path.dirname(path), root) is None:
        try:  # noqa: SIM105 - as above
            os.unlink(path)
        except OSError:
            pass
