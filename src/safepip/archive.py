"""safepip.pyz, the single-file build: whether safepip runs from it, and files inside it.

Stdlib only, and nothing imported until a zip file is really there.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import BinaryIO


def running_archive() -> str | None:
    """The safepip.pyz this process runs from; None when it runs from files."""
    outer = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # <archive>/safepip/archive.py
    if not os.path.isfile(outer):
        return None
    import zipfile

    return outer if zipfile.is_zipfile(outer) else None


def split(path: str) -> tuple[str, str] | None:
    """``(archive, member)`` when ``path`` lies inside a zip file; None for a path on disk."""
    archive = path
    while not os.path.isfile(archive):
        parent = os.path.dirname(archive)
        if parent == archive:
            return None
        archive = parent
    if archive == path:
        return None
    return archive, os.path.relpath(path, archive).replace(os.sep, "/")


def extract(member_path: str, target: str) -> None:
    """Copy ``member_path`` (a path inside the archive safepip runs from) to ``target``,
    atomically, so that parallel runs never see half a file. OSError, KeyError or
    zipfile.BadZipFile when it cannot.
    """
    import zipfile

    from safepip.paths import replace_file

    inside = split(member_path)
    if inside is None:
        raise FileNotFoundError(f"{member_path} is not inside an archive")
    archive, inner = inside

    def copy(dst: BinaryIO) -> None:
        with zipfile.ZipFile(archive) as zf, zf.open(inner) as src:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                dst.write(chunk)

    replace_file(target, copy)
