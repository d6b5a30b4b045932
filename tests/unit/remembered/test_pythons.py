"""The python launchers' memos as the front door writes them (without shlex or the launchers' module)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from remembering import aged_paths, count_stats
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
    there, gone, mine = aged_paths(tmp_path)
    known = {str(there): signature(str(there)), str(gone): None, str(mine): signature(str(mine), True)}
    environ = {"PATH": "/usr/bin", "HOME": str(tmp_path)}
    args = (str(tmp_path), environ, [str(there), str(gone)], [str(mine)], "/env/bin/python")
    plain = pythons.text(*args)
    assert plain is not None and f"[ -O {mine} ]" in plain and f"[ ! -e {gone} ]" in plain
    read = count_stats(monkeypatch)
    assert pythons.text(*args, known=known) == plain
    assert read == []
    assert pythons.text(*args, known={}) == plain and sorted(read) == sorted(map(str, (there, gone, mine)))
