"""JSON as :mod:`json` reads and writes it, with the C functions json itself calls (``_json``)
and without importing json: json (and the re it imports, with enum) costs a few ms, and a
``safepip run`` with nothing remembered reads one record (an environment's state file,
:mod:`safepip.venv.records`) whose proof is computed over a JSON text.

Where ``_json`` is missing (not CPython), json itself does the work.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any


class _Decoding:
    """What ``_json``'s scanner reads of a decoder: ``json.loads``'s defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


def loads(text: str) -> Any:
    """``json.loads(text)``: the same scanner, without importing json (a ValueError when ``text``
    is not JSON).
    """
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - not CPython
        import json

        return json.loads(text)
    if text.startswith("\ufeff"):
        raise ValueError("a byte order mark")  # json.loads refuses it too
    start = len(text) - len(text.lstrip(" \t\n\r"))  # json's own whitespace
    try:
        value, end = make_scanner(_Decoding())(text, start)  # type: ignore[arg-type,unused-ignore]
    except StopIteration:
        raise ValueError("no JSON value") from None
    if text[end:].lstrip(" \t\n\r"):
        raise ValueError("extra data after the JSON value")
    return value


def dumps(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``; what
    JSON decoding gives (strings, whole numbers, booleans, null, lists, objects) is written
    with json's own string encoder, anything else by json itself.
    """
    try:
        from _json import encode_basestring_ascii as string
    except ImportError:  # pragma: no cover - not CPython
        return _json_dumps(value)
    chunks: list[str] = []

    def put(item: Any) -> bool:
        if isinstance(item, str):
            chunks.append(string(item))
        elif item is None or isinstance(item, bool):
            chunks.append("null" if item is None else "true" if item else "false")
        elif isinstance(item, int):
            chunks.append(int.__repr__(item))
        elif isinstance(item, list):
            chunks.append("[")
            for index, each in enumerate(item):
                if index:
                    chunks.append(",")
                if not put(each):
                    return False
            chunks.append("]")
        elif isinstance(item, dict) and all(isinstance(k, str) for k in item):
            chunks.append("{")
            for index, key in enumerate(sorted(item)):
                chunks.append(f"{',' if index else ''}{string(key)}:")
                if not put(item[key]):
                    return False
            chunks.append("}")
        else:
            return False  # a float, a tuple...: json's own rules
        return True

    return "".join(chunks) if put(value) else _json_dumps(value)


def _json_dumps(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
