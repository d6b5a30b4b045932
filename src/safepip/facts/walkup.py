"""The project walk's climbing rules, with the standard library only: the full path's walk
(:func:`safepip.facts.project.find_root`) and the front door (:mod:`safepip.remembered.decision`)
both climb with these functions, so that they stop at the same places.

The walk goes up from the working directory, reading each directory's entries, until the
repository root (a directory holding ``.git``), the user's home directory, a change of
filesystem, the filesystem root, or a directory owned by a user it does not cross.

:func:`anchor` is what lets a decision made in one directory of a project answer in another:
a directory that holds nothing the walk looks for (no marker, no environment, no tool's file,
no ``.python-version``) cannot change what the walk finds above it, so every directory whose
climb crosses only such directories to the same first non-blank one (the **anchor**) sees
the same project, the same environment and the same reasons.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping

MARKER_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", ".git")
VENV_NAMES = (".venv", "venv", "env")
#: The files that make a directory a project a tool may manage (its environment is looked for).
TOOL_FILES = ("pyproject.toml", "Pipfile", "hatch.toml")
#: Every fixed name the walk, or a choice of interpreter, reads in a directory: a directory
#: holding none of them (nor a ``requirements*.txt``) is blank (pyenv's shims read
#: ``.python-version`` from the working directory up: :func:`safepip.facts.interpreter.pyenv_selection`).
LOOKED_FOR = frozenset((*MARKER_FILES, *VENV_NAMES, *TOOL_FILES, ".python-version"))


class Unreadable(Exception):
    """A directory the walk cannot read (``error`` is why): it cannot tell whether it is a project."""

    def __init__(self, directory: str, error: OSError) -> None:
        super().__init__(directory)
        self.directory = directory
        self.error = error


def names(directory: str) -> set[str]:
    """The names in ``directory``; raises :class:`Unreadable` when the walk cannot tell.
    Searchable but not readable (mode 0311): the fixed names can still be looked up.
    """
    try:
        return set(os.listdir(directory))
    except PermissionError as exc:
        found = set()
        for name in (*MARKER_FILES, *VENV_NAMES):
            try:
                os.lstat(os.path.join(directory, name))
            except FileNotFoundError:
                continue
            except OSError:
                raise Unreadable(directory, exc) from None
            found.add(name)
        if not found:
            raise Unreadable(directory, exc) from None
        return found
    except OSError as exc:
        raise Unreadable(directory, exc) from None


def fixed_names(directory: str) -> set[str] | None:
    """The empty set when ``directory`` holds none of the fixed names the walk looks for
    (:data:`LOOKED_FOR`) and :func:`names` could read it; None when it holds one, or a name
    cannot be looked up: :func:`names` then tells. A lookup per name, where a listing reads
    every entry (the thousand of a busy /tmp); no ``requirements*.txt`` is looked for.
    """
    for name in LOOKED_FOR:
        try:
            os.lstat(os.path.join(directory, name))
        except FileNotFoundError:
            continue
        except OSError:
            return None
        return None  # found: exactly as listed (a case-insensitive filesystem finds other spellings)
    try:  # what the listing opens first: a directory it could not read stops the walk as before
        os.close(os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)))
    except OSError:
        return None
    return set()


def blank(found: set[str]) -> bool:
    """Whether a directory holding ``found`` holds nothing the walk looks for."""
    return not (found & LOOKED_FOR) and not any(n.startswith("requirements") and n.endswith(".txt") for n in found)


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


def home_dir(environ: Mapping[str, str]) -> str:
    """The home directory the walk stops at."""
    return os.path.realpath(environ.get("HOME") or os.path.expanduser("~"))


def existing_owner(path: str) -> int | None:
    """The uid owning ``path``, or its nearest existing parent (None where there are no uids)."""
    current = os.path.abspath(path)
    while True:
        try:
            return os.stat(current).st_uid
        except FileNotFoundError:
            parent = os.path.dirname(current)
            if parent == current:
                return None
            current = parent
        except OSError:
            return None


def climb(current: str, git: bool, device: int, owners: set[int] | None, home: str) -> str | None:
    """The directory the walk reads after ``current`` (``git``: it holds ``.git``), or None
    where it stops; raises OSError when the parent cannot be looked at.
    """
    parent = os.path.dirname(current)
    if git or current in (home, parent):
        return None
    st = os.stat(parent)
    if st.st_dev != device or os.path.dirname(parent) == parent:
        return None  # another filesystem, or the filesystem root: not projects
    if owners is not None and st.st_uid not in owners:
        return None
    return parent


def anchor(start: str, environ: Mapping[str, str]) -> tuple[str, tuple[str, ...]] | None:
    """The first directory the walk from ``start`` reads that is not blank, and the blank
    ones below it (``start`` first); None when the walk stops, or cannot read, before one,
    or when PATH has a relative entry (the interpreter found on it depends on the directory).
    """
    path = environ.get("PATH")
    if path is not None and any(not os.path.isabs(p) for p in path.split(os.pathsep)):
        return None
    home = home_dir(environ)
    owners = crossable_owners(environ)
    current = os.path.realpath(start)
    below: list[str] = []
    try:
        device = os.stat(current).st_dev
        while True:
            if not blank(names(current)):
                return current, tuple(below)
            below.append(current)
            parent = climb(current, False, device, owners, home)
            if parent is None:
                return None
            current = parent
    except (OSError, Unreadable):
        return None
