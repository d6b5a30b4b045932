"""Remembered no-op answers and routes (standard library only: :mod:`safepip.front` replays them).

A call that pip must run is remembered as a route (pip's command line, the variables the full
path changes, its notice, the environment's lock), with the same signatures and, for
``install``, the environment's site-packages and everything the fast path read; replaying it
says the notice, takes the lock (busy: the full path waits and says for whom) and execs pip
with the lock's descriptor inherited.

When the full path answers an ``install`` itself (every requirement already satisfied, see
:mod:`safepip.fastpath.answer`), it remembers the answer with the signature (inode, size,
mode, owner, modification time) of every file and directory the answer depended on: the
working directory's ancestors, the interpreter and its marker, the configuration files, the
environment and its site-packages directories, the requirement files, pip's configuration
files, the PATH entries searched. The same command line, in the same directory with the same
environment variables, is answered from memory while all of them are unchanged. pip changes
a site-packages directory's entries whenever it installs, upgrades or removes anything, so
its modification time moves. Signatures younger than two seconds are never remembered (a
file system may keep coarser times than that: git's "racy clean" rule).

A **decision** is remembered beside them, for any command line of the same kind
(:mod:`safepip.remembered.decision`); its keys and :func:`recall_decision` (in this directory,
else for its project's anchor) are here, where the front door's answers for ``safepip run``
and the prompt hook find them without loading the rest of the decision's replay.
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Callable, Iterable, Mapping, Sequence, Tuple

    from safepip.paths import Dirs
    from safepip.venv.lock import FileLock

    #: argv, variable changes, redirected, lock path, suffix (None: exec); see stored_route().
    Route = Tuple[Tuple[str, ...], Tuple[Tuple[str, "str | None"], ...], bool, "str | None", "str | None"]

#: Bump when what is remembered, or how, changes.
MEMO_FORMAT = 5
#: The modulus of the memo files' names (2**61 - 1, a prime).
_MERSENNE = (1 << 61) - 1
_WINDOWS = sys.platform == "win32"
#: The directory safepip runs from (part of every key).
_HERE = os.path.dirname(os.path.abspath(__file__))
#: Signatures changed more recently than this (seconds) are not trusted yet.
RACY = 2.0
#: Environment variables a remembered answer depends on, besides every PIP_* and SAFEPIP_*.
_ENV_KEYS = (
    "VIRTUAL_ENV", "CONDA_PREFIX", "PATH", "HOME", "PYTHONPATH", "PYTHONHOME", "NO_COLOR", "FORCE_COLOR",
    "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", "XDG_CACHE_HOME", "SUDO_UID", "SUDO_USER",
    "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "PYENV_VERSION", "PYENV_ROOT", "PYENV_DIR",
)


#: The first item of a remembered decision's key, and of ``safepip run``'s (no command line
#: holds a NUL character, so no remembered command line shares a key with them).
DECISION = "\0decision"
RUN = "\0run"
#: The key of the environment shell-init's activation chooses (``safepip which env --for-activation``).
ACTIVATE = "\0activate"
#: Put before a decision's key when it is remembered for a project's anchor
#: (:func:`safepip.facts.walkup.anchor`) rather than for one directory.
ANCHORED = "\0anchored"


def memo_dir(environ: Mapping[str, str], dirs: Dirs | None = None) -> str | None:
    """Where answers are remembered (None where only platformdirs knows the cache directory):
    in ``dirs`` (the session's), else in those of ``environ``.
    """
    if dirs is None:
        from safepip.paths import Dirs

        dirs = Dirs(environ)
    base = dirs.linux_cache
    return None if base is None else os.path.join(base, "noop")


def memo_key(argv: Sequence[str], environ: Mapping[str, str], cwd: str) -> tuple[Any, ...]:
    """Everything a remembered answer is only valid for, exactly."""
    return _key(_surroundings(environ), argv, cwd)


def _surroundings(environ: Mapping[str, str]) -> tuple[Any, ...]:
    """What every key of one call holds besides its command line and directory (see
    :func:`memo_key`): worked out once for the keys a call looks up together.
    """
    from safepip import __version__
    from safepip.facts.toolvars import VARIABLES  # where the project's tools keep its environment

    # The names first: only the values kept are decoded (os.environ decodes each one it gives).
    variables = tuple(
        sorted((k, environ[k]) for k in environ
               if k.startswith(("PIP_", "SAFEPIP_")) or k in _ENV_KEYS or k in VARIABLES)
    )
    ttys = tuple(_isatty(s) for s in (sys.stdout, sys.stderr))
    euid = os.geteuid() if hasattr(os, "geteuid") else -1
    # which safepip answers: two installations of one version share the cache, and an answer
    # names its own (`--version` says where safepip runs from)
    where = (sys.executable, _HERE)
    return (__version__, variables, ttys, euid, where)


class Lookup:
    """What a decision's lookup (:func:`look_up_decision`) worked out for one call's
    environment, kept for the call's own :func:`remember`: what every key shares
    (``surroundings``, :func:`_surroundings`), the working directory ``cwd`` and its
    project's anchor ``spot`` (:func:`safepip.facts.walkup.anchor`; None: none).
    """

    __slots__ = ("cwd", "spot", "surroundings")

    def __init__(self, surroundings: tuple[Any, ...], cwd: str, spot: tuple[str, tuple[str, ...]] | None) -> None:
        self.surroundings = surroundings
        self.cwd = cwd
        self.spot = spot


def _key(surroundings: tuple[Any, ...], argv: Sequence[str], cwd: str) -> tuple[Any, ...]:
    version, variables, ttys, euid, where = surroundings
    return (MEMO_FORMAT, version, tuple(argv), cwd, variables, ttys, euid, where)


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def signature(path: str, owner_only: bool = False) -> tuple[int, ...] | None:
    """What must stay the same about ``path`` (None: it must stay absent). ``owner_only``
    keeps what the ownership rules read (mode and owner), not what changes with use.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    if owner_only:
        return (st.st_dev, st.st_ino, st.st_mode, st.st_uid)
    return (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _signature(path: str, owner_only: bool, known: Mapping[str, tuple[int, ...] | None]) -> tuple[int, ...] | None:
    """:func:`signature`, from ``known`` when it holds one of ``path`` (a whole one starts with
    what ``owner_only`` keeps).
    """
    if path in known:
        sig = known[path]
        if sig is None or owner_only:
            return None if sig is None else sig[:4]
        if len(sig) == 7:
            return sig
    return signature(path, owner_only)


def _memo_file(directory: str, key: tuple[Any, ...]) -> str:
    # repr, not marshal: marshal's bytes for equal values differ with interning. The name is
    # a hash of it computed without importing zlib (0.3 ms of the front door's ~1.5 ms); two
    # keys sharing a file only overwrite each other (the stored key is compared exactly).
    data = repr(key).encode("utf-8", "surrogateescape")
    name = "%016x.memo" % (int.from_bytes(data, "little") % _MERSENNE)
    return os.path.join(directory, name)


def remember(
    argv: Sequence[str],
    environ: Mapping[str, str],
    cwd: str,
    paths: Iterable[str],
    stdout: str,
    stderr: str,
    owned: Iterable[str] = (),
    route: tuple[Any, ...] | None = None,
    known: Mapping[str, tuple[int, ...] | None] | None = None,
    dirs: Dirs | None = None,
    lookup: Lookup | None = None,
) -> bool:
    """Remember an answer that depended on ``paths`` (whole signatures) and on the mode and
    owner of ``owned``; return whether it was remembered (not when a path changed too
    recently for its signature to be trusted, or when the cache cannot be written).
    With ``route``, what is remembered is that route (see :func:`stored_route`), and ``stdout`` and
    ``stderr`` are what safepip itself wrote before pip. ``known``: signatures checked a moment
    ago (a recalled decision's), by path, taken instead of a second ``stat`` (one changed since
    then only makes the answer fail its first recall). ``dirs``: the session's (:func:`memo_dir`).
    ``lookup``: what the call's lookup worked out for ``environ`` (what every key shares).
    """
    import time

    directory = memo_dir(environ, dirs)
    if directory is None:
        return False
    checks: list[tuple[str, bool, tuple[int, ...] | None]] = []
    horizon = time.time_ns() - int(RACY * 1e9)
    whole = dict.fromkeys(paths)
    known = known or {}
    for path in whole:
        sig = _signature(path, False, known)
        if sig is not None and sig[5] > horizon:
            return False
        checks.append((path, False, sig))
    # The most recently changed first: what changed last (a site-packages, after an install)
    # is what changes next, and recall stops at the first signature that differs.
    checks.sort(key=lambda check: -check[2][5] if check[2] is not None else 0)
    checks.extend((path, True, _signature(path, True, known)) for path in dict.fromkeys(owned) if path not in whole)
    key = memo_key(argv, environ, cwd) if lookup is None else _key(lookup.surroundings, argv, cwd)
    target = _memo_file(directory, key)
    from safepip.paths import write

    return write(target, marshal.dumps((key, tuple(checks), stdout, stderr, route)), os.path.dirname(directory))


def stored_route(
    argv: Sequence[str],
    changes: Mapping[str, str | None],
    redirected: bool,
    lock_path: str | None,
    suffix: str | None = None,
) -> Route:
    """A route to remember: pip's command line, the variables the full path sets (None:
    removes), whether safepip chose the environment (the redirect variables are cleaned and
    the umask floored, as the full path does), the lock to hold, and, for a route
    that runs pip as a child (``--help``), what to print after it (None: exec).
    """
    return (tuple(argv), tuple(sorted(changes.items())), redirected, lock_path, suffix)


def follow(
    stored: Route, stdout: str, stderr: str, environ: Mapping[str, str], *,
    held: FileLock | None = None, prepare: Callable[[], object] | None = None,
) -> int | None:
    """Take a remembered route: the same lines, the same lock, the same pip. None: the full
    path must (the lock is busy, or pip cannot be started). ``held`` is the route's lock
    when the caller took it already; ``prepare`` runs under the lock, before pip.
    """
    argv, changes, redirected, lock_path, suffix = stored
    if _WINDOWS or not os.access(argv[0], os.X_OK):
        if held is not None:
            held.release()
        return None
    if redirected:
        from safepip.venv.layout import floor_umask

        floor_umask()  # as the full path does for an environment safepip chose
    from safepip.runner import become, child_environ

    env = child_environ(environ, dict(changes), redirected)
    lock = held
    if lock is None and lock_path is not None:
        from safepip.venv.lock import FileLock

        lock = FileLock(lock_path)
        try:
            if not lock.try_acquire():
                return None  # the full path waits, and says for whom
        except OSError:
            return None  # the full path says what is wrong
        lock.write_holder(f"pid {os.getpid()}: safepip {' '.join(sys.argv[1:])}")
    sys.stderr.write(stderr)
    sys.stderr.flush()
    sys.stdout.write(stdout)
    sys.stdout.flush()
    if prepare is not None:
        prepare()
    if suffix is None:
        if lock is not None:
            lock.inherit()
        try:
            become(argv, env)
        except OSError:
            sys.stderr.write(f"safepip: cannot run {argv[0]}\n")
        if lock is not None:
            lock.release()
        return 69
    try:
        pid = os.posix_spawn(argv[0], list(argv), env)
        _, status = os.waitpid(pid, 0)
    except KeyboardInterrupt:
        return 130
    except OSError:
        sys.stderr.write(f"safepip: cannot run {argv[0]}\n")
        return 69
    finally:
        if lock is not None:
            lock.release()
    sys.stdout.write(suffix)
    sys.stdout.flush()
    return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8


def recall(
    argv: Sequence[str], environ: Mapping[str, str], cwd: str | None = None
) -> tuple[tuple[tuple[str, bool, tuple[int, ...] | None], ...], str, str, Any] | None:
    """What was remembered for ``argv`` in this directory (``cwd``: in that one, for a
    decision remembered for a project's anchor) with these variables, while every
    signature it depended on holds: its checks, what safepip wrote (stdout, stderr), and the
    route (None for an answer). None: nothing holds.
    """
    if _off(environ):
        return None
    directory = memo_dir(environ)
    if directory is None:
        return None
    try:
        key = memo_key(argv, environ, os.getcwd() if cwd is None else cwd)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return _recall(directory, key)


def _off(environ: Mapping[str, str]) -> bool:
    """Whether nothing remembered is used (``SAFEPIP_NO_FASTPATH``, ``SAFEPIP_DEBUG``)."""
    return environ.get("SAFEPIP_NO_FASTPATH") == "1" or environ.get("SAFEPIP_DEBUG") == "1"


def _recall(
    directory: str, key: tuple[Any, ...]
) -> tuple[tuple[tuple[str, bool, tuple[int, ...] | None], ...], str, str, Any] | None:
    """:func:`recall`, for the ``key`` worked out, in the memo ``directory``."""
    from safepip.paths import read

    try:
        # marshal, not pickle: it builds plain values and runs nothing; and the file counts
        # only when it is the user's own, private, in private directories (paths.read).
        raw = read(_memo_file(directory, key), os.path.dirname(directory))
        if raw is None:
            return None
        stored_key, checks, stdout, stderr, stored_route = marshal.loads(raw)  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if stored_key != key:
        return None
    for path, owner_only, sig in checks:
        if signature(path, owner_only) != sig:
            return None
    return checks, stdout, stderr, stored_route


def replay(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """Print a remembered answer and return 0, or take a remembered route (exec pip, or
    return its exit code); return None when there is none that holds, or when the answer
    could not be written.
    """
    found = recall(argv, environ)
    if found is None:
        return None
    _, stdout, stderr, stored_route = found
    if stored_route is not None:
        return follow(stored_route, stdout, stderr, environ)
    sys.stderr.write(stderr)
    sys.stderr.flush()
    sys.stdout.write(stdout)
    sys.stdout.flush()
    from safepip.stdio import stdout_error

    return None if stdout_error() is not None else 0  # not written: pip answers (act.flow)


def recall_decision(
    key: Sequence[str], environ: Mapping[str, str], dirs: Dirs | None = None
) -> tuple[Any, tuple[str, ...]] | None:
    """What :func:`recall` holds for a decision's ``key`` in this
    directory, else for its anchor (:func:`safepip.facts.walkup.anchor`, the blank directories
    crossed checked now), with the blank directories crossed; None: no decision holds.
    ``dirs``: the call's (:func:`memo_dir`). The memo directory and what both keys share
    are worked out once.
    """
    return look_up_decision(key, environ, dirs)[0]


def look_up_decision(
    key: Sequence[str], environ: Mapping[str, str], dirs: Dirs | None = None
) -> tuple[tuple[Any, tuple[str, ...]] | None, Lookup | None]:
    """:func:`recall_decision`, and what it worked out on the way (None: nothing, or it
    failed), for a full path that remembers in the same call (:func:`remember`).
    """
    if _off(environ):
        return None, None
    directory = memo_dir(environ, dirs)
    if directory is None:
        return None, None
    try:
        cwd = os.getcwd()
        surroundings = _surroundings(environ)
    except (OSError, ValueError, EOFError, TypeError):
        return None, None
    found = _recall(directory, _key(surroundings, key, cwd))
    if found is not None:
        return (found, ()), None
    from safepip.facts.walkup import anchor

    spot = anchor(cwd, environ)
    looked = Lookup(surroundings, cwd, spot)
    if spot is None:
        return None, looked
    found = _recall(directory, _key(surroundings, (ANCHORED, *key), spot[0]))
    return (None, looked) if found is None else ((found, spot[1]), looked)
