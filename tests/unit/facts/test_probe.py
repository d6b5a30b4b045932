"""The probe's PEP 668 marker reading, and the probe run in real interpreters."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import MANAGED, SYSTEM_PYTHON
from safepip.facts import _probe
from safepip.facts.interpreter import run_probe


def write(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "EXTERNALLY-MANAGED"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_error_keys_follow_pep_668_order() -> None:
    assert _probe.error_keys("de_DE") == ["Error-de_DE", "Error-de", "Error"]
    assert _probe.error_keys("pt-BR") == ["Error-pt-BR", "Error-pt", "Error"]
    assert _probe.error_keys("fr") == ["Error-fr", "Error"]
    assert _probe.error_keys(None) == ["Error"]


def test_localized_message_wins(tmp_path: Path) -> None:
    path = write(tmp_path, "[externally-managed]\nError=english\nError-de=deutsch\nError-de_AT=oesterreich\n")
    assert _probe.read_marker(path, "de_AT") == ("oesterreich", None)
    assert _probe.read_marker(path, "de_DE") == ("deutsch", None)
    assert _probe.read_marker(path, "fr_FR") == ("english", None)
    assert _probe.read_marker(path, None) == ("english", None)


def test_multiline_message(tmp_path: Path) -> None:
    path = write(tmp_path, "[externally-managed]\nError=first line\n second line\n")
    assert _probe.read_marker(path, None) == ("first line\nsecond line", None)


@pytest.mark.parametrize(
    "content",
    [b"", b"[other]\nError=x\n", b"[externally-managed]\nNoError=x\n"],
    ids=["empty", "no-section", "no-key"],
)
def test_missing_section_or_key_means_default_message(tmp_path: Path, content: bytes) -> None:
    assert _probe.read_marker(write(tmp_path, content), None) == (None, None)


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00binary\x00", b"not an ini file\n", b"[externally-managed\nError=x"],
    ids=["binary", "no-header", "broken-header"],
)
def test_unparsable_marker_still_means_managed_with_a_problem(tmp_path: Path, content: bytes) -> None:
    message, problem = _probe.read_marker(write(tmp_path, content), None)
    assert message is None
    assert problem


def test_unreadable_marker_reports_a_problem(tmp_path: Path) -> None:
    message, problem = _probe.read_marker(str(tmp_path / "missing"), None)
    assert message is None
    assert problem is not None
    assert "FileNotFoundError" in problem


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
