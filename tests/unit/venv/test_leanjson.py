"""safepip.venv.leanjson reads and writes JSON exactly as json does (it calls json's own C functions)."""

from __future__ import annotations

import json

import pytest

from safepip.venv.leanjson import dumps, loads

TEXTS = [
    ' {"a": 1} \n', '[1,2.5,"x",null,true,false,NaN,-Infinity]', '"\\u00e9\\ud83d\\ude00"', "[1e400, -0.0]",
    '{"a": [1, {"b": "c"}]}\t', '{"a":1,"a":2}', "0",
    # not JSON: json refuses each, and so must loads
    '{"a":1}x', "", "  ", '\ufeff{}', "nul", '{"a":"\x01"}', "1 2", '{"a":1', "[1,]",
]


@pytest.mark.parametrize("text", TEXTS)
def test_loads_is_json_loads(text: str) -> None:
    try:
        expected: object = ("ok", json.loads(text))
    except ValueError:
        expected = "refused"
    try:
        got: object = ("ok", loads(text))
    except ValueError:
        got = "refused"
    assert repr(got) == repr(expected)


VALUES = [
    [["state", 1000, '/tmp/é\u2028x"\\'], {"state": "complete", "python": "/usr/bin/python3", "old": "x"}],
    {}, [], {"a": [1, True, False, None, {"b": "\x00\x1f"}], "B": -5, "": ""}, {"f": 1.5}, [float("nan")],
    {"k": (1, 2)}, 2**80, "ü", {"z": 1, "a": {"y": [], "b": {}}}, {1: "x"},
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_is_json_dumps_sorted_and_compact(value: object) -> None:
    assert dumps(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
