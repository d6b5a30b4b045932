"""A small validator for the JSON Schema subset docs/commands.md uses, and the schemas
read from that document (so the tests check the documented shape, not a copy of it)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parent.parent / "docs" / "commands.md"
_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def documented_schema(name: str) -> dict[str, Any]:
    """The JSON block following ``<!-- schema: NAME -->`` in docs/commands.md."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- schema: {re.escape(name)} -->\s*```json\n(.*?)\n```", text, re.S)
    assert found, f"no schema {name!r} in {DOC}"
    return dict(json.loads(found.group(1)))


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def errors(instance: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Every way ``instance`` breaks ``schema`` (empty: it validates)."""
    found: list[str] = []
    if "const" in schema and instance != schema["const"]:
        found.append(f"{where}: {instance!r} != {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        found.append(f"{where}: {instance!r} not in {schema['enum']!r}")
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(instance, k) for k in kinds):
            return [*found, f"{where}: {instance!r} is not {' or '.join(kinds)}"]
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in instance:
                found.append(f"{where}: missing {key!r}")
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in props:
                found.extend(errors(value, props[key], f"{where}.{key}"))
            elif extra is False:
                found.append(f"{where}: unexpected {key!r}")
            elif isinstance(extra, dict):
                found.extend(errors(value, extra, f"{where}.{key}"))
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            found.extend(errors(item, schema["items"], f"{where}[{i}]"))
    return found


def run_verb_json(verb: str, *args: str, cwd: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``safepip VERB --json ARGS`` and return its output, checked against the schema
    documented for VERB in docs/commands.md."""
    from helpers import run_safepip

    done = run_safepip(verb, "--json", *args, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    problems = errors(data, documented_schema(verb))
    assert not problems, problems
    return dict(data)
