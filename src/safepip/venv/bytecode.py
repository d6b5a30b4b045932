"""Byte code for the pip that a new environment is seeded with.

virtualenv copies pip into a new environment without byte code, so pip's first run there
compiles the couple of hundred modules it imports: about half of a first install's time.
``python -m venv`` pays for it up front instead (ensurepip compiles every module).

safepip compiles pip once per interpreter and pip build, keeps the byte code in its cache,
and gives each environment it makes afterwards a copy of its own (a reflink clone where the
file system offers one; never a hard link, which would share one file between projects).
The files are *checked-hash* pycs (PEP 552): Python compares each one with a hash of its
source on import, and recompiles when they differ, so byte code from the cache is never run for a source it
was not made from. Tracebacks still name the environment's own files: the import system
rewrites a pyc's file names to the source it loads it for.

Byte code is code, so the cache is trusted only as far as safepip would trust its own
files: every directory and file on the way must belong to the user running safepip and
be writable by nobody else, and each pyc must match the SHA-256 recorded for it when the
entry was made (a torn or edited file is never copied). Everything here is best effort:
when anything is off, the environment is left as virtualenv made it and pip compiles what
it needs, as it would without safepip.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat

from safepip.venv.clonefile import put

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping

    from safepip.venv.layout import Base

#: Bumped when the layout of a cache entry changes.
FORMAT = 1
MANIFEST = "manifest.json"
_CACHE = "__pycache__"


def seed(env_dir: str, base: Base, environ: Mapping[str, str]) -> bool:
    """Give the pip in the new environment ``env_dir`` its byte code; return whether it got it.

    ``base`` is the interpreter the environment was made from.
    """
    found = _pip_package(env_dir)
    if found is None:
        return False
    package, key = found
    from safepip.paths import cache_dir
    from safepip.venv.layout import bin_python

    cache_root = cache_dir(environ)
    root = os.path.join(cache_root, "bytecode")
    entry = os.path.join(root, f"{FORMAT}-{base.implementation}-{'.'.join(map(str, base.version))}", key)
    manifest = trusted_manifest(entry)
    if manifest is None:
        if not compile_package(bin_python(env_dir), package):
            return False
        _store(package, entry, cache_root)
        return True
    return _copy_in(entry, manifest, package)


def _pip_package(env_dir: str) -> tuple[str, str] | None:
    """The environment's ``pip`` package directory, and a key naming its exact sources:
    pip's version and a hash of the RECORD lines of its ``.py`` files (their SHA-256s).
    """
    from safepip.venv.layout import site_packages

    for site in site_packages(env_dir):
        try:
            names = os.listdir(site)
        except OSError:
            continue
        infos = [os.path.join(site, n) for n in names if n.startswith("pip-") and n.endswith(".dist-info")]
        if len(infos) != 1 or not os.path.isdir(os.path.join(site, "pip")):
            continue
        version = os.path.basename(infos[0])[len("pip-") : -len(".dist-info")]
        try:
            with open(os.path.join(infos[0], "RECORD"), encoding="utf-8") as handle:
                lines = sorted(line for line in handle if line.startswith("pip/") and ".py," in line)
        except OSError:
            return None
        if not lines:
            return None
        digest = hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()[:20]
        return os.path.join(site, "pip"), f"pip-{version}-{digest}"
    return None


def compile_package(python: str, package: str) -> bool:
    """Compile every module of ``package`` with the environment's own interpreter, in
    parallel (``-j 0``: one worker per CPU).
    """
    from safepip.runner import capture

    argv = [python, "-I", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "checked-hash", package]
    try:
        done = capture(argv, cwd=os.sep)
    except OSError:
        return False
    return done.returncode == 0


def _pycs(package: str) -> list[str]:
    """The byte code files under ``package``, relative to it, with ``/`` between parts."""
    found: list[str] = []
    for directory, _dirs, files in os.walk(package):
        if os.path.basename(directory) == _CACHE:
            rel = os.path.relpath(directory, package).replace(os.sep, "/")
            found.extend(f"{rel}/{name}" for name in files if name.endswith(".pyc"))
    return sorted(found)


def _store(package: str, entry: str, cache_root: str) -> None:
    """Keep the byte code just compiled in ``package`` as the cache entry ``entry``: made
    aside and renamed into place whole, so that a reader never sees half an entry.
    """
    parent = os.path.dirname(entry)
    staging = f"{entry}.{os.getpid()}.tmp"
    from safepip.paths import directory_problem

    try:
        if directory_problem(parent, cache_root, create=True) is not None:
            return
        os.mkdir(staging, 0o700)  # whatever the umask: the entry is checked for it
        manifest = {}
        for rel in _pycs(package):
            source = os.path.join(package, *rel.split("/"))
            with open(source, "rb") as handle:
                data = handle.read()
            target = staging
            for part in rel.split("/")[:-1]:
                target = os.path.join(target, part)
                if not os.path.isdir(target):
                    os.mkdir(target, 0o700)
            target = os.path.join(target, rel.rsplit("/", 1)[-1])
            put(source, target, data, 0o600)  # the entry's files are this user's alone
            manifest[rel] = hashlib.sha256(data).hexdigest()
        fd = os.open(os.path.join(staging, MANIFEST), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle)
        if os.path.lexists(entry) and trusted_manifest(entry) is None:
            _discard(entry)  # torn, or not this user's own: replace it
        os.rename(staging, entry)
    except OSError:
        pass  # another process stored it first, or the cache is not writable: no harm
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    prune(parent, keep=os.path.basename(entry))


def _discard(path: str) -> None:
    """Remove a directory after renaming it aside, so that no reader sees it half gone."""
    aside = f"{path}.{os.getpid()}.gone.tmp"
    try:
        os.rename(path, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def prune(parent: str, keep: str) -> None:
    """Remove the entries for other pip builds of the same interpreter (left by upgrades),
    and what killed processes left half-written.
    """
    import re

    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if name == keep:
            continue
        if name.endswith(".tmp"):
            owner = re.search(r"\.(\d+)(?:\.gone)?\.tmp$", name)
            if owner is None or _alive(int(owner.group(1))):
                continue  # still being written or removed
        shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def _own(st: os.stat_result, kind: int) -> bool:
    """Whether a file or directory of the entry is this user's and only this user's."""
    return (
        stat.S_IFMT(st.st_mode) == kind
        and st.st_uid == os.geteuid()
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def trusted_manifest(entry: str) -> dict[str, str] | None:
    """The entry's manifest when the entry is this user's own and no other user can
    replace any directory on the way to it (safepip's rule for its own files,
    :func:`safepip.paths.root_problem`: every directory above owned by this user or root,
    writable by others only with the sticky bit); None otherwise.
    """
    if not hasattr(os, "geteuid"):  # pragma: no cover - no ownership to check (Windows)
        return None
    try:
        if not _own(os.lstat(entry), stat.S_IFDIR):
            return None
        from safepip.paths import root_problem

        if root_problem(entry) is not None:
            return None
        fd = os.open(os.path.join(entry, MANIFEST), os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, encoding="utf-8") as handle:
            if not _own(os.fstat(handle.fileno()), stat.S_IFREG):
                return None
            manifest = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
        return None
    return manifest


def _copy_in(entry: str, manifest: Mapping[str, str], package: str) -> bool:
    """Give ``package`` the entry's byte code, each file checked against the manifest."""
    made = 0
    for rel, digest in manifest.items():
        parts = rel.split("/")
        if len(parts) < 2 or parts[-2] != _CACHE or any(p in ("", ".", "..") for p in parts):
            continue  # not a name _store writes
        source_dir = os.path.join(package, *parts[:-2])
        if not os.path.isdir(source_dir):
            continue
        source = os.path.join(entry, *parts)
        try:
            fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as handle:
                if not _own(os.fstat(handle.fileno()), stat.S_IFREG):
                    continue
                data = handle.read()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            continue
        cache = os.path.join(source_dir, _CACHE)
        try:
            if not os.path.isdir(cache):
                os.mkdir(cache, 0o755)
            put(source, os.path.join(cache, parts[-1]), data, 0o644)
        except FileExistsError:
            continue
        except OSError:
            break  # a full disk or an unwritable environment: pip compiles the rest
        made += 1
    return made > 0
