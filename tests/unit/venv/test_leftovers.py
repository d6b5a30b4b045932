"""Half-installed distributions (repair.py): found, removed only from environments safepip
made, and installed again by pip."""

from __future__ import annotations

from pathlib import Path

from helpers import SYSTEM_XY
from safepip.venv import leftovers as repair


def _info(site: Path, name: str, record: bool = True) -> Path:
    info = site / f"{name}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.split('-', maxsplit=1)[0]}\nVersion: 1\n")
    if record:
        (info / "RECORD").write_text("")
    return info


def test_torn_finds_dist_infos_without_record_only(tmp_path: Path) -> None:
    site = tmp_path / "env" / "lib" / f"python{SYSTEM_XY}" / "site-packages"
    whole = _info(site, "whole-1.0")
    cut = _info(site, "cut-1.0", record=False)
    _info(site, "~tash-1.0", record=False)  # pip's stash of an uninstall in progress: pip's own
    (site / "not_a_dist").mkdir()
    assert repair.torn(str(tmp_path / "env")) == [str(cut)]
    said: list[str] = []
    assert repair.repair(str(tmp_path / "env"), said.append) == ["cut-1.0"]
    assert not cut.exists() and whole.exists() and (site / "~tash-1.0.dist-info").exists()
    assert len(said) == 1 and "cut-1.0" in said[0] and "no RECORD" in said[0]
    assert repair.repair(str(tmp_path / "env"), said.append) == [] and len(said) == 1


def test_what_a_killed_repair_left_is_swept(tmp_path: Path) -> None:
    site = tmp_path / "env" / "lib" / f"python{SYSTEM_XY}" / "site-packages"
    leftover = site / f"cut-1.0.dist-info{repair.TORN_INFIX}4242"
    leftover.mkdir(parents=True)
    (leftover / "METADATA").write_text("Name: cut\nVersion: 1.0\n")
    assert repair.torn(str(tmp_path / "env")) == []
    repair.repair(str(tmp_path / "env"), print)
    assert not leftover.exists()
