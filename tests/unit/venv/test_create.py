"""safepip.venv.create: the markers every new environment gets, whichever virtualenv made it."""

from __future__ import annotations

from pathlib import Path

from safepip.venv import create


def test_an_environment_without_markers_gets_both(tmp_path: Path) -> None:
    # Debian 12's virtualenv (20.17, under the Debian package) writes .gitignore but no CACHEDIR.TAG.
    (tmp_path / ".gitignore").write_text("# created by virtualenv automatically\n*\n")
    create._mark(str(tmp_path))
    assert (tmp_path / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55\n")
    assert (tmp_path / ".gitignore").read_text() == "# created by virtualenv automatically\n*\n"  # left as it was


def test_markers_are_written_where_none_exist(tmp_path: Path) -> None:
    create._mark(str(tmp_path))
    assert (tmp_path / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (tmp_path / "CACHEDIR.TAG").is_file()
