"""argv fidelity under fuzzing: safepip's scanner against pip's own parser.

Command lines are generated from pip's own option table (the installed pip's parsers:
global options, each command's options, values, ``--``, clusters of short options, long
options abbreviated to a prefix, option values that look like commands or options). For
each, pip's parser (``parse_command`` then the command's parser) and ``pipargs.scan`` must
agree on the subcommand and on every option that changes where pip writes.
"""

from __future__ import annotations

import contextlib
import copy
import io
import optparse
import os
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pip._internal.cli.main_parser import create_main_parser, parse_command
from pip._internal.commands import commands_dict, create_command
from pip._internal.exceptions import PipError

from helpers import ISOLATED_PIP
from safepip.decide import redirected
from safepip.facts.pipargs import PipCall, scan

#: Option destinations that change where pip writes or whether it writes.
DESTS = (
    "target_dir", "prefix_path", "root_path", "use_user_site", "python", "override_externally_managed",
    "dry_run", "json_report_file", "requirements", "editables", "constraints",
)
#: A pip error that comes from the shape of the command line (the scanner must see it too),
#: as opposed to a value pip validates (``--timeout x``), which pip reports itself later.
STRUCTURAL = ("no such option", "requires 1 argument", "ambiguous option", "does not take a value", "unknown command")
# (pip's callbacks also say "requires 1 argument" for values they reject; _pip marks those "value:")

# pip's parsers read pip's configuration when they make their defaults: build them with pip's
# configuration isolated, as the hermetic fixture isolates every test (this runs at import,
# before any fixture), so the machine's pip.conf cannot leak into the oracle.
with mock.patch.dict(os.environ, ISOLATED_PIP):
    for _name in [n for n in os.environ if n.startswith("PIP_") and n not in ISOLATED_PIP]:
        del os.environ[_name]
    MAIN = create_main_parser()
    PARSERS: dict[str, optparse.OptionParser] = {name: create_command(name).parser for name in commands_dict}
    DEFAULTS = {name: parser.get_default_values() for name, parser in PARSERS.items()}


def _options(parser: optparse.OptionParser) -> list[optparse.Option]:
    return list(parser._get_all_options())


WORDS = ["pkg", "x==1", "install", "uninstall", "list", "-", "--", "-q", "--user", "a b", "è🚒", "=", "--target", ""]


def _value(option: optparse.Option) -> st.SearchStrategy[str]:
    if option.type in ("int", "float"):
        return st.sampled_from(["3", "0", "x"])
    if option.type == "choice":
        return st.sampled_from([*option.choices, "bogus"])  # type: ignore[misc]
    return st.sampled_from(WORDS)


@st.composite
def _option_tokens(draw: Any, options: list[optparse.Option]) -> list[str]:
    """One option as a user might type it: long, abbreviated, ``--name=value``, short, clustered."""
    option = draw(st.sampled_from(options))
    longs = option._long_opts
    shorts = option._short_opts
    takes = option.takes_value()
    forms = []
    if longs:
        forms.append("long")
    if shorts:
        forms.append("short")
    form = draw(st.sampled_from(forms))
    if form == "long":
        name = draw(st.sampled_from(longs))
        if draw(st.booleans()):  # an abbreviation: unique or ambiguous, pip decides
            name = name[: draw(st.integers(min_value=3, max_value=len(name)))]
        if takes:
            value = draw(_value(option))
            return [f"{name}={value}"] if draw(st.booleans()) else [name, value]
        return [f"{name}=x"] if draw(st.integers(0, 20)) == 0 else [name]
    short = draw(st.sampled_from(shorts))
    if takes:
        value = draw(_value(option))
        return [short + value] if value and draw(st.booleans()) else [short, value]
    # A cluster of flags, maybe ending in one that takes a value (-qqr req.txt).
    flags = [o._short_opts[0][1] for o in options if o._short_opts and not o.takes_value()]
    cluster = short + "".join(draw(st.lists(st.sampled_from(flags), max_size=3)))
    return [cluster]


