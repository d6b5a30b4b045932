"""The probe's PEP 668 marker reading, and the probe run in real interpreters."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.facts import _probe


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
