"""safepip's front door: the answers that need nothing but ``os``, ``sys`` and ``marshal``.

safepip stands in front of every pip call, so the commonest calls must cost next to
nothing. Two are answered here, before any other module is imported:

* **An active virtual environment** (``VIRTUAL_ENV`` naming a venv that has pip): every pip
  command passes through unchanged, which is ``plan()``'s rule for a target that is a
  virtual environment. safepip execs the environment's pip at once. Anything this module is
  not sure of (``--python``, ``--version``, help, safepip's own flags and variables, an
  ``install`` the fast path may answer) takes the full path, which decides the same way
  (tests/test_quick.py checks that they agree).

* **A no-op install answered before**: when the full path answers an ``install`` itself
  (every requirement already satisfied, see :mod:`safepip.fastpath`), it remembers the
  answer with the signature (inode, size, mode, owner, modification time) of every file and
  directory the answer depended on: the working directory's ancestors, the interpreter and
  its marker, the configuration files, the environment and its site-packages directories,
  the requirement files, pip's configuration files, the PATH entries searched. The same
  command line, in the same directory with the same environment variables, is answered
  from memory while all of them are unchanged. pip changes a site-packages directory's
  entries whenever it installs, upgrades or removes anything, so its modification time
  moves. Signatures younger than two seconds are never remembered (a file system may keep
  coarser times than that: git's "racy clean" rule).
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at start-up: for the type checker only
    from typing import Any, Iterable, Mapping, Sequence

#: Bump when what is remembered, or how, changes.
MEMO_FORMAT = 1
#: Signatures changed more recently than this (seconds) are not trusted yet.
RACY = 2.0
_WINDOWS = sys.platform == "win32"
#: safepip's variables that cannot change what the full path does in an active venv.
_INERT = frozenset({"SAFEPIP_NO_FASTPATH", "SAFEPIP_CACHE_DIR", "SAFEPIP_CONFIG_DIR", "SAFEPIP_DATA_DIR",
                    "SAFEPIP_BIN_DIR", "SAFEPIP_NO_PROBE_CACHE", "SAFEPIP_ALLOW_ROOT"})
#: Environment variables a remembered answer depends on, besides every PIP_* and SAFEPIP_*.
_ENV_KEYS = (
    "VIRTUAL_ENV", "CONDA_PREFIX", "PATH", "HOME", "PYTHONPATH", "PYTHONHOME", "NO_COLOR", "FORCE_COLOR",
    "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", "XDG_CACHE_HOME", "SUDO_UID", "SUDO_USER",
    "LANG", "LC_ALL", "LC_MESSAGES",
)


def bin_python(env_dir: str) -> str:
    """The interpreter inside a virtual environment directory."""
    if _WINDOWS:
        return os.path.join(env_dir, "Scripts", "python.exe")
    return os.path.join(env_dir, "bin", "python")


def venv_of(python: str) -> str | None:
    """The virtual environment an interpreter path belongs to, by CPython's own rule:
    ``pyvenv.cfg`` in the executable's directory or its parent.
    """
    bindir = os.path.dirname(python)
    for candidate in (bindir, os.path.dirname(bindir)):
        if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
            return candidate
    return None


def site_packages(env_dir: str) -> list[str]:
    """The site-packages directories of a virtual environment that exist."""
    if _WINDOWS:  # pragma: no cover
        candidates = [os.path.join(env_dir, "Lib", "site-packages")]
    else:
        lib = os.path.join(env_dir, "lib")
        try:
            candidates = [os.path.join(lib, e, "site-packages") for e in sorted(os.listdir(lib))]
        except OSError:
            return []
    return [c for c in candidates if os.path.isdir(c)]


def has_pip(env_dir: str) -> bool:
    """Whether pip is installed in the environment (its site-packages holds ``pip/``)."""
    return any(os.path.isdir(os.path.join(site, "pip")) for site in site_packages(env_dir))


# -- an active virtual environment ---------------------------------------------------------


def _unsure(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether the full path must look at this call (it may do more than pass through)."""
    if any(k.startswith("SAFEPIP_") and k not in _INERT for k in environ) or "CONDA_PREFIX" in environ:
        return True
    fast = environ.get("SAFEPIP_NO_FASTPATH") != "1"
    for arg in argv:
        if arg == "--":
            break
        if arg.startswith("--"):
            name = arg.split("=", 1)[0]
            # --python (and its abbreviations) picks another target; --version and --help
            # print safepip's part too; --safepip-* are safepip's own flags.
            if name.startswith(("--py", "--safepip")) or (len(name) > 5 and "--version".startswith(name)):
                return True
            if len(name) > 2 and "--help".startswith(name):
                return True
        elif (arg.startswith("-") and len(arg) > 1 and ("h" in arg or "V" in arg)) or arg == "help" or (fast and arg == "install"):
            return True
    return False


