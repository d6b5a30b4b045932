"""A light scanner of pip's command line.

pip parses its argv in two passes with optparse: the global options up to the first
positional (the command name), then the whole argv minus the first occurrence of that
name with the command's parser, which knows the command's options and the global ones and
allows options after positionals. Long options may be abbreviated to any unambiguous
prefix. This module replays exactly that, from the tables in ``_pipoptions`` (generated
from each pip version's parser, and checked against each by the tests), without importing
pip. Options, abbreviations and value checks differ between pip versions: a call is read
with the table of the pip that will run it (:func:`scan`'s ``version``).

The scanner only reads: safepip passes the argv on untouched, except for the options it
consumes (``--python``, ``--user``), which :meth:`PipCall.without` removes token by token.
Its records are :class:`~safepip.frozen.Frozen` (the no-op check imports no dataclasses).
"""

from __future__ import annotations

from safepip.frozen import Frozen, field, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Iterable, Mapping, Sequence

    from safepip.facts._pipoptions import Entry

__all__ = ["ENV_COMMANDS", "NEWEST", "WRITE_COMMANDS", "Option", "ParseError", "PipCall", "command_table", "scan",
           "table_version"]

#: The newest stored table's pip version, ``_pipoptions.PIP_VERSION`` (tools/gen_pipoptions.py
#: writes both; a unit test holds them equal): a call read with it, or by a pip at least that
#: new, needs none of the tables. The tables (:mod:`safepip.facts.piptables`, and the 48 kB of
#: ``_pipoptions``, 0.2 to 0.3 ms to load) are imported only where one is read: ``safepip run``
#: resolves a plain ``install``, which reads none (:func:`scan`).
NEWEST = "26.3"

#: Commands that read or change the packages of an environment: they go where safepip decides.
ENV_COMMANDS = frozenset({"install", "uninstall", "list", "freeze", "show", "check", "inspect"})
#: Commands among those that change the environment: they run under the environment's lock.
WRITE_COMMANDS = frozenset({"install", "uninstall"})


@record(slots=True)
class Option(Frozen):
    """One option as pip parsed it: its canonical name, its value, and the argv tokens it used."""

    name: str
    value: str | None
    start: int
    stop: int
    whole: bool  # the tokens argv[start:stop] belong to this option alone (not a cluster like -qU)


@record(slots=True)
class PipCall(Frozen):
    """What pip would make of an argv: its command, options in order, positionals, and what every
    decider asks of a call, read once from them (by :func:`scan` and :meth:`dropping` only).
    """

    argv: tuple[str, ...]
    command: str | None = None
    options: tuple[Option, ...] = ()
    positionals: tuple[str, ...] = ()
    error: str | None = None
    python: str | None = None  # --python before the command (after it, pip < 24 ignores it, newer pips refuse it)
    pip_version: str = NEWEST  # the pip version whose table read this call
    given: frozenset[str] = field(default=frozenset(), compare=False)  # the options' canonical names
    # pip only prints its help or its version (--help/-h anywhere, help, --version, or no command at all)
    informational: bool = field(default=False, compare=False)
    # The options the command's parser knows, as :func:`command_table` gives them for ``pip_version``
    # (None: the call was read without them): kept for a remembered decision, which stores them.
    table: Mapping[str, Entry] | None = field(default=None, compare=False)

    def has(self, name: str) -> bool:
        """Whether the option (canonical name) was given."""
        return name in self.given

    def values(self, name: str) -> list[str]:
        """Every value given to the option, in order."""
        return [o.value for o in self.options if o.name == name and o.value is not None]

    def last(self, name: str) -> str | None:
        """The value that wins for a ``store`` option: the last one."""
        found = self.values(name)
        return found[-1] if found else None

    def count(self, name: str) -> int:
        """How often a flag was given (``-qq`` counts 2)."""
        return sum(1 for o in self.options if o.name == name)

    def flag(self, on: str, off: str) -> bool | None:
        """The last of a pair like ``--user``/``--no-user``, or None if neither was given."""
        result = None
        for o in self.options:
            if o.name == on:
                result = True
            elif o.name == off:
                result = False
        return result

    def without(self, names: Iterable[str]) -> list[str]:
        """The argv with every occurrence of the named options removed, all else in order."""
        return list(self.dropping(names).argv)

    def dropping(self, names: Iterable[str]) -> PipCall:
        """The call without every occurrence of the named options: its argv, options and
        (for ``--python``) interpreter, as pip would read the shorter argv.
        """
        drop: set[int] = set()
        wanted = set(names)
        for o in self.options:
            if o.name in wanted:
                if not o.whole:  # pragma: no cover - only long options are ever removed
                    raise ValueError(f"cannot remove {o.name} from a cluster")
                drop.update(range(o.start, o.stop))
        if not drop:
            return self
        # Where each kept token moves to: the options that stay keep pointing at their tokens.
        moved: dict[int, int] = {}
        for i in range(len(self.argv)):
            if i not in drop:
                moved[i] = len(moved)
        options = tuple(
            o.replace_(start=moved[o.start], stop=moved[o.stop - 1] + 1) for o in self.options if o.name not in wanted
        )
        return _call(
            tuple(a for i, a in enumerate(self.argv) if i not in drop), command=self.command, options=options,
            positionals=self.positionals, error=self.error, python=None if "--python" in wanted else self.python,
            pip_version=self.pip_version, table=self.table,
        )

    def positional_indices(self) -> list[int]:
        """The argv index of each positional, in the order of ``positionals``."""
        covered: set[int] = set()
        for o in self.options:
            covered.update(range(o.start, o.stop))
        if self.command is not None:
            covered.add(self.argv.index(self.command))
        found: list[int] = []
        dashes = False
        for i, arg in enumerate(self.argv):
            if i in covered:
                continue
            if arg == "--" and not dashes:
                dashes = True
                continue
            found.append(i)
        return found

    def without_positionals(self, drop: Iterable[int]) -> list[str]:
        """The argv without the positionals at the given positions of ``positionals``."""
        indices = self.positional_indices()
        gone = {indices[n] for n in drop}
        return [a for i, a in enumerate(self.argv) if i not in gone]


