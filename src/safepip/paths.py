"""Where safepip keeps its own files: one place, overridable for tests and odd setups; and
how they are read and written: private, never followed, never half-written.

Defaults come from platformdirs (``~/.cache/safepip``, ``~/.config/safepip``,
``~/.local/share/safepip`` on Linux, honouring the XDG variables). ``SAFEPIP_CACHE_DIR``,
``SAFEPIP_CONFIG_DIR`` and ``SAFEPIP_DATA_DIR`` override each. On Linux the XDG rule that
platformdirs applies there is computed here (importing platformdirs costs more than the rest
of a cached probe); elsewhere platformdirs is imported when a default is needed. Launchers
go to the user's bin directory: ``SAFEPIP_BIN_DIR``, else ``XDG_BIN_HOME``, else ``~/.local/bin``.

Everything safepip keeps (probe results, remembered answers, lock notes, byte code) lives
under one cache root. A file there is believed only when it and every directory from it up
to the cache root are owned by the user running safepip and writable by nobody else, and
when no directory above the cache root lets another user replace it (owned by that user or
root; writable by others only with the sticky bit). Anything else is ignored with one
warning, never followed: files are opened with ``O_NOFOLLOW``, written to a new file made
with ``O_CREAT | O_EXCL`` and renamed into place (:func:`replace_file`, the one atomic
write). Directories are made ``0700`` and files ``0600``, whatever the umask.

Only ``os``, ``stat`` and ``sys`` are imported with the module (``pwd``, ``grp`` and
platformdirs inside the functions that need them): the remembered-answer path reads these
files before anything else is loaded.
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import BinaryIO, Callable, Mapping

#: platformdirs' Unix rule: the XDG variable if it is not blank, else this under HOME.
_XDG = {"cache": ("XDG_CACHE_HOME", "~/.cache"), "config": ("XDG_CONFIG_HOME", "~/.config"),
        "data": ("XDG_DATA_HOME", "~/.local/share")}
_LINUX = sys.platform.startswith("linux")
_POSIX = hasattr(os, "geteuid")
#: As root, the directories already judged in this process, as chosen -> why root could not
#: trust it (None: it can); the judgement itself (:func:`root_problem`) keeps its own by
#: real path: this spares every later lookup of a directory the call into it.
_JUDGED: dict[str, str | None] = {}


def _root_problem(chosen: str) -> str | None:
    if chosen not in _JUDGED:
        _JUDGED[chosen] = root_problem(chosen)
    return _JUDGED[chosen]


def _dir(environ: Mapping[str, str], variable: str, kind: str) -> str:
    override = environ.get(variable)
    if override:
        return os.path.abspath(os.path.expanduser(override))
    if _LINUX:
        xdg, fallback = _XDG[kind]
        base = os.environ.get(xdg, "")  # platformdirs reads the process environment
        return os.path.join(base if base.strip() else os.path.expanduser(fallback), "safepip")
    import platformdirs

    return str(getattr(platformdirs, f"user_{kind}_dir")("safepip", appauthor=False))


def linux_cache_dir(environ: Mapping[str, str]) -> str | None:
    """The cache directory where it is known without platformdirs (None elsewhere)."""
    if environ.get("SAFEPIP_CACHE_DIR") or _LINUX:
        return cache_dir(environ)
    return None


def cache_dir(environ: Mapping[str, str]) -> str:
    """Probe results, locks, remembered answers and byte code.

    As root, a cache directory that root could not trust (one inside another user's HOME:
    ``sudo -E``, sudo's ``env_keep``, ``su`` without ``-``) is never used: root's own cache,
    under its home directory from the password database, is used instead.
    """
    chosen = _dir(environ, "SAFEPIP_CACHE_DIR", "cache")
    if _POSIX and os.geteuid() == 0:
        why = _root_problem(chosen)
        if why is not None:
            own = root_own_dir("cache")
            if os.path.isdir(chosen):  # the user's own cache: say once why it is not shared
                warn(f"not using the cache {chosen}: {why}; root uses its own, {own}")
            return own
    return chosen


class Dirs:
    """safepip's own directories for one environment (:class:`safepip.session.Session` holds
    the call's): each worked out when first asked, then kept, so that the rules (and, as
    root, the warning about a directory not used) run once, and only for the calls that use it.
    """

    #: Each worked out by :meth:`__getattr__` when first asked, then a plain attribute (what
    #: functools.cached_property does; functools, with collections, is a cold call's share of a
    #: millisecond to import).
    cache: str  #: the cache directory (:func:`cache_dir`)
    linux_cache: str | None  #: the same where it is known without platformdirs (:func:`linux_cache_dir`)
    config_file: str  #: the user configuration file (:func:`user_config_file`)
    data: str  #: the data directory (:func:`data_dir`), where the records' key is

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def __getattr__(self, name: str) -> str | None:
        # Called only for an attribute not set yet.
        value: str | None
        if name in ("cache", "linux_cache"):
            known = bool(self.environ.get("SAFEPIP_CACHE_DIR")) or _LINUX  # without platformdirs
            if name == "linux_cache" and not known:
                self.linux_cache = None
                return None
            self.cache = cache_dir(self.environ)
            # Both at once: whichever is asked later is then a plain attribute, no call.
            self.linux_cache = self.cache if known else None
            return self.cache if name == "cache" else self.linux_cache
        if name == "config_file":
            value = user_config_file(self.environ)
        elif name == "data":
            value = data_dir(self.environ)
        else:
            raise AttributeError(name)
        setattr(self, name, value)
        return value


def root_own_dir(kind: str) -> str:
    """root's own cache (or config, data, bin) directory, from its home in the password database."""
    import pwd

    if kind == "bin":
        return os.path.join(pwd.getpwuid(0).pw_dir, ".local", "bin")
    _, fallback = _XDG[kind]
    return os.path.join(pwd.getpwuid(0).pw_dir, fallback[2:], "safepip")