def passthrough(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    """Exec the active virtual environment's pip with ``argv`` when that is certainly what
    the full path would do; return (doing nothing) otherwise.
    """
    env_dir = environ.get("VIRTUAL_ENV")
    if not env_dir or _WINDOWS or _unsure(argv, environ):
        return
    python = bin_python(env_dir)
    if not (os.access(python, os.X_OK) and venv_of(python) and has_pip(env_dir)):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        try:
            if os.stat(env_dir).st_uid != 0:
                return  # root in another user's environment: the full path applies the sudo rule
        except OSError:
            return
    try:
        os.getcwd()
    except OSError:
        return  # the full path says what is wrong
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(python, [python, "-m", "pip", *argv])  # noqa: S606 - becoming pip is the point
    except OSError:
        return  # the full path reports it


# -- remembered no-op answers --------------------------------------------------------------


def memo_dir(environ: Mapping[str, str]) -> str | None:
    """Where answers are remembered (None where only platformdirs knows the cache directory)."""
    from .paths import linux_cache_dir

    base = linux_cache_dir(environ)
    return None if base is None else os.path.join(base, "noop")


def memo_key(argv: Sequence[str], environ: Mapping[str, str], cwd: str) -> tuple[Any, ...]:
    """Everything a remembered answer is only valid for, exactly."""
    from . import __version__

    variables = tuple(
        sorted((k, v) for k, v in environ.items() if k.startswith(("PIP_", "SAFEPIP_")) or k in _ENV_KEYS)
    )
    ttys = tuple(_isatty(s) for s in (sys.stdout, sys.stderr))
    euid = os.geteuid() if hasattr(os, "geteuid") else -1
    return (MEMO_FORMAT, __version__, tuple(argv), cwd, variables, ttys, euid)


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


def _memo_file(directory: str, key: tuple[Any, ...]) -> str:
    import zlib

    # repr, not marshal: marshal's bytes for equal values differ with interning.
    name = "%08x.memo" % zlib.crc32(repr(key).encode("utf-8", "surrogateescape"))  # noqa: UP031
    return os.path.join(directory, name)


def remember(
    argv: Sequence[str],
    environ: Mapping[str, str],
    cwd: str,
    paths: Iterable[str],
    stdout: str,
    stderr: str,
    owned: Iterable[str] = (),
) -> bool:
    """Remember an answer that depended on ``paths`` (whole signatures) and on the mode and
    owner of ``owned``; return whether it was remembered (not when a path changed too
    recently for its signature to be trusted, or when the cache cannot be written).
    """
    import time

    directory = memo_dir(environ)
    if directory is None:
        return False
    checks: list[tuple[str, bool, tuple[int, ...] | None]] = []
    horizon = time.time_ns() - int(RACY * 1e9)
    whole = dict.fromkeys(paths)
    for path in whole:
        sig = signature(path)
        if sig is not None and sig[5] > horizon:
            return False
        checks.append((path, False, sig))
    checks.extend((path, True, signature(path, True)) for path in dict.fromkeys(owned) if path not in whole)
    key = memo_key(argv, environ, cwd)
    target = _memo_file(directory, key)
    from .safefs import write

    return write(target, marshal.dumps((key, tuple(checks), stdout, stderr)), os.path.dirname(directory))


def replay(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """Print a remembered answer and return 0, or return None when there is none that holds."""
    if environ.get("SAFEPIP_NO_FASTPATH") == "1" or environ.get("SAFEPIP_DEBUG") == "1" or "install" not in argv:
        return None
    directory = memo_dir(environ)
    if directory is None:
        return None
    from .safefs import read

    try:
        cwd = os.getcwd()
        key = memo_key(argv, environ, cwd)
        # marshal, not pickle: it builds plain values and runs nothing; and the file counts
        # only when it is the user's own, private, in private directories (safefs).
        raw = read(_memo_file(directory, key), os.path.dirname(directory))
        if raw is None:
            return None
        stored_key, checks, stdout, stderr = marshal.loads(raw)  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if stored_key != key:
        return None
    for path, owner_only, sig in checks:
        if signature(path, owner_only) != sig:
            return None
    sys.stderr.write(stderr)
    sys.stderr.flush()
    sys.stdout.write(stdout)
    sys.stdout.flush()
    return 0


def ancestors(path: str) -> list[str]:
    """``path`` and every directory above it, up to the root."""
    result = [path]
    while True:
        parent = os.path.dirname(result[-1])
        if parent == result[-1]:
            return result
        result.append(parent)


def answer(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """The front door: an exit code when answered here, None for the full path."""
    code = replay(argv, environ)
    if code is not None:
        return code
    passthrough(argv, environ)
    return None