#: optparse acts on ``--help`` as soon as it reads it: nothing after it is parsed.
HELP = "--help"


class ParseError(Exception):
    """What pip's parser would say about the command line."""


def table_version(version: str | None) -> str:
    """The stored table that reads for pip ``version``: the newest at or below it (a pip
    newer than every table reads with the newest; one older than 22.3, with the oldest).
    """
    if not version:
        return NEWEST
    from safepip.facts.piptables import release

    wanted = release(version)
    if wanted[:2] >= release(NEWEST)[:2]:  # what the loop below finds: VERSIONS ascend to NEWEST
        return NEWEST
    from safepip.facts import _pipoptions

    chosen = _pipoptions.VERSIONS[0]
    for stored in _pipoptions.VERSIONS:
        if release(stored)[:2] <= wanted[:2]:  # the last patch release of each minor is stored
            chosen = stored
    return chosen


def _call(argv: tuple[str, ...], *, command: str | None = None, options: tuple[Option, ...] = (), **rest: Any) -> PipCall:
    """The :class:`PipCall` with these fields and what is read once from them."""
    given = frozenset(o.name for o in options)
    informational = rest.get("error") is None and (command is None or command == "help" or HELP in given)
    return PipCall(argv, command=command, options=options, given=given, informational=informational, **rest)


def _last(options: Sequence[Option], name: str) -> str | None:
    """The value that wins for a ``store`` option (pip tests it for truth: "" is no value)."""
    return next((o.value for o in reversed(options) if o.name == name), None)


def _valued(name: str, check: object, option: Option) -> Option:
    """The option, once its value passed pip's check."""
    from safepip.facts.piptables import check as check_value

    try:
        check_value(name, option.value or "", check)
    except ValueError as exc:  # pip's message
        raise ParseError(str(exc)) from None
    return option


def _match(name: str, table: Mapping[str, Entry]) -> str:
    """optparse's long option matching: exact, else the one option it is a prefix of."""
    if name in table:
        return name
    found = [k for k in table if k.startswith(name) and k.startswith("--")]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ParseError(f"no such option: {name}")
    raise ParseError(f"ambiguous option: {name} ({', '.join(sorted(found))}?)")


def _long(tokens: Sequence[tuple[int, str]], i: int, table: Mapping[str, Entry], options: list[Option]) -> int:
    """Read the long option at ``tokens[i]`` (and its value) into ``options``; return the next index."""
    index, arg = tokens[i]
    name, eq, inline = arg.partition("=")
    matched = _match(name, table)
    canonical, takes, check = table[matched]
    if takes:
        if eq:
            options.append(_valued(matched, check, Option(canonical, inline, index, index + 1, True)))
            return i + 1
        if i + 1 < len(tokens):
            options.append(_valued(matched, check, Option(canonical, tokens[i + 1][1], index, tokens[i + 1][0] + 1, True)))
            return i + 2
        raise ParseError(f"{name} option requires 1 argument")
    if eq:
        raise ParseError(f"{name} option does not take a value")
    options.append(Option(canonical, None, index, index + 1, True))
    return i + 1


