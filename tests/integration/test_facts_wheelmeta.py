"""Reading a wheel's facts with few bytes: local files, HTTP range requests against a local
server (with and without range support), and the whole classification through pip."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

from helpers import SYSTEM_PYTHON, needs_managed, safepip_env
from httpindex import Served, serve
from safepip.facts.classify import gather
from wheels import make_wheel

PADDING = 3 * 1024 * 1024


def big_app(directory: Path) -> Path:
    """A wheel with a command named after it and 3 MiB of data the classification must not read."""
    return make_wheel(directory, "big-app", "1.0", scripts={"big-app": "big_app:main"},
                      gui_scripts={"big-app-gui": "big_app:main"},
                      files={"big_app_data/blob.bin": os.urandom(PADDING),
                             "big_app-1.0.data/scripts/big-tool": b"#!/bin/sh\necho tool\n"})


@pytest.fixture
def house(tmp_path: Path) -> Path:
    root = tmp_path / "index"
    big_app(root)
    make_wheel(root, "plain-lib", "2.0")
    return root


@pytest.fixture
def ranged(house: Path) -> Iterator[tuple[str, Served]]:
    yield from serve(house, ranges=True)


@pytest.fixture
def unranged(house: Path) -> Iterator[tuple[str, Served]]:
    yield from serve(house, ranges=False)


@needs_managed
def test_classification_through_pip_reads_ranges(ranged: tuple[str, Served], tmp_path: Path) -> None:
    url, served = ranged
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    pip = [sys.executable, "-m", "pip"]
    facts = gather(["big-app", "plain-lib>=2", "nothere"], pip, SYSTEM_PYTHON, ["--index-url", f"{url}/simple/"],
                   str(scratch), safepip_env())
    big, plain, missing = facts
    assert big.how == "ranges"
    assert big.meta is not None
    assert big.meta.console == ("big-app",)
    assert plain.meta is not None
    assert plain.meta.scripts == ()
    assert missing.meta is None
    assert "could not resolve" in missing.unknown
    name = "big_app-1.0-py3-none-any.whl"
    assert served.full.get(name, 0) == 0  # pip's lazy wheel and safepip's reads: ranges only
    assert served.sent[name] < PADDING // 4


@needs_managed
def test_classification_without_ranges_downloads_once(unranged: tuple[str, Served], tmp_path: Path) -> None:
    url, _served = unranged
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    pip = [sys.executable, "-m", "pip"]
    (big,) = gather(["big-app"], pip, SYSTEM_PYTHON, ["--index-url", f"{url}/simple/"], str(scratch), safepip_env())
    assert big.how == "download"
    assert big.meta is not None
    assert big.meta.console == ("big-app",)