@st.composite
def command_lines(draw: Any) -> list[str]:
    main_options = _options(MAIN)
    argv: list[str] = []
    for tokens in draw(st.lists(_option_tokens(main_options), max_size=3)):
        argv.extend(tokens)
    command = draw(st.sampled_from([*sorted(commands_dict), "instal", "help"]))
    argv.append(command)
    every = _options(PARSERS.get(command, MAIN))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 9))
        if kind < 6:
            argv.extend(draw(_option_tokens(every)))
        elif kind < 9:
            argv.append(draw(st.sampled_from(["pkg", "x==1", "install", "./dir", "a b"])))
        else:
            argv.append("--")
    return argv


def _pip(argv: list[str]) -> tuple[str, Any] | tuple[str, str]:
    """What pip makes of argv: ("ok", (command, options)), ("exit", message) or ("error", message)."""
    err = io.StringIO()
    with mock.patch.dict(os.environ, {"_PIP_RUNNING_IN_SUBPROCESS": "1"}), contextlib.redirect_stderr(err), \
            contextlib.redirect_stdout(io.StringIO()):
        try:
            name, rest = parse_command(list(argv))
            # A deep copy of the defaults each time: optparse appends to the default lists.
            options, _ = PARSERS[name].parse_args(rest, copy.deepcopy(DEFAULTS[name]))
            if getattr(options, "python", None) and not MAIN.parse_args(list(argv))[0].python:
                # pip refuses --python after the command name when the command runs.
                return "error", "late --python"
        except SystemExit as exc:
            if exc.code in (0, None):
                return "exit", ""
            return "error", err.getvalue()
        except PipError as exc:
            # pip's option callbacks raise this for values they reject (--no-binary -x):
            # a value check, not the shape of the line, unless the command is unknown.
            return "error", str(exc) if "unknown command" in str(exc) else f"value: {exc}"
    return "ok", (name, options)


def _scanned(call: PipCall, parser: optparse.OptionParser, options: Any) -> dict[str, Any]:
    mine: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    for option in _options(parser):
        if option.dest not in DESTS:
            continue
        canonical = (option._long_opts or option._short_opts)[0]
        theirs[option.dest] = getattr(options, option.dest)
        if option.dest == "use_user_site":
            mine[option.dest] = call.flag("--user", "--no-user")
        elif option.action == "append":
            mine[option.dest] = call.values(canonical)
        elif option.action == "store_true":
            mine[option.dest] = call.has(canonical) or None
            theirs[option.dest] = theirs[option.dest] or None
        else:
            mine[option.dest] = call.last(canonical)
    return {"safepip": mine, "pip": theirs}


@settings(max_examples=2000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_lines())
def test_scanner_agrees_with_pip(argv: list[str]) -> None:
    call = scan(argv)
    outcome, detail = _pip(argv)
    if outcome == "error":
        if not detail.startswith("value:") and any(s in detail for s in STRUCTURAL):
            assert call.error is not None, (argv, detail)
        return
    assert call.error is None, (argv, call.error)
    if outcome == "exit":  # --help, --version, or a bare "help": pip printed and stopped
        return
    assert isinstance(detail, tuple)
    name, options = detail
    assert call.command == name, argv
    both = _scanned(call, PARSERS[name], options)
    assert both["safepip"] == both["pip"], argv


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_lines())
def test_the_redirected_call_is_what_pip_reads_in_the_shorter_argv(argv: list[str]) -> None:
    """What every redirected route hands on: pip reads neither --user nor --python in it, and
    the call's options still point at their own tokens (steps remove positionals by position)."""
    call = scan(argv)
    assume(call.error is None and call.command is not None)
    # pip removes the first token equal to the command's name, a value's too: not a redirect's case.
    # That value may be one the first pass read and the second never sees (``--python install
    # --use-feature x install``: the second pass reads ``--python --use-feature``), so what
    # says it is where that token stands, not only the values the call holds.
    assume(all(o.value != call.command for o in call.options))
    first = argv.index(str(call.command))
    assume(not any(o.start <= first < o.stop for o in call.options))
    cleaned = redirected(call)
    again = scan(cleaned.argv)
    assert again.error is None, (argv, again.error)
    assert (again.command, again.options, again.positionals) == (cleaned.command, cleaned.options, cleaned.positionals)
    assert again.python is None and cleaned.python is None
    assert not cleaned.has("--user") and not cleaned.has("--python")
    outcome, detail = _pip(list(cleaned.argv))
    if outcome == "ok":
        assert isinstance(detail, tuple)
        _, options = detail
        assert not getattr(options, "use_user_site", None) and not getattr(options, "python", None), argv
