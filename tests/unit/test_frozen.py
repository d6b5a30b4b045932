"""Frozen records behave as the frozen dataclasses they replace."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from safepip.facts.pipargs import Option, PipCall, scan
from safepip.fastpath.satisfied import Line
from safepip.frozen import Frozen, field, record


def test_records_compare_hash_show_and_refuse_assignment() -> None:
    one, same, other = Line("a", None), Line("a", None, None, False), Line("a", None, hashed=True)
    assert one == same and hash(one) == hash(same) and one != other
    assert one != ("a", None, None, False)
    assert repr(other) == "Line(text='a', comes_from=None, label=None, hashed=True)"
    with pytest.raises(AttributeError):
        one.text = "b"  # type: ignore[misc]
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


@record
class _Rec(Frozen):
    kind: str
    args: tuple[int, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    reads: tuple[str, ...] = field(default=(), compare=False)


@dataclasses.dataclass(frozen=True)
class _Dc:
    kind: str
    args: tuple[int, ...] = ()
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    reads: tuple[str, ...] = dataclasses.field(default=(), compare=False)


@record
class _Small(Frozen):
    kind: str
    reads: tuple[str, ...] = field(default=(), compare=False)


@dataclasses.dataclass(frozen=True)
class _DcSmall:
    kind: str
    reads: tuple[str, ...] = dataclasses.field(default=(), compare=False)


def test_a_record_is_made_and_shown_as_the_frozen_dataclass_it_replaces() -> None:
    for args, kwargs in [(("x",), {}), (("x", (1,)), {"reads": ("r",)}), ((), {"kind": "y", "env": {"A": "1"}})]:
        made, expected = _Rec(*args, **kwargs), _Dc(*args, **kwargs)  # type: ignore[arg-type]
        assert repr(made).removeprefix("_Rec") == repr(expected).removeprefix("_Dc")
    wrong: list[tuple[tuple[object, ...], dict[str, object]]] = [
        ((), {}), (("x", (), {}, (), 5), {}), (("x",), {"kind": "y"}), (("x",), {"nope": 1})]
    for bad_args, bad_kwargs in wrong:
        with pytest.raises(TypeError):
            _Dc(*bad_args, **bad_kwargs)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            _Rec(*bad_args, **bad_kwargs)  # type: ignore[arg-type]
    assert _Rec("x").env is not _Rec("x").env  # a new one each, as default_factory makes it
    assert _Rec.args == () and _Rec.reads == () and "env" not in vars(_Rec)


def test_a_record_compares_hashes_copies_and_refuses_assignment_as_a_dataclass_does() -> None:
    one = _Rec("x", (1,), reads=("a",))
    assert one == _Rec("x", (1,), reads=("b",)), "reads is not compared"
    with pytest.raises(TypeError):
        hash(one)  # a dict field, as a frozen dataclass's hash refuses it
    assert hash(_Small("x", ("a",))) == hash(_Small("x", ("b",))) == hash(_DcSmall("x", ("c",)))
    assert one != _Rec("y", (1,)) and one != _Dc("x", (1,))
    with pytest.raises(AttributeError):
        one.kind = "z"  # type: ignore[misc]
    changed = one.replace_(kind="z")
    assert changed.kind == "z" and changed.args == (1,) and changed.reads == ("a",) and one.kind == "x"
    with pytest.raises(TypeError):
        one.replace_(nothing=1)
    assert copy.deepcopy(one) == one == pickle.loads(pickle.dumps(one))  # noqa: S301 - its own bytes


def test_a_field_without_a_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError):

        @record
        class _Bad(Frozen):
            first: int = 0
            second: int  # type: ignore[misc]


@record(slots=True)
class _Slotted(Frozen):
    kind: str
    args: tuple[int, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


def test_a_slotted_record_keeps_its_fields_in_slots_as_a_slotted_dataclass_does() -> None:
    one = _Slotted("x", env={"A": "1"})
    assert not hasattr(one, "__dict__") and _Slotted.__slots__ == ("kind", "args", "env")
    assert repr(one) == "_Slotted(kind='x', args=(), env={'A': '1'})"
    assert _Slotted("x").env is not _Slotted("x").env and one == _Slotted("x", (), {"A": "1"})
    assert _Slotted.__qualname__ == "_Slotted" and _Slotted.__init__.__qualname__ == "_Slotted.__init__"
    with pytest.raises(AttributeError):
        one.kind = "z"  # type: ignore[misc]
    with pytest.raises(TypeError):
        _Slotted()  # type: ignore[call-arg]
    assert one.replace_(args=(1,)) == _Slotted("x", (1,), {"A": "1"})
    assert copy.deepcopy(one) == one == pickle.loads(pickle.dumps(one))  # noqa: S301 - its own bytes
