"""Reading a wheel's facts with few bytes: local files, HTTP range requests against a local
server (with and without range support), and the whole classification through pip."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from httpindex import Served
from safepip.facts import wheelmeta
from safepip.runner import pip_argv
from wheelindex import PADDING


def test_local_wheel_facts(big_house: Path) -> None:
    meta = wheelmeta.from_file(str(big_house / "big_app-1.0-py3-none-any.whl"))
    assert meta is not None
    assert meta.name == "big-app"
    assert meta.console == ("big-app",)
    assert meta.gui == ("big-app-gui",)
    assert meta.data_scripts == ("big-tool",)
    assert meta.entry_modules == ("big_app",)
    assert meta.top_level == ("big_app", "big_app_data")
    broken = big_house / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    assert wheelmeta.from_file(str(broken)) is None


def test_entry_points_parsing() -> None:
    text = "[console_scripts]\nTool = pkg.cli:main\nother=_pkg:run [extra]\n[gui_scripts]\ng = gui:main\n[x]\ny = z\n"
    assert wheelmeta.parse_entry_points(text) == (("Tool", "other"), ("g",), ("_pkg", "gui", "pkg"))
    assert wheelmeta.parse_entry_points("not an ini [") == ((), (), ())


def test_range_requests_read_a_small_part(ranged: tuple[str, Served]) -> None:
    url, served = ranged
    name = "big_app-1.0-py3-none-any.whl"
    meta, fetched, requests = wheelmeta.from_url(f"{url}/files/{name}", wheelmeta.opener())
    assert meta.console == ("big-app",)
    assert meta.data_scripts == ("big-tool",)
    assert served.full == {}
    assert fetched == served.sent[name]
    assert fetched < PADDING // 10
    assert requests == served.requests[name]


def test_a_server_without_ranges_is_said(unranged: tuple[str, Served]) -> None:
    url, _ = unranged
    with pytest.raises(wheelmeta.NoRanges, match="200"):
        wheelmeta.from_url(f"{url}/files/big_app-1.0-py3-none-any.whl", wheelmeta.opener())


def test_a_missing_file_is_said(ranged: tuple[str, Served]) -> None:
    url, _ = ranged
    with pytest.raises(wheelmeta.NoRanges):
        wheelmeta.from_url(f"{url}/files/nothere-1.0-py3-none-any.whl", wheelmeta.opener())


@pytest.mark.parametrize(("installed", "embedded"), [("23.0.1", True), ("25.2", True), ("25.3", False), ("26.1", False)])
def test_metadata_is_read_with_a_pip_that_does_not_download(monkeypatch: pytest.MonkeyPatch, installed: str,
                                                            embedded: bool) -> None:
    import importlib.metadata

    from safepip.venv import ownpip

    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: installed if name == "pip" else real(name))
    command = ownpip.metadata_pip_command(dict(os.environ))
    if embedded:
        assert command[0] == sys.executable
        assert command[1].endswith(".whl/pip")  # virtualenv's embedded pip, new enough
        assert ownpip.version_tuple(os.path.basename(command[1][:-4]).split("-")[1]) >= ownpip.LAZY_DRY_RUN
    else:
        assert command == pip_argv(sys.executable, [])
