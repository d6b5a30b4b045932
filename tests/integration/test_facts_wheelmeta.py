"""Reading a wheel's facts with few bytes: local files, HTTP range requests against a local
server (with and without range support), and the whole classification through pip."""

from __future__ import annotations

import sys
from pathlib import Path

from helpers import SYSTEM_PYTHON, needs_managed, safepip_env
from httpindex import Served
from safepip.facts.classify import gather
from wheelindex import PADDING


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
