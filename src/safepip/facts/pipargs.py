"""A light scanner of pip's command line.

pip parses its argv in two passes with optparse: the global options up to the first
positional (the command name), then the whole argv minus the first occurrence of that
name with the command's parser, which knows the command's options and the global ones and
allows options after positionals. Long options may be abbreviated to any unambiguous
prefix. This module replays exactly that, from the table in ``_pipoptions`` (generated
from pip, and checked against the installed pip by the tests), without importing pip.

The scanner only reads: safepip passes the argv on untouched, except for the few options
it consumes (``--python`` and ``--user`` when it redirects), which :meth:`PipCall.without`
removes token by token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from safepip.facts._pipoptions import COMMANDS, GLOBAL

#: Commands that read or change the packages of an environment: they go where safepip decides.
ENV_COMMANDS = frozenset({"install", "uninstall", "list", "freeze", "show", "check", "inspect"})
#: Commands among those that change the environment: they run under the environment's lock.
WRITE_COMMANDS = frozenset({"install", "uninstall"})


@dataclass(frozen=True)
class Option:
    """One option as pip parsed it: its canonical name, its value, and the argv tokens it used."""

    name: str
    value: str | None
    start: int
    stop: int
    whole: bool  # the tokens argv[start:stop] belong to this option alone (not a cluster like -qU)


@dataclass(frozen=True)
class PipCall:
    """What pip would make of an argv: the command, its options in order, its positionals."""

    argv: tuple[str, ...]
    command: str | None = None
    options: tuple[Option, ...] = ()
    positionals: tuple[str, ...] = ()
    error: str | None = None

    def has(self, name: str) -> bool:
        """Whether the option (canonical name) was given."""
        return any(o.name == name for o in self.options)

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
        drop: set[int] = set()
        wanted = set(names)
        for o in self.options:
            if o.name in wanted:
                if not o.whole:  # pragma: no cover - only long options are ever removed
                    raise ValueError(f"cannot remove {o.name} from a cluster")
                drop.update(range(o.start, o.stop))
        return [a for i, a in enumerate(self.argv) if i not in drop]

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


class _ParseError(Exception):
    pass


def _match(name: str, table: Mapping[str, tuple[str, bool]]) -> str:
    """optparse's long option matching: exact, else the one option it is a prefix of."""
    if name in table:
        return name
    found = [k for k in table if k.startswith(name) and k.startswith("--")]
    if len(found) == 1:
        return found[0]
    if not found:
        raise _ParseError(f"no such option: {name}")
    raise _ParseError(f"ambiguous option: {name} ({', '.join(sorted(found))}?)")


def _parse(
    tokens: Sequence[tuple[int, str]],
    table: Mapping[str, tuple[str, bool]],
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
            name, eq, inline = arg.partition("=")
            canonical, takes = table[_match(name, table)]
            if takes:
                if eq:
                    options.append(Option(canonical, inline, index, index + 1, True))
                    i += 1
                elif i + 1 < n:
                    options.append(Option(canonical, tokens[i + 1][1], index, tokens[i + 1][0] + 1, True))
                    i += 2
                else:
                    raise _ParseError(f"{name} option requires 1 argument")
            elif eq:
                raise _ParseError(f"{name} option does not take a value")
            else:
                options.append(Option(canonical, None, index, index + 1, True))
                i += 1
                if canonical == HELP:  # optparse prints help and exits on the spot
                    return options, positionals, i
            continue
        if arg.startswith("-") and len(arg) > 1:
            i += 1
            for pos in range(1, len(arg)):
                short = "-" + arg[pos]
                if short not in table:
                    raise _ParseError(f"no such option: {short}")
                canonical, takes = table[short]
                if not takes:
                    options.append(Option(canonical, None, index, index + 1, len(arg) == 2))
                    if canonical == HELP:
                        return options, positionals, i
                    continue
                if pos + 1 < len(arg):
                    options.append(Option(canonical, arg[pos + 1 :], index, index + 1, pos == 1))
                elif i < n:
                    options.append(Option(canonical, tokens[i][1], index, tokens[i][0] + 1, pos == 1))
                    i += 1
                else:
                    raise _ParseError(f"{short} option requires 1 argument")
                break
            continue
        if not interspersed:
            return options, positionals, i
        positionals.append(arg)
        i += 1
    return options, positionals, n


def scan(argv: Sequence[str]) -> PipCall:
    """Scan pip's argv the way pip's own parser reads it. Never raises: a problem pip would
    report ends up in ``error`` (and the call is passed to pip, which reports it).
    """
    args = tuple(argv)
    tokens = list(enumerate(args))
    try:
        global_opts, _, stopped = _parse(tokens, GLOBAL, interspersed=False)
    except _ParseError as exc:
        return PipCall(args, error=str(exc))
    rest = [t for _, t in tokens[stopped:]]
    if any(o.name in ("--help", "--version") for o in global_opts) or not rest:
        # pip prints help or its version and stops before looking at a command.
        return PipCall(args, options=tuple(global_opts))
    command = rest[0]
    if command not in COMMANDS:
        return PipCall(args, options=tuple(global_opts), error=f"unknown command {command!r}")
    # pip removes the first occurrence of the command's name, wherever it stands.
    first = args.index(command)
    remaining = [(i, t) for i, t in tokens if i != first]
    # A command's parser has the global options except --version (pip's main parser alone
    # has it): "pip install --version" is an error, and "--v" is --verbose there.
    table = {**{k: v for k, v in GLOBAL.items() if v[0] != "--version"}, **COMMANDS[command]}
    try:
        options, positionals, _ = _parse(remaining, table, interspersed=True)
    except _ParseError as exc:
        return PipCall(args, command=command, options=tuple(global_opts), error=str(exc))
    return PipCall(args, command=command, options=tuple(options), positionals=tuple(positionals))