def config_dir(environ: Mapping[str, str]) -> str:
    """The user configuration file's directory. As root, one that root could not trust
    (another user's, as with ``sudo -E``) is not read: it could name an interpreter, or
    trust every directory. root's own is used instead.
    """
    chosen = _dir(environ, "SAFEPIP_CONFIG_DIR", "config")
    if _POSIX and os.geteuid() == 0:
        why = _root_problem(chosen)
        if why is not None:
            own = root_own_dir("config")
            if os.path.isfile(os.path.join(chosen, "config.toml")):
                warn(f"not reading {os.path.join(chosen, 'config.toml')}: {why}; root reads only its own, {own}")
            return own
    return chosen


def data_dir(environ: Mapping[str, str]) -> str:
    """Per-user environments, shell-init's launchers and safepip's own installation. As
    root, one that root could not trust (another user's, as with ``sudo -E``) is not used:
    root's own is, so that root leaves no root-owned files in the user's HOME.
    """
    return _roots_own(_dir(environ, "SAFEPIP_DATA_DIR", "data"), "data")


def _roots_own(chosen: str, kind: str) -> str:
    """``chosen``, or as root root's own directory of ``kind`` when root could not trust it."""
    if _POSIX and os.geteuid() == 0 and _root_problem(chosen) is not None:
        return root_own_dir(kind)
    return chosen


def virtualenv_app_data(environ: Mapping[str, str]) -> str | None:
    """As root, when virtualenv's own app-data directory (``VIRTUALENV_OVERRIDE_APP_DATA``,
    else ``~/.cache/virtualenv``) is one root could not trust (another user's HOME): root's
    own, so that root neither writes there nor seeds its environments from a pip another
    user could have replaced. None: virtualenv's own choice is fine.
    """
    if not (_POSIX and os.geteuid() == 0):
        return None
    chosen = environ.get("VIRTUALENV_OVERRIDE_APP_DATA", "").strip()
    if not chosen:
        base = environ.get("XDG_CACHE_HOME", "")
        chosen = os.path.join(base if base.strip() else os.path.expanduser("~/.cache"), "virtualenv")
    if _root_problem(os.path.abspath(chosen)) is None:
        return None
    return os.path.join(os.path.dirname(root_own_dir("cache")), "virtualenv")  # beside root's safepip cache


