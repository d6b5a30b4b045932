"""Which pip a new environment is seeded with: the newest one safepip has offline.

virtualenv seeds the pip wheel it embeds, which is as old as that virtualenv: safepip.pyz
carries a virtualenv old enough to run on its oldest supported Python, so its environments
got an older pip than those of an installed safepip (and pip's "new release" notice). safepip
also has a pip of its own: the wheel the archive carries (``safepip/_wheels``), or the pip
installed beside it. Whichever of these is newest, and supports the target Python, seeds the
environment (through virtualenv's ``--pip VERSION --extra-search-dir DIR``), so that every
install route gives new environments the same pip. Nothing is downloaded.

An installed pip is not a wheel: it is packed into one once per version, from its RECORD,
in the cache directory.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, Mapping

from safepip.archive import extract, running_archive, split

WHEELS = "_wheels"


@dataclass(frozen=True)
class Candidate:
    """A pip safepip could seed with: its version, Requires-Python, and how to get its wheel."""

    version: str
    requires_python: str
    wheel: str | None = None  # a wheel file on disk or inside the archive
    installed: bool = False  # the pip installed beside safepip (packed on demand)


def _wheel_metadata(path: str) -> str | None:
    """Requires-Python of a pip wheel (on disk or in the archive); None when unreadable."""
    from email.parser import HeaderParser

    try:
        inside = split(path)
        if inside is None:
            handle = zipfile.ZipFile(path)
        else:
            outer = zipfile.ZipFile(inside[0])
            handle = zipfile.ZipFile(outer.open(inside[1]))
        with handle:
            name = next(n for n in handle.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
            headers = HeaderParser().parsestr(handle.read(name).decode("utf-8"))
    except (OSError, StopIteration, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    return headers.get("Requires-Python") or ""


def bundled() -> list[Candidate]:
    """The pip wheels shipped in ``safepip/_wheels`` (safepip.pyz, or a self-installed copy of it)."""
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), WHEELS)  # safepip/_wheels
    inside = split(here)
    if inside is None:
        try:
            names = [os.path.join(here, n) for n in os.listdir(here)]
        except OSError:
            names = []
    else:
        with zipfile.ZipFile(inside[0]) as archive:
            prefix = inside[1].rstrip("/") + "/"
            names = [os.path.join(inside[0], *n.split("/")) for n in archive.namelist() if n.startswith(prefix)]
    found = []
    for path in sorted(names):
        base = os.path.basename(path)
        if base.startswith("pip-") and base.endswith(".whl"):
            requires = _wheel_metadata(path)
            if requires is not None:
                found.append(Candidate(base.split("-")[1], requires, wheel=path))
    return found


def installed() -> Candidate | None:
    """The pip installed beside safepip, when safepip runs from files (not from the archive)."""
    if running_archive() is not None:
        return None
    from importlib import metadata

    try:
        dist = metadata.distribution("pip")
    except metadata.PackageNotFoundError:
        return None
    return Candidate(dist.version, (dist.metadata.get_all("Requires-Python") or [""])[0], installed=True)


def choose(target: tuple[int, ...], embedded: str | None) -> Candidate | None:
    """The candidate to seed a Python ``target`` environment with, when it is newer than
    virtualenv's embedded pip ``embedded`` (None: let virtualenv seed its own).
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    python = ".".join(map(str, target[:3]))
    best: tuple[Version, Candidate] | None = None
    extra = installed()
    for candidate in [*bundled(), *([extra] if extra else [])]:
        try:
            version = Version(candidate.version)
            if not SpecifierSet(candidate.requires_python).contains(python, prereleases=True):
                continue
        except (InvalidVersion, InvalidSpecifier):
            continue
        if best is None or version > best[0]:
            best = (version, candidate)
    if best is None:
        return None
    try:
        if embedded is not None and Version(embedded) >= best[0]:
            return None
    except InvalidVersion:
        pass
    return best[1]


def wheel_dir(candidate: Candidate, environ: Mapping[str, str]) -> str:
    """A directory holding the candidate's wheel as a file (made in the cache if needed)."""
    from safepip.paths import cache_dir, replace_file

    if candidate.wheel is not None and split(candidate.wheel) is None:
        return os.path.dirname(candidate.wheel)
    target_dir = os.path.join(cache_dir(environ), "pip", "seed")
    target = os.path.join(target_dir, f"pip-{candidate.version}-py3-none-any.whl")
    if os.path.isfile(target):
        return target_dir
    os.makedirs(target_dir, exist_ok=True)
    if candidate.wheel is not None:
        extract(candidate.wheel, target)
    else:
        replace_file(target, _pack_installed)
    return target_dir


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _pack_installed(path: BinaryIO) -> None:
    """Write the installed pip into a wheel, to the file open at ``path``: the files its RECORD lists under
    site-packages (no scripts, no byte code), with a new WHEEL and RECORD.
    """
    from importlib import metadata

    dist = metadata.distribution("pip")
    base = str(dist.locate_file(""))
    record = dist.read_text("RECORD") or ""
    files: dict[str, bytes] = {}
    info = ""
    for row in csv.reader(record.splitlines()):
        if not row:
            continue
        rel = row[0]
        if rel.startswith(("..", "/")) or rel.endswith(".pyc") or "__pycache__" in rel:
            continue
        top = rel.split("/", 1)[0]
        if top.endswith(".dist-info"):
            info = top
            if rel.rsplit("/", 1)[-1] in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "WHEEL"):
                continue
        with open(os.path.join(base, rel), "rb") as handle:
            files[rel] = handle.read()
    if not info:
        raise OSError(f"the installed pip ({base}) has no RECORD naming its .dist-info")
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: safepip\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    rows = [f"{n},{_record_hash(d)},{len(d)}" for n, d in sorted(files.items())] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(rows) + "\n").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])


def virtualenv_args(target: tuple[int, ...], environ: Mapping[str, str]) -> list[str]:
    """virtualenv options seeding the newest pip safepip has for ``target`` (none: its own)."""
    try:
        from virtualenv.seed.wheels.embed import get_embed_wheel

        embed = get_embed_wheel("pip", f"{target[0]}.{target[1]}")
        candidate = choose(target, str(embed.version) if embed is not None else None)
        if candidate is None:
            return []
        return ["--pip", candidate.version, "--extra-search-dir", wheel_dir(candidate, environ)]
    except Exception:  # best effort: virtualenv's own pip is a working seed
        return []
