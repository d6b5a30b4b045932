"""Build small wheels with zipfile, for offline installs (``--no-index --find-links``)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path
from typing import Iterable, Mapping


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(
    directory: Path,
    name: str,
    version: str = "1.0",
    *,
    requires: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] | None = None,
    scripts: Mapping[str, str] | None = None,
    gui_scripts: Mapping[str, str] | None = None,
    requires_python: str | None = None,
    module_code: str | None = None,
    files: Mapping[str, bytes] | None = None,
    module: bool = True,
    classifiers: Iterable[str] = (),
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """Write ``{name}-{version}-py3-none-any.whl`` into ``directory`` and return its path.

    The wheel holds a module ``{name}`` (normalized to an identifier); ``scripts`` maps a
    console script name to a ``module:function`` entry point; ``files`` adds more members
    (path inside the wheel -> content). Without ``module``, the wheel holds no module: a
    metapackage (only metadata, its requirements bring everything). ``classifiers`` go into
    its METADATA; ``entry_points`` adds entry-point groups (group -> name -> target).
    """
    directory.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        metadata.append(f"Requires-Python: {requires_python}")
    metadata.extend(f"Classifier: {c}" for c in classifiers)
    metadata.extend(f"Requires-Dist: {r}" for r in requires)
    for extra, reqs in (extras or {}).items():
        metadata.append(f"Provides-Extra: {extra}")
        for req in reqs:
            marker = f'extra == "{extra}"'
            if ";" in req:
                base, _, existing = req.partition(";")
                metadata.append(f"Requires-Dist: {base.strip()} ; ({existing.strip()}) and {marker}")
            else:
                metadata.append(f"Requires-Dist: {req} ; {marker}")
    code = module_code if module_code is not None else (
        f"VERSION = {version!r}\n\ndef main():\n    print({name!r} + ' ' + VERSION)\n    return 0\n"
    )
    members: dict[str, bytes] = {
        **({f"{dist}.py": code.encode()} if module else {}),
        f"{info}/METADATA": ("\n".join(metadata) + "\n").encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: safepip-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        **(files or {}),
    }
    sections = []
    if scripts:
        sections.append("[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items()))
    if gui_scripts:
        sections.append("[gui_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in gui_scripts.items()))
    for group, entries in (entry_points or {}).items():  # a plugin's groups (poetry.application.plugin)
        sections.append(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()))
    if sections:
        members[f"{info}/entry_points.txt"] = "\n".join(sections).encode()
    record = [_record_line(n, d) for n, d in members.items()] + [f"{info}/RECORD,,"]
    members[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return path


def wheel_from_installed(directory: Path, name: str) -> Path:
    """Repack an installed pure-Python distribution (of the test's own interpreter) into a
    wheel, so that an offline test can install a real package (e.g. ``packaging``)."""
    import importlib.metadata

    dist = importlib.metadata.distribution(name)
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    info = None
    for entry in dist.files or ():
        member = str(entry).replace("\\", "/")
        if member.startswith("..") or "__pycache__" in member or member.endswith(".pyc"):
            continue
        top = member.split("/", 1)[0]
        if top.endswith(".dist-info"):
            info = top
            if member.rsplit("/", 1)[-1] in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
                continue
        files[member] = Path(str(dist.locate_file(entry))).read_bytes()
    assert info is not None, f"{name} has no dist-info"
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    version = dist.version
    path = directory / f"{info[: -len('.dist-info')].rsplit('-', 1)[0]}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in files.items():
            archive.writestr(zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return path
