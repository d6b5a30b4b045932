"""What ``safepip self-install`` puts on disk: the archive it installs from, the installation
directory and its record (``install.json``), the launcher, and the payload copied into the
environment. ``commands.selfinstall`` holds the two verbs that use these.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import sys
import zipfile
from dataclasses import dataclass
from typing import Mapping

from safepip.errors import EnvironmentCreateError, UsageError
from safepip.paths import bin_dir, data_dir, replace_file

LAUNCHER_MARK = "# safepip launcher, written by `safepip self-install`; `safepip self-uninstall` removes it."
RECORD = "install.json"


@dataclass(frozen=True)
class Archive:
    """A safepip.pyz to install from."""

    path: str
    version: str
    build_id: str


def home(environ: Mapping[str, str]) -> str:
    """The directory holding safepip's own installation(s)."""
    return os.path.join(data_dir(environ), "self")


def launcher_path(environ: Mapping[str, str]) -> str:
    """Where the ``safepip`` launcher goes."""
    return os.path.join(bin_dir(environ), "safepip")


def read_archive(path: str) -> Archive:
    """Check that ``path`` is a safepip.pyz and learn its version and build id."""
    try:
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        with zipfile.ZipFile(path) as archive:
            init = archive.read("safepip/__init__.py").decode("utf-8")
            archive.getinfo("__main__.py")
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a safepip.pyz"
        raise UsageError(f"{path}: {detail}") from None
    match = re.search(r'^__version__ = "([^"]+)"', init, re.MULTILINE)
    return Archive(os.path.abspath(path), match.group(1) if match else "unknown", digest[:16])


def installed(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The install record (``install.json``): id, version, python, env; None without one."""
    try:
        with open(os.path.join(home(environ), RECORD), encoding="utf-8") as handle:
            data = json.load(handle)
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def launcher_text(python: str) -> str:
    """The ``sh`` launcher that runs safepip with ``python`` (the installation's)."""
    quoted = shlex.quote(python)
    return (
        "#!/bin/sh\n"
        f"{LAUNCHER_MARK}\n"
        f"py={quoted}\n"
        'if [ ! -x "$py" ]; then\n'
        '  echo "safepip: error: its Python ($py) is gone; reinstall: python3 safepip.pyz self-install --upgrade" >&2\n'
        "  exit 69\n"
        "fi\n"
        'exec "$py" -I -m safepip "$@"\n'
    )


def is_ours(launcher: str) -> bool:
    """Whether ``launcher`` is one ``self-install`` wrote (it carries the mark)."""
    try:
        with open(launcher, encoding="utf-8", errors="replace") as handle:
            return LAUNCHER_MARK in handle.read(4096)
    except OSError:
        return False


def base_python(environ: Mapping[str, str]) -> str:
    """The interpreter the installation runs on.

    The one recorded, else the one running this (its base interpreter when that is a
    virtual environment, as when upgrading from an installation).
    """
    recorded = (installed(environ) or {}).get("python")
    if recorded and os.access(recorded, os.X_OK):
        return recorded
    if sys.prefix != sys.base_prefix:
        return str(getattr(sys, "_base_executable", None) or sys.executable)
    return sys.executable


def payload(archive: Archive, site: str) -> None:
    """Copy the archive's modules into ``site`` (byte code is left to the interpreter)."""
    with zipfile.ZipFile(archive.path) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir() or name == "__main__.py" or name.endswith(".pyc"):
                continue
            target = os.path.join(site, *name.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)


def site_packages(python: str) -> str:
    """The site-packages directory of ``python`` (its environment's), as the probe reports it."""
    from safepip.errors import InterpreterError
    from safepip.facts.interpreter import run_probe

    try:
        return str(run_probe(python)["purelib"])
    except (InterpreterError, KeyError) as exc:
        raise EnvironmentCreateError(f"{python} cannot report its site-packages: {exc}") from None


def write_text(path: str, text: str, mode: int = 0o644) -> None:
    """Write ``path`` atomically with exactly ``mode``."""
    replace_file(path, text.encode("utf-8"), mode=mode, exact_mode=True)
