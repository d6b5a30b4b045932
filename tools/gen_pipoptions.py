"""Generate src/safepip/facts/_pipoptions.py: the option tables of every pip version safepip knows.

``python tools/gen_pipoptions.py`` gets each pip of :data:`VERSIONS` (a wheel downloaded once
into .tools/pips/, by the running interpreter's own pip), reads each one's parser in a
separate interpreter with only that wheel on its path, and writes one base table (the newest
pip's) and, for every other version, what differs from it. ``--local`` regenerates from
the pip installed beside this interpreter alone (what the offline test compares).

Run it when a new pip is released (add it to VERSIONS); tests/unit/facts/test_pipargs.py fails
until the table of the installed pip matches again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

#: The last release of every pip minor version from 22.3 on (22.3 brought ``--python``).
VERSIONS = (
    "22.3.1", "23.0.1", "23.1.2", "23.2.1", "23.3.2", "24.0", "24.1.2", "24.2", "24.3.1",
    "25.0.1", "25.1.1", "25.2", "25.3", "26.0.1", "26.1.2", "26.2.1", "26.3",
)

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "src" / "safepip" / "facts" / "_pipoptions.py"
NEWEST_IN = ROOT / "src" / "safepip" / "facts" / "pipargs.py"
#: The callbacks whose value checks the scanner replays (see safepip.pipargs).
CHECKED_CALLBACKS = {"_handle_config_settings": "key=value", "_handle_python_version": "python-version"}

Entry = Tuple[Any, ...]


def _check(opt: Any) -> Any:
    """What pip checks of an option's value: a tuple of choices, "int", "float", a named
    callback check, or None."""
    if opt.type == "choice":
        return tuple(opt.choices)
    if opt.type in ("int", "float"):
        return str(opt.type)
    callback = getattr(opt.callback, "__name__", None)
    if callback == "_handle_uploaded_prior_to":
        import inspect

        return "datetime-or-days" if "P(\\d+)D" in inspect.getsource(opt.callback) else "datetime"
    return CHECKED_CALLBACKS.get(callback or "")


def _table(options: Any) -> Dict[str, Entry]:
    out: Dict[str, Entry] = {}
    for opt in options:
        canonical = (opt._long_opts or opt._short_opts)[0]
        for name in (*opt._long_opts, *opt._short_opts):
            out[name] = (canonical, bool(opt.takes_value()), _check(opt))
    return out


def collect() -> Dict[str, Any]:
    """Read the importable pip's parsers: its version, global options, each command's own
    options, and whether it refuses ``--python`` after the command name."""
    import inspect

    import pip
    from pip._internal.cli import base_command
    from pip._internal.cli.main_parser import create_main_parser
    from pip._internal.commands import commands_dict, create_command

    main = _table(create_main_parser()._get_all_options())
    commands = {}
    for name in commands_dict:
        every = _table(create_command(name).parser._get_all_options())
        commands[name] = {k: v for k, v in every.items() if k not in main}
    late_python = "must be placed before" in inspect.getsource(base_command)
    command_version = "--version" in _table(create_command("install").parser._get_all_options())
    return {
        "version": pip.__version__, "global": main, "commands": commands,
        "python_after_command": late_python, "command_version": command_version,
    }


def _normal(data: Dict[str, Any]) -> Dict[str, Any]:
    """JSON turns tuples into lists: back to tuples."""

    def entry(value: List[Any]) -> Entry:
        name, takes, check = value
        return (name, takes, tuple(check) if isinstance(check, list) else check)

    return {
        "version": data["version"],
        "global": {k: entry(v) for k, v in data["global"].items()},
        "commands": {c: {k: entry(v) for k, v in t.items()} for c, t in data["commands"].items()},
        "python_after_command": data["python_after_command"],
        "command_version": data["command_version"],
    }


def wheel(version: str, cache: Path) -> Path:
    """pip ``version``'s wheel in ``cache``, downloaded by this interpreter's pip if missing."""
    import tempfile

    found = cache / f"pip-{version}-py3-none-any.whl"
    if not found.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:  # parallel test workers: rename into place
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                 "--dest", tmp, f"pip=={version}"],
                check=True,
            )
            os.replace(Path(tmp) / found.name, found)
    return found


def isolated_environ(path: Optional[str] = None) -> Dict[str, str]:
    """An environment in which pip reads no configuration (and ``path`` is its only extra path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, _PIP_RUNNING_IN_SUBPROCESS="1", PYTHONNOUSERSITE="1")
    if path:
        env["PYTHONPATH"] = path
    return env


