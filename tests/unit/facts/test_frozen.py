"""Frozen records behave as the frozen dataclasses they replace."""

from __future__ import annotations

import copy
import pickle

import pytest

from safepip.facts.pipargs import Option, PipCall, scan
from safepip.fastpath.reqfile import Line


def test_records_compare_hash_show_and_refuse_assignment() -> None:
    one, same, other = Line("a", None), Line("a", None, None, False), Line("a", None, hashed=True)
    assert one == same and hash(one) == hash(same) and one != other
    assert one != ("a", None, None, False)
    assert repr(other) == "Line(text='a', comes_from=None, label=None, hashed=True)"
    with pytest.raises(AttributeError):
        one.text = "b"
    with pytest.raises(AttributeError):
        del one.text
    assert not hasattr(one, "__dict__")


def test_replace_copy_and_pickle() -> None:
    call = scan(["install", "-q", "x"])
    assert isinstance(call, PipCall) and isinstance(call.options[0], Option)
    changed = call.replace_(positionals=("y",))
    assert changed.positionals == ("y",) and changed.options == call.options and call.positionals == ("x",)
    with pytest.raises(TypeError):
        call.replace_(nothing=1)
    assert copy.deepcopy(call) == call == pickle.loads(pickle.dumps(call))  # noqa: S301 - its own bytes
    assert copy.copy(call.options[0]) == call.options[0]
