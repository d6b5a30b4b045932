"""The python launchers' memos as the front door writes them (without shlex or the launchers' module)."""

from __future__ import annotations

import shlex

import pytest

from safepip.act.shims import MEMO_NAME
from safepip.remembered import pythons


def test_the_memo_name_is_the_launchers() -> None:
    assert pythons.MEMO_NAME == MEMO_NAME


@pytest.mark.parametrize("text", ["", "plain", "/a/b-c_d.e", "it's", "a b", "$PWD", 'q"uote', "é", "a\nb", "@%+=:,"])
def test_sh_quote_is_shlex_quote(text: str) -> None:
    assert pythons.sh_quote(text) == shlex.quote(text)
