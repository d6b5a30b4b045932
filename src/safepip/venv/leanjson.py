"""JSON as :mod:`json` reads and writes it, with the C functions json itself calls (``_json``)
and without importing json: json (and the re it imports, with enum) costs a few ms, and a
``safepip run`` with nothing remembered reads one record (an environment's state file,
:mod:`safepip.venv.state`) whose proof is computed over a JSON text.

An object of plain strings (a state file) is read and written without even ``_json``: a
shared library, whose loading costs more than the reading. Where ``_json`` is missing (not
CPython), json itself does the work.
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


def _plain(text: str) -> bool:
    """Whether ``text`` is a JSON string's content as json writes it, unescaped: printable
    ASCII without a quote or a backslash.
    """
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def _flat(text: str) -> dict[str, str] | None:
    """``text`` read as json reads it when it is an object of plain strings (:func:`_plain`:
    what a state file holds), or None for anything else (read by json's scanner).
    """
    body = text.strip(" \t\n\r")  # json's own whitespace
    if body[:1] != "{" or body[-1:] != "}":
        return None
    found: dict[str, str] = {}
    rest = body[1:-1].strip(" \t\n\r")
    while rest:
        parts = rest.split('"', 4)  # '', key, ':', value, what follows
        if len(parts) != 5 or parts[0] or parts[2].strip(" \t\n\r") != ":":
            return None
        key, value, rest = parts[1], parts[3], parts[4].lstrip(" \t\n\r")
        if not (_plain(key) and _plain(value)):
            return None
        found[key] = value  # a repeated key: the last, as json keeps it
        if rest:
            if rest[0] != ",":
                return None
            rest = rest[1:].lstrip(" \t\n\r")
            if not rest:
                return None  # a trailing comma
    return found


def loads(text: str) -> Any:
    """``json.loads(text)``: the same scanner, without importing json (a ValueError when ``text``
    is not JSON). An object of plain strings (a state file) is read here: loading ``_json`` (a
    shared library) costs more than reading it.
    """
    flat = _flat(text)
    if flat is not None:
        return flat
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
    chunks: list[str] = []

    def string(item: str) -> str | None:
        if _plain(item):
            return f'"{item}"'  # what json writes for it: _json (a shared library) is not loaded
        try:
            from _json import encode_basestring_ascii
        except ImportError:  # pragma: no cover - not CPython
            return None
        return encode_basestring_ascii(item)

    def put(item: Any) -> bool:
        if isinstance(item, str):
            written = string(item)
            if written is None:
                return False
            chunks.append(written)
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
                written = string(key)
                if written is None:
                    return False
                chunks.append(f"{',' if index else ''}{written}:")
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
