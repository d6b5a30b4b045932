"""Project root discovery and the project's environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers import SYSTEM_PYTHON
from safepip.facts.project import find_root


def env_for(home: Path) -> dict[str, str]:
    return {"HOME": str(home)}


def test_an_existing_venv_makes_a_root(tmp_path: Path) -> None:
    root = tmp_path / "home" / "scripts"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    (root / "sub").mkdir()
    found = find_root(str(root / "sub"), env_for(tmp_path / "home"))
    assert found is not None
    assert found.root == str(root)
    assert "venv/" in found.why