def collect_from(pip_wheel: Path) -> Dict[str, Any]:
    """:func:`collect` run in a fresh interpreter that imports pip from ``pip_wheel``."""
    code = f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import gen_pipoptions as g; print(json.dumps(g.collect()))"
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], env=isolated_environ(str(pip_wheel)),
        check=True, capture_output=True, text=True,
    ).stdout
    return _normal(json.loads(out))


def diff(base: Dict[str, Entry], other: Dict[str, Entry]) -> Dict[str, Optional[Entry]]:
    """What ``other`` changes in ``base``: name -> entry, or None where ``other`` lacks it."""
    out: Dict[str, Optional[Entry]] = {k: v for k, v in other.items() if base.get(k) != v}
    out.update({k: None for k in base if k not in other})
    return out


def _entry(value: Optional[Entry]) -> str:
    return "None" if value is None else repr(tuple(value))


def render(tables: List[Dict[str, Any]]) -> str:
    """The module text: the newest table whole, the others as differences from it."""
    tables = sorted(tables, key=lambda t: tuple(int(p) for p in t["version"].split(".")))
    base = tables[-1]
    lines = [
        f'"""pip option tables, generated by tools/gen_pipoptions.py from each pip\'s own parser: do not edit.',
        "",
        "Each option name maps to (its canonical name, whether it takes a value, what pip checks of",
        'the value: a tuple of choices, "int", "float", "key=value", "python-version", "datetime",',
        '"datetime-or-days", or None).',
        f"GLOBAL and COMMANDS are pip {base['version']}'s (COMMANDS holds each command's own options; pip adds",
        "the global ones to every command). DIFFS says what each other version changes: an entry, or",
        'None where that pip lacks the option (a whole command: None). LATE_PYTHON: the versions that',
        "refuse --python after the command name; COMMAND_VERSION: those whose commands accept --version",
        '(newer pips have it on the main parser alone)."""',
        "",
        "from __future__ import annotations",
        "",
        "TYPE_CHECKING = False",
        "if TYPE_CHECKING:  # for the type checker only: the no-op check imports no typing",
        "    from typing import Dict, Optional, Tuple, Union",
        "",
        "    Check = Union[Tuple[str, ...], str, None]",
        "    Entry = Tuple[str, bool, Check]",
        "",
        f'PIP_VERSION = "{base["version"]}"',
        f"VERSIONS = {tuple(t['version'] for t in tables)!r}",
        f"LATE_PYTHON = {tuple(t['version'] for t in tables if t['python_after_command'])!r}",
        f"COMMAND_VERSION = {tuple(t['version'] for t in tables if t['command_version'])!r}",
        "",
        "GLOBAL: Dict[str, Entry] = {",
        *(f"    {k!r}: {_entry(v)}," for k, v in sorted(base["global"].items())),
        "}",
        "",
        "COMMANDS: Dict[str, Dict[str, Entry]] = {",
    ]
    for name in sorted(base["commands"]):
        lines.append(f"    {name!r}: {{")
        lines.extend(f"        {k!r}: {_entry(v)}," for k, v in sorted(base["commands"][name].items()))
        lines.append("    },")
    lines += ["}", "", "DIFFS: Dict[str, Dict[str, Optional[Dict[str, Optional[Entry]]]]] = {"]
    for table in tables[:-1]:
        lines.append(f"    {table['version']!r}: {{")
        changes = diff(base["global"], table["global"])
        if changes:
            lines.append('        "": {' + ", ".join(f"{k!r}: {_entry(v)}" for k, v in sorted(changes.items())) + "},")
        for name in sorted(set(base["commands"]) | set(table["commands"])):
            if name not in table["commands"]:
                lines.append(f"        {name!r}: None,")
                continue
            changes = diff(base["commands"].get(name, {}), table["commands"][name])
            if changes:
                body = ", ".join(f"{k!r}: {_entry(v)}" for k, v in sorted(changes.items()))
                lines.append(f"        {name!r}: {{{body}}},")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: List[str]) -> int:
    if argv == ["--local"]:
        tables = [collect()]
    else:
        cache = ROOT / ".tools" / "pips"
        tables = [collect_from(wheel(v, cache)) for v in (argv or VERSIONS)]
    TARGET.write_text(render(tables), encoding="utf-8")
    # pipargs.NEWEST stands for PIP_VERSION where the tables are not loaded: kept equal.
    newest = tables[-1]["version"]
    lines = NEWEST_IN.read_text(encoding="utf-8").splitlines(keepends=True)
    NEWEST_IN.write_text("".join(f'NEWEST = "{newest}"\n' if ln.startswith("NEWEST = ") else ln for ln in lines),
                         encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET} ({', '.join(t['version'] for t in tables)}) and NEWEST in {NEWEST_IN.name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
