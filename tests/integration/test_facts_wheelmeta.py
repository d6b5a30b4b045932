"""Reading a wheel's facts with few bytes: local files, HTTP range requests against a local
server (with and without range support), and the whole classification through pip."""

from __future__ import annotations

import sys
from pathlib import Path

from helpers import SYSTEM_PYTHON, needs_managed, safepip_env
from httpindex import Served
from safepip.facts.classify import Fact, gather
from wheelindex import PADDING


def _gather(url: str, tmp_path: Path, *reqs: str) -> list[Fact]:
    """The facts of ``reqs`` from the index at ``url``, read through pip (this Python's)."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    pip = [sys.executable, "-m", "pip"]
    return gather(list(reqs), pip, SYSTEM_PYTHON, ["--index-url", f"{url}/simple/"], str(scratch), safepip_env())


@needs_managed
def test_classification_through_pip_reads_ranges(ranged: tuple[str, Served], tmp_path: Path) -> None:
    url, served = ranged
    big, plain, missing = _gather(url, tmp_path, "big-app", "plain-lib>=2", "nothere")
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
    (big,) = _gather(url, tmp_path, "big-app")
    assert big.how == "download"
    assert big.meta is not None
    assert big.meta.console == ("big-app",)
