"""Project root discovery, and which environment belongs to a project.

The root is the nearest directory, from the working directory up, holding one of
``pyproject.toml``, ``setup.py``, ``setup.cfg``, ``requirements*.txt``, ``.git`` or an
existing virtual environment (``.venv``, ``venv``, ``env``). The walk stops at the user's
home directory (which is a project only if it holds a marker itself), before the
filesystem root, at a change of filesystem, and before a directory owned by another user
(root's directories are crossed; under sudo, so are the invoking user's, so that safepip
can see the project and refuse to touch it as root).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Mapping

from safepip.errors import SafepipError

MARKER_FILES = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
VENV_NAMES = (".venv", "venv", "env")


@dataclass(frozen=True)
class Project:
    """A project root and what made it one."""

    root: str
    why: str

    @property
    def pyproject(self) -> str:
        """The project's pyproject.toml (which may not exist)."""
        return os.path.join(self.root, "pyproject.toml")


def is_venv_dir(path: str) -> bool:
    """A directory that looks like a virtual environment (it has ``pyvenv.cfg``)."""
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _strangers(directory: str, names: set[str], owners: set[int] | None, environ: Mapping[str, str]) -> set[str]:
    """The names in a world-writable sticky directory (``/tmp/work``) that belong to users
    the walk does not trust: anyone can put a marker there, so theirs make no project.
    """
    import stat

    try:
        st = os.stat(directory)
    except OSError:
        return set()
    if owners is None or not (st.st_mode & stat.S_ISVTX and st.st_mode & stat.S_IWOTH):
        return set()
    ignored = set()
    for name in names:
        try:
            uid = os.lstat(os.path.join(directory, name)).st_uid
        except OSError:
            continue
        if uid not in owners:
            ignored.add(name)
            if environ.get("SAFEPIP_DEBUG") == "1":
                import sys

                sys.stderr.write(f"safepip: debug: ignoring {os.path.join(directory, name)}: uid {uid}'s, "
                                 "in a directory every user can write to\n")
    return ignored


def _marker(directory: str, owners: set[int] | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    try:
        names = set(os.listdir(directory))
    except OSError:
        return None
    names -= _strangers(directory, names, owners, environ or {})
    for name in MARKER_FILES:
        if name in names:
            return f"holds {name}"
    for name in sorted(names):
        if name.startswith("requirements") and name.endswith(".txt"):
            return f"holds {name}"
    for name in VENV_NAMES:
        if name in names and is_venv_dir(os.path.join(directory, name)):
            return f"holds the virtual environment {name}/"
    return None


def crossable_owners(environ: Mapping[str, str]) -> set[int] | None:
    """The owners whose directories the walk may climb into (None: no ownership on this OS)."""
    if sys.platform == "win32" or not hasattr(os, "geteuid"):  # pragma: no cover
        return None
    euid = os.geteuid()
    owners = {euid, 0}
    sudo_uid = environ.get("SUDO_UID", "")
    if euid == 0 and sudo_uid.isdigit():
        owners.add(int(sudo_uid))
    return owners


def working_directory() -> str:
    """The working directory, or a clear error when it was deleted under us."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        raise SafepipError(
            "the working directory no longer exists; cd to a directory that does", exit_code=69
        ) from None


def find_root(start: str, environ: Mapping[str, str]) -> Project | None:
    """The project containing ``start``, or None outside any project."""
    home = os.path.realpath(environ.get("HOME") or os.path.expanduser("~"))
    owners = crossable_owners(environ)
    current = os.path.realpath(start)
    try:
        device = os.stat(current).st_dev
    except OSError:
        return None
    while True:
        why = _marker(current, owners, environ)
        if why:
            return Project(current, why)
        parent = os.path.dirname(current)
        if current in (home, parent):
            return None
        try:
            st = os.stat(parent)
        except OSError:
            return None
        if st.st_dev != device or os.path.dirname(parent) == parent:
            return None  # another filesystem, or the filesystem root: not projects
        if owners is not None and st.st_uid not in owners:
            return None
        current = parent


def env_candidates(root: str, configured: str | None) -> list[str]:
    """Where the project's environment is or would be, in order of preference."""
    if configured:
        path = os.path.expanduser(configured)
        return [os.path.normpath(os.path.join(root, path))]
    return [os.path.join(root, name) for name in VENV_NAMES]


def project_env(root: str, configured: str | None) -> tuple[str, bool]:
    """The project's environment directory, and whether it already exists as a venv.

    The configured path wins; else the first of ``.venv``, ``venv``, ``env`` that is a
    virtual environment (poetry's and pdm's in-project environments are ``.venv``); else
    ``.venv``, to be created.
    """
    candidates = env_candidates(root, configured)
    for path in candidates:
        if is_venv_dir(path):
            return path, True
    return candidates[0], False