def _parse(
    tokens: Sequence[tuple[int, str]],
    table: Mapping[str, Entry],
    interspersed: bool,
) -> tuple[list[Option], list[str], int]:
    """Replay optparse over (argv index, token) pairs.

    Return the options, the positionals, and how many tokens were consumed before
    parsing stopped (at the first positional when not interspersed).
    """
    options: list[Option] = []
    positionals: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        index, arg = tokens[i]
        if arg == "--":
            positionals.extend(t for _, t in tokens[i + 1 :])
            return options, positionals, i + 1
        if arg.startswith("--"):
            i = _long(tokens, i, table, options)
            if options[-1].name == HELP:  # optparse prints help and exits on the spot
                return options, positionals, i
            continue
        if arg.startswith("-") and len(arg) > 1:
            i += 1
            for pos in range(1, len(arg)):
                short = "-" + arg[pos]
                if short not in table:
                    raise ParseError(f"no such option: {short}")
                canonical, takes, check = table[short]
                if not takes:
                    options.append(Option(canonical, None, index, index + 1, len(arg) == 2))
                    if canonical == HELP:
                        return options, positionals, i
                    continue
                if pos + 1 < len(arg):
                    options.append(_valued(short, check, Option(canonical, arg[pos + 1 :], index, index + 1, pos == 1)))
                elif i < n:
                    options.append(_valued(short, check, Option(canonical, tokens[i][1], index, tokens[i][0] + 1, pos == 1)))
                    i += 1
                else:
                    raise ParseError(f"{short} option requires 1 argument")
                break
            continue
        if not interspersed:
            return options, positionals, i
        positionals.append(arg)
        i += 1
    return options, positionals, n


def command_table(stored: str, command: str) -> dict[str, Entry]:
    """The options a command's parser knows in the stored pip version ``stored``: its own
    and the global ones (a remembered decision keeps it: :mod:`safepip.front` reads new
    command lines of that command with it).
    """
    from safepip.facts.piptables import tables

    main, commands = tables(stored)
    # A command's parser has the global options except, in newer pips, --version (their main
    # parser alone has it): "pip install --version" is an error there, and "--v" is --verbose.
    from safepip.facts import _pipoptions

    keep_version = stored in _pipoptions.COMMAND_VERSION
    return {**{k: v for k, v in main.items() if keep_version or v[0] != "--version"}, **commands[command]}


def scan(argv: Sequence[str], version: str | None = None) -> PipCall:
    """Scan pip's argv the way pip ``version``'s parser reads it (default: the newest table).
    Never raises: a problem pip would report ends up in ``error`` (and the call is passed
    to pip, which reports it).
    """
    stored = table_version(version)
    args = tuple(argv)
    if args == ("install",):
        # A plain install (what ``safepip run`` and ``which`` resolve): every stored pip reads
        # it so, and reading it needs no table (a unit test holds this to the full reading).
        return _call(args, command="install", pip_version=stored)
    from safepip.facts.piptables import tables

    main, commands = tables(stored)
    tokens = list(enumerate(args))
    try:
        global_opts, _, stopped = _parse(tokens, main, interspersed=False)
    except ParseError as exc:
        return _call(args, error=str(exc), pip_version=stored)
    python = next((o.value for o in reversed(global_opts) if o.name == "--python"), None)
    rest = [t for _, t in tokens[stopped:]]
    if any(o.name in ("--help", "--version") for o in global_opts) or not rest:
        # pip prints help or its version and stops before looking at a command.
        return _call(args, options=tuple(global_opts), python=python, pip_version=stored)
    command = rest[0]
    if command not in commands:
        return _call(args, options=tuple(global_opts), error=f"unknown command {command!r}", python=python, pip_version=stored)
    # pip removes the first occurrence of the command's name, wherever it stands.
    first = args.index(command)
    remaining = [(i, t) for i, t in tokens if i != first]
    table = command_table(stored, command)
    try:
        options, positionals, _ = _parse(remaining, table, interspersed=True)
    except ParseError as exc:
        return _call(args, command=command, options=tuple(global_opts), error=str(exc), python=python, pip_version=stored,
                     table=table)
    error = None
    from safepip.facts import _pipoptions

    late = not python and bool(_last(options, "--python")) and stored in _pipoptions.LATE_PYTHON
    if late and not any(o.name == "--help" for o in options):
        error = "the --python option must be placed before the pip subcommand name"
    return _call(
        args, command=command, options=tuple(options), positionals=tuple(positionals), error=error,
        python=python, pip_version=stored, table=table,
    )
