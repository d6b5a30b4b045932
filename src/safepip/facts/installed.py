"""What pip installed in a set of site-packages directories: each distribution's name,
version, installer, top-level modules and commands, read from its metadata directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Dist:
    """One installed distribution, as its metadata directory describes it."""

    name: str
    version: str
    path: str  # the .dist-info or .egg-info
    site_dir: str
    position: int  # of site_dir on sys.path among the audited directories (0 comes first)
    installer: str | None
    modules: tuple[str, ...]
    scripts: tuple[str, ...] = ()
    owner: str | None = None

    @property
    def key(self) -> str:
        """The normalized project name (PEP 503), for comparing names."""
        import re

        return re.sub(r"[-_.]+", "-", self.name).lower()


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _headers(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    from email.parser import HeaderParser

    message = HeaderParser().parsestr(text, headersonly=True)
    return {k: str(v) for k, v in message.items()}


def _modules(meta_dir: str) -> tuple[str, ...]:
    """Top-level import names: top_level.txt, else the first path parts in RECORD."""
    top = _read(os.path.join(meta_dir, "top_level.txt"))
    if top is not None:
        return tuple(sorted({line.strip() for line in top.splitlines() if line.strip()}))
    record = _read(os.path.join(meta_dir, "RECORD"))
    names = set()
    for line in (record or "").splitlines():
        first = line.split(",", 1)[0].split("/", 1)[0]
        outside = first.startswith("..") or first == "__pycache__"
        if not first or outside or first.endswith((".dist-info", ".data", ".pth")):
            continue
        names.add(first.split(".", 1)[0])
    return tuple(sorted(names))


def _scripts(meta_dir: str) -> tuple[str, ...]:
    text = _read(os.path.join(meta_dir, "entry_points.txt")) or ""
    found, inside = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            inside = line in ("[console_scripts]", "[gui_scripts]")
        elif inside and "=" in line:
            found.append(line.split("=", 1)[0].strip())
    return tuple(found)


def scan(site_dirs: Sequence[str]) -> list[Dist]:
    """Every distribution in ``site_dirs`` (dist-info and egg-info), in sys.path order."""
    dists = []
    for position, site_dir in enumerate(site_dirs):
        try:
            entries = sorted(os.listdir(site_dir))
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(site_dir, entry)
            if entry.endswith(".dist-info") and os.path.isdir(path):
                meta = _headers(_read(os.path.join(path, "METADATA")))
                installer = _read(os.path.join(path, "INSTALLER"))
                dists.append(Dist(
                    name=meta.get("Name") or entry[: -len(".dist-info")].rsplit("-", 1)[0],
                    version=meta.get("Version") or entry[: -len(".dist-info")].rsplit("-", 1)[-1],
                    path=path, site_dir=site_dir, position=position,
                    installer=installer.strip() if installer is not None else None,
                    modules=_modules(path), scripts=_scripts(path),
                ))
            elif entry.endswith(".egg-info"):
                pkg_info = os.path.join(path, "PKG-INFO") if os.path.isdir(path) else path
                meta = _headers(_read(pkg_info))
                stem = entry[: -len(".egg-info")]
                dists.append(Dist(
                    name=meta.get("Name") or stem.split("-", 1)[0],
                    version=meta.get("Version") or (stem.split("-")[1] if "-" in stem else "?"),
                    path=path, site_dir=site_dir, position=position, installer=None,
                    modules=_modules(path) if os.path.isdir(path) else (), scripts=(),
                ))
    return dists
