"""archive.py: telling a path inside safepip.pyz from one on disk, and copying a member out."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from safepip import archive


def test_a_path_inside_a_zip_is_split_into_the_archive_and_the_member(tmp_path: Path) -> None:
    pyz = tmp_path / "safepip.pyz"
    with zipfile.ZipFile(pyz, "w") as zf:
        zf.writestr("safepip/_wheels/pip-1-py3-none-any.whl", b"wheel bytes")
    member = pyz / "safepip" / "_wheels" / "pip-1-py3-none-any.whl"
    assert archive.split(str(member)) == (str(pyz), "safepip/_wheels/pip-1-py3-none-any.whl")
    assert archive.split(str(pyz)) is None  # the archive itself is a file on disk
    assert archive.split(str(tmp_path / "nothing" / "here")) is None
    target = tmp_path / "out.whl"
    archive.extract(str(member), str(target))
    assert target.read_bytes() == b"wheel bytes"
    with pytest.raises(KeyError):
        archive.extract(str(pyz / "safepip" / "missing"), str(tmp_path / "missing"))
    assert not (tmp_path / "missing").exists()
    with pytest.raises(FileNotFoundError):
        archive.extract(str(tmp_path / "out.whl"), str(tmp_path / "again"))


def test_safepip_installed_as_files_does_not_run_from_an_archive() -> None:
    assert archive.running_archive() is None
