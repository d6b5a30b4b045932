"""The probe's PEP 668 marker reading, and the probe run in real interpreters."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import MANAGED, SYSTEM_PYTHON
from safepip.facts.interpreter import run_probe


@pytest.mark.skipif(not MANAGED, reason="needs Debian's managed python3")
def test_probe_of_debian_python() -> None:
    data = run_probe(SYSTEM_PYTHON)
    assert data["in_venv"] is False
    assert data["marker"] == os.path.join(data["stdlib"], "EXTERNALLY-MANAGED")
    assert data["distributor"] == "Debian"
    assert "apt install" in data["marker_message"]
    assert data["markers"]["python_version"] == "{}.{}".format(*data["version"])
    # The site-packages directories outside a venv, the user site first, as ``site`` says them.
    code = "import json, site; print(json.dumps([site.getusersitepackages(), *site.getsitepackages()]))"
    asked = subprocess.run([SYSTEM_PYTHON, "-I", "-c", code], capture_output=True, text=True, check=True)
    assert data["site_dirs"] == json.loads(asked.stdout)
    assert data["user_site"] == data["site_dirs"][0]


def test_probe_of_a_venv_has_no_marker(tmp_path: Path) -> None:
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(tmp_path / "v")], check=True)
    data = run_probe(str(tmp_path / "v" / "bin" / "python"))
    assert data["in_venv"] is True
    assert data["pip"] is False
    # A venv's site dirs are its base interpreter's (what ``audit`` reads), not the venv's own.
    assert str(tmp_path / "v") not in " ".join(data["site_dirs"])
    assert any(d.startswith(data["base_prefix"]) for d in data["site_dirs"])


def test_probe_ignores_a_hostile_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "json.py").write_text("raise SystemExit('hostile module imported')\n")
    monkeypatch.chdir(tmp_path)
    assert run_probe(SYSTEM_PYTHON)["version"][0] == 3
