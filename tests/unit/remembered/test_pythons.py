"""The python launchers' memos as the front door writes them (without shlex or the launchers' module)."""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path

import pytest

from safepip.act.shims import MEMO_NAME
from safepip.remembered import pythons
from safepip.remembered.store import signature


def test_the_memo_name_is_the_launchers() -> None:
    assert pythons.MEMO_NAME == MEMO_NAME


@pytest.mark.parametrize("text", ["", "plain", "/a/b-c_d.e", "it's", "a b", "$PWD", 'q"uote', "é", "a\nb", "@%+=:,"])
def test_sh_quote_is_shlex_quote(text: str) -> None:
    assert pythons.sh_quote(text) == shlex.quote(text)


def test_signatures_just_checked_are_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The front door's answer for the prompt hook has just checked every path of the remembered
    choice (the recall's signatures): the memo it writes takes their owner and time from those
    signatures instead of a second ``stat`` each, and is the same memo.
    """
    there, gone, mine = tmp_path / "there", tmp_path / "gone", tmp_path / "mine"
    there.write_text("x")
    mine.mkdir()
    old = time.time() - 10
    for path in (there, mine):
        os.utime(path, (old, old))
    known = {str(there): signature(str(there)), str(gone): None, str(mine): signature(str(mine), True)}
    environ = {"PATH": "/usr/bin", "HOME": str(tmp_path)}
    args = (str(tmp_path), environ, [str(there), str(gone)], [str(mine)], "/env/bin/python")
    plain = pythons.text(*args)
    assert plain is not None and f"[ -O {mine} ]" in plain and f"[ ! -e {gone} ]" in plain
    read: list[str] = []
    real_stat = os.stat

    def counted(path: str, *rest: object, **kw: object) -> os.stat_result:
        read.append(path)
        return real_stat(path, *rest, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counted)
    assert pythons.text(*args, known=known) == plain
    assert read == []
    assert pythons.text(*args, known={}) == plain and sorted(read) == sorted(map(str, (there, gone, mine)))
