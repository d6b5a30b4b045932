"""Half-installed distributions (repair.py): found, removed only from environments safepip
made, and installed again by pip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, SYSTEM_XY, installed, needs_managed, offline, venv_python
from inprocess import Cli
from safepip.venv import halfinstalled as repair


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


def _cut(env_dir: Path, dist: str) -> Path:
    """Make ``dist`` look like a pip killed before it wrote RECORD."""
    (info,) = env_dir.glob(f"lib/python*/site-packages/{dist}.dist-info")
    (info / "RECORD").unlink()
    return info


@needs_managed
@pytest.mark.slow
def test_an_install_after_an_interrupted_one_repairs_it(project: Path, wheelhouse: Path, live: Cli) -> None:
    assert live("install", *offline(wheelhouse), "lib-b", cwd=project).returncode == 0
    env_dir = project / ".venv"
    info = _cut(env_dir, "lib_a-1.0")
    # pip alone would call lib-a "already satisfied", then fail to ever upgrade or remove it
    again = live("install", *offline(wheelhouse), "lib-b", cwd=project)
    assert again.returncode == 0, again.stderr
    assert "lib_a-1.0 in" in again.stderr and "half-installed" in again.stderr
    assert (info / "RECORD").is_file(), "pip should have installed lib-a again"
    assert installed(env_dir)["lib-a"] == "1.0"
    gone = subprocess.run([venv_python(env_dir), "-m", "pip", "uninstall", "-y", "lib-a"], capture_output=True, text=True,
                          check=False)
    assert gone.returncode == 0, gone.stderr


@needs_managed
@pytest.mark.slow
def test_an_environment_safepip_did_not_make_is_left_to_pip(project: Path, wheelhouse: Path, live: Cli) -> None:
    env_dir = project / ".venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    assert live("install", *offline(wheelhouse), "lib-a", cwd=project).returncode == 0
    info = _cut(env_dir, "lib_a-1.0")
    again = live("install", *offline(wheelhouse), "lib-a", cwd=project)
    assert "half-installed" not in again.stderr
    assert info.is_dir() and not (info / "RECORD").exists()
