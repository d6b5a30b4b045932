"""Half-installed distributions (repair.py): found, removed only from environments safepip
made, and installed again by pip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, installed, needs_managed, offline, venv_python
from inprocess import Cli


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