def own_dirs(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Every directory safepip keeps its own files in (cache, configuration, data, and the
    XDG state directory), as chosen and, as root, root's own as well: no project may place
    its environment in or over one of them.
    """
    found = [_dir(environ, variable, kind) for variable, kind in
             (("SAFEPIP_CACHE_DIR", "cache"), ("SAFEPIP_CONFIG_DIR", "config"), ("SAFEPIP_DATA_DIR", "data"))]
    state = os.environ.get("XDG_STATE_HOME", "")  # the XDG rule, as for the others
    found.append(os.path.join(state if state.strip() else os.path.expanduser("~/.local/state"), "safepip"))
    if _POSIX and os.geteuid() == 0:
        found.extend(root_own_dir(kind) for kind in ("cache", "config", "data"))
    return tuple(dict.fromkeys(found))


def user_config_file(environ: Mapping[str, str]) -> str:
    """The user configuration file (``config.toml``)."""
    return os.path.join(config_dir(environ), "config.toml")


def bin_dir(environ: Mapping[str, str]) -> str:
    """The user's bin directory, where ``self-install`` puts the ``safepip`` launcher (as
    root, never one in another user's HOME: root's own ``~/.local/bin`` instead).
    """
    for variable in ("SAFEPIP_BIN_DIR", "XDG_BIN_HOME"):
        value = environ.get(variable)
        if value and os.path.isabs(os.path.expanduser(value)):
            return _roots_own(os.path.abspath(os.path.expanduser(value)), "bin")
    return _roots_own(os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".local", "bin"), "bin")


def on_path(directory: str, environ: Mapping[str, str]) -> bool:
    """Whether ``directory`` is one of the entries of ``environ``'s PATH (``os.defpath`` when
    it is unset), compared as real paths. Entries are taken as written, as ``exec`` and
    ``shutil.which`` take them (no ``~`` expansion).
    """
    wanted = os.path.realpath(directory)
    return any(e and os.path.realpath(e) == wanted for e in environ.get("PATH", os.defpath).split(os.pathsep))


def user_env_dir(environ: Mapping[str, str], version: tuple[int, ...]) -> str:
    """The per-user environment for a target interpreter's ``major.minor`` version."""
    return os.path.join(data_dir(environ), "envs", f"py{version[0]}.{version[1]}")


# safepip's own files: private, never followed, never half-written.

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
    """The directories from ``root`` (included) down to ``path`` (included), both absolute
    and normal (``os.path.abspath``'s): what ``os.path.relpath`` would tell, without its work.
    """
    if path == root:
        return [root]
    head = root if root.endswith(os.sep) else root + os.sep
    rel = path[len(head):]
    if not path.startswith(head) or rel.startswith(os.pardir):
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
            why = _make_private(level)
            if why is not None:
                return why
    for level in levels:
        why = _make_private(level) if create else None
        if why is None:
            why = _own_dir(level, fix=create)
        if why is not None:
            return why
    return None


def _make_private(level: str) -> str | None:
    """Make the directory ``level`` (mode 0700) unless it exists; why it cannot be, or None."""
    try:
        os.mkdir(level, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        return f"{level} cannot be created ({exc.strerror})"
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
        st = os.fstat(fd)
        why = _file_problem(st) or directory_problem(os.path.dirname(path), root)
        if why is not None:
            warn(f"ignoring {path}: {why}")
            return None
        return read_upto(fd, st.st_size)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_upto(fd: int, size: int, limit: int | None = None) -> bytes:
    """What the file open as ``fd`` holds from where it is (all of it; the first ``limit``
    bytes), read in steps of its ``size`` (as ``fstat`` told it) and one byte more, 1 MiB at most: a
    small file in one read and its end in the next, where a read of a fixed 1 MiB would first
    allocate that much (some 0.1 ms the first time in a process). A file that grew meanwhile
    is read on to its end.
    """
    step = min(max(size + 1, 4096), 1 << 20)
    chunks: list[bytes] = []
    got = 0
    while limit is None or got < limit:
        chunk = os.read(fd, step if limit is None else min(step, limit - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


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
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    try:
        fd = os.open(tmp, flags, mode)
    except FileExistsError:  # left by a killed process with our pid: ours to replace
        try:  # noqa: SIM105 - contextlib costs an import on the remembered-answer path
            os.unlink(tmp)
        except OSError:
            pass
        fd = os.open(tmp, flags, mode)
    try:
        if exact_mode and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        if isinstance(content, bytes):  # written as it is: no file object needed
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view):]
            if durable:
                os.fsync(fd)
            os.close(fd)
            fd = -1
        else:
            with os.fdopen(fd, "wb") as handle:
                fd = -1
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
