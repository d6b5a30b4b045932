"""safepip.venv.state reads and writes JSON exactly as json does (it calls json's own C functions)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepip.venv.state import dumps, loads

TEXTS = [
    ' {"a": 1} \n', '[1,2.5,"x",null,true,false,NaN,-Infinity]', '"\\u00e9\\ud83d\\ude00"', "[1e400, -0.0]",
    '{"a": [1, {"b": "c"}]}\t', '{"a":1,"a":2}', "0",
    # not JSON: json refuses each, and so must loads
    '{"a":1}x', "", "  ", '\ufeff{}', "nul", '{"a":"\x01"}', "1 2", '{"a":1', "[1,]",
    # objects of plain strings (a state file): read without json's scanner, exactly as it reads them
    '{"state": "complete", "python": "/usr/bin/python3"}', "{}", " { } ", '{"a":"b","a":"c"}', '{"a" : "b"\r\n}',
    '{"a":"b",}', '{"a":"b" "c":"d"}', '{"a":"b"}{"c":"d"}', '{,"a":"b"}', '{"a":"b",,"c":"d"}', '{"a":"b\\"c"}',
    '{"a":"\x7f"}', '{"a":"\u00e9"}', '{"a":"\xe9"}', '{"a":\x0b"b"}', '{"a":"b"\x0b}', '{"a":"b":"c"}', '{"a"}',
    '{"a":1,"b":"c"}', '{"a":"b","c":null}', '{"a:b":"c, d}"}', '{"a":"b"',
]


@pytest.mark.parametrize("text", TEXTS)
def test_loads_is_json_loads(text: str) -> None:
    _same_as_json(text)


VALUES = [
    [["state", 1000, '/tmp/é\u2028x"\\'], {"state": "complete", "python": "/usr/bin/python3", "old": "x"}],
    {}, [], {"a": [1, True, False, None, {"b": "\x00\x1f"}], "B": -5, "": ""}, {"f": 1.5}, [float("nan")],
    {"k": (1, 2)}, 2**80, "ü", {"z": 1, "a": {"y": [], "b": {}}}, {1: "x"},
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_is_json_dumps_sorted_and_compact(value: object) -> None:
    assert dumps(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _same_as_json(text: str) -> None:
    try:
        expected: object = ("ok", json.loads(text))
    except ValueError:
        expected = "refused"
    try:
        got: object = ("ok", loads(text))
    except ValueError:
        got = "refused"
    assert repr(got) == repr(expected), text


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4))
def test_an_object_of_strings_reads_and_writes_as_json_does(value: dict[str, str]) -> None:
    for text in (json.dumps(value), json.dumps(value, separators=(",", ":")), json.dumps(value, indent=1)):
        _same_as_json(text)
    assert dumps(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='{}[]":, \t\n\x0babc1\\\x7fé', max_size=24))
def test_any_text_of_json_s_punctuation_reads_as_json_does(text: str) -> None:
    _same_as_json(text)
