"""The value checks of pip's options, as each pip's optparse and callbacks apply them.

The option tables (``_pipoptions``) name a check for each option that takes a value:
optparse's types (``int``, ``float``), a tuple of choices, or one of the callbacks the
generator recognises (``key=value``, ``datetime``, ``datetime-or-days``, ``python-version``).
"""

from __future__ import annotations


class ParseError(Exception):
    """What pip's parser would say about the command line."""


def parse_int(value: str) -> int:
    """optparse's integer parsing (0x, 0b and leading-0 octal prefixes)."""
    lowered = value[:2].lower()
    if lowered == "0x":
        return int(value, 16)
    if lowered == "0b":
        return int(value[2:] or "0", 2)
    if value[:1] == "0":
        return int(value, 8)
    return int(value, 10)


def check(name: str, value: str, check: object) -> None:
    """Refuse a value as the pip of the table would (optparse's types and choices, and the
    callbacks the generator names).
    """
    if check is None:
        return
    if isinstance(check, tuple):
        if value not in check:
            choices = ", ".join(repr(c) for c in check)
            raise ParseError(f"option {name}: invalid choice: {value!r} (choose from {choices})")
        return
    try:
        if check == "int":
            parse_int(value)
        elif check == "float":
            float(value)
    except ValueError:
        raise ParseError(f"option {name}: invalid {check} value: {value!r}") from None
    if check == "key=value" and "=" not in value:
        raise ParseError(f"arguments to {name} must be of the form KEY=VAL")
    if check in ("datetime", "datetime-or-days"):
        _check_datetime(name, value, days=check == "datetime-or-days")
    if check == "python-version" and value:
        _check_python_version(value)


def _check_datetime(name: str, value: str, *, days: bool) -> None:
    """pip's ``--uploaded-prior-to``: an ISO 8601 datetime (a trailing Z allowed), or in
    newer pips ``P<n>D``.
    """
    import re
    from datetime import datetime

    if days and re.match(r"^P(\d+)D$", value, re.ASCII):
        return
    texts = (value, value[:-1] + "+00:00") if value.endswith("Z") else (value,)
    for text in texts:
        try:
            datetime.fromisoformat(text)
        except ValueError:
            continue
        else:
            return
    raise ParseError(f"option {name}: invalid value: {value!r}: expected an ISO 8601 datetime")


def _check_python_version(value: str) -> None:
    """pip's ``--python-version``: up to three integer parts, or ``311`` for 3.11."""
    parts = value.split(".")
    if len(parts) > 3:
        raise ParseError(f"invalid --python-version value: {value!r}: at most three version parts are allowed")
    if len(parts) == 1 and len(parts[0]) > 1:
        parts = [parts[0][0], parts[0][1:]]
    try:
        [int(p) for p in parts]
    except ValueError:
        raise ParseError(f"invalid --python-version value: {value!r}: each version part must be an integer") from None
