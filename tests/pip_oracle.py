"""What one pip's own parser makes of command lines: run as a script with that pip importable.

Reads a JSON list of argvs on stdin and writes one JSON result per argv: ``kind`` (ok, error,
help, version), the command, every option optparse processed in order (its canonical name
and raw value) and the positionals. It records optparse's own ``Option.process`` calls, so
abbreviations, clusters and values are pip's reading, not a re-implementation. pip's check
that ``--python`` comes before the command (pip 24+, at run time) is applied as pip does.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import optparse
import sys

records: list[list[object]] = []
_process = optparse.Option.process


def _record(self, opt, value, values, parser):  # type: ignore[no-untyped-def]
    records.append([self.get_opt_string(), value])
    return _process(self, opt, value, values, parser)


optparse.Option.process = _record  # type: ignore[method-assign]

from pip._internal.cli import base_command  # noqa: E402
from pip._internal.cli.main_parser import parse_command  # noqa: E402
from pip._internal.commands import create_command  # noqa: E402
from pip._internal.exceptions import CommandError  # noqa: E402

LATE_PYTHON = "must be placed before" in inspect.getsource(base_command)


def read(argv: list[str]) -> dict[str, object]:
    """pip's reading of one argv."""
    records.clear()
    result: dict[str, object] = {"command": None, "positionals": []}
    sink = io.StringIO()
    main_records: list[list[object]] = []
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            name, cmd_args = parse_command(list(argv))
            main_records = list(records)
            records.clear()
            result["command"] = name
            command = create_command(name, isolated=("--isolated" in cmd_args))
            options, args = command.parse_args(cmd_args)
        result["positionals"] = list(args)
        late = options.python and not any(r[0] == "--python" for r in main_records)
        result["kind"] = "error" if (late and LATE_PYTHON) else "ok"
    except CommandError:
        result["kind"] = "error"
    except SystemExit as exc:
        if exc.code not in (0, None):
            result["kind"] = "error"
        else:
            seen = records or main_records
            result["kind"] = "version" if any(r[0] == "--version" for r in seen) else "help"
    kept: list[list[object]] = []
    if result["kind"] in ("ok", "help", "version"):
        kept = records if result["command"] is not None and records else (records or main_records)
    result["options"] = [list(r) for r in kept]
    return result


if __name__ == "__main__":
    sys.stdout.write(json.dumps([read(a) for a in json.load(sys.stdin)]))
