"""The layout of a virtual environment directory: whether a directory is one, its
interpreter, its ``pyvenv.cfg`` (read here and nowhere else), its site-packages, whether pip
is in it. Standard library only (the front door uses it before anything else is imported).
"""

from __future__ import annotations

import os
import sys

_WINDOWS = sys.platform == "win32"

#: What a rebuild names the tree it moves an environment to: ``<env>.safepip-old-<date>-<pid>``
#: (:mod:`safepip.venv.rebuild` says what such a tree holds).
OLD_INFIX = ".safepip-old-"

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only: nothing imported for the front door
    from typing import Iterable, Protocol

    class Base(Protocol):
        """The interpreter an environment is made from, as the caller probed it
        (:class:`safepip.facts.interpreter.Interp` is one): the environment layer reads no facts.
        """

        @property
        def path(self) -> str:
            """The interpreter's path."""
        @property
        def version(self) -> tuple[int, int, int]:
            """Its version (the seeder and the byte code's cache depend on it)."""
        @property
        def implementation(self) -> str:
            """Its implementation (``cpython``...)."""


def is_venv_dir(path: str) -> bool:
    """A directory that looks like a virtual environment (it has ``pyvenv.cfg``)."""
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def cfg_lines(env_dir: str) -> list[tuple[str, str]]:
    """The ``key = value`` lines of an environment's ``pyvenv.cfg`` in their order, read as
    CPython's ``site`` reads them (keys lower-cased, both sides stripped; other lines
    skipped); its first 64 KiB only (a real one is a few lines). OSError when it cannot be read.
    """
    with open(os.path.join(env_dir, "pyvenv.cfg"), encoding="utf-8", errors="replace") as handle:
        text = handle.read(1 << 16)
    found = []
    for line in text.splitlines():
        key, eq, value = line.partition("=")
        if eq:
            found.append((key.strip().lower(), value.strip()))
    return found


def system_site_packages(env_dir: str) -> bool:
    """Whether the environment sees the system site-packages (its ``pyvenv.cfg`` says
    ``include-system-site-packages`` other than false, as ``site`` reads it). OSError when
    it cannot be read.
    """
    return any(key == "include-system-site-packages" and value.lower() != "false" for key, value in cfg_lines(env_dir))


def cfg_home(env_dir: str) -> str | None:
    """The first ``home =`` value of an environment's ``pyvenv.cfg`` (None when there is none,
    it is empty or the file cannot be read).
    """
    try:
        return next((value or None for key, value in cfg_lines(env_dir) if key == "home"), None)
    except OSError:
        return None


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
    return pip_in(site_packages(env_dir))


def pip_in(sites: Iterable[str]) -> bool:
    """Whether one of the site-packages directories ``sites`` holds ``pip/``."""
    return any(os.path.isdir(os.path.join(site, "pip")) for site in sites)


def floor_umask() -> None:
    """From now on, in this process and what it execs, nothing written is group- or
    world-writable whatever the umask (000 would let any user change what pip installs into
    an environment safepip chose): the umask gains 022.
    """
    os.umask(os.umask(0o022) | 0o022)


def old_names(work: str) -> list[str]:
    """The names beside ``work`` that a rebuild gives its old trees (sorted: oldest first),
    whatever they are: one listing of the directory that holds it."""
    parent, name = os.path.split(work.rstrip(os.sep))
    try:
        return sorted(n for n in os.listdir(parent or os.curdir) if n.startswith(name + OLD_INFIX))
    except OSError:
        return []
