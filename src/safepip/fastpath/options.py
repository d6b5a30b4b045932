"""Which pip options and settings the fast path may answer under: :data:`SAFE_OPTIONS`
(each with the reason it cannot change whether an installed set satisfies the
requirements), and pip's variables and configuration files read as pip reads them.

Last, how the fast path stands aside: :class:`Fallback` (pip runs; the reason is shown with
``SAFEPIP_DEBUG=1``) and :class:`NotSatisfied` (pip runs: something is to be installed); and
:func:`canonical`, the name normalization every part of it compares by. They live here, in
the first module of the fast path that every caller imports (a remembered decision asks
:data:`SAFE_OPTIONS` and :func:`canonical` without importing :mod:`safepip.fastpath.answer`).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping, Protocol, Sequence

    class Given(Protocol):
        """One option as the fast path reads it (a :class:`~safepip.facts.pipargs.Option`'s name and value)."""

        @property
        def name(self) -> str: ...  # noqa: D102 - the Option's
        @property
        def value(self) -> str | None: ...  # noqa: D102 - the Option's

    class Call(Protocol):
        """What the fast path reads of a command line: a :class:`~safepip.facts.pipargs.PipCall`,
        or a :class:`Scanned` (a remembered decision's lean reading).
        """

        @property
        def command(self) -> str | None: ...  # noqa: D102 - the PipCall's
        @property
        def error(self) -> str | None: ...  # noqa: D102 - the PipCall's
        @property
        def options(self) -> Sequence[Given]: ...  # noqa: D102 - the PipCall's
        @property
        def positionals(self) -> Sequence[str]: ...  # noqa: D102 - the PipCall's
        def has(self, name: str) -> bool: ...  # noqa: D102 - the PipCall's
        def values(self, name: str) -> list[str]: ...  # noqa: D102 - the PipCall's

#: pip's install and global options (canonical names) that cannot change whether an
#: installed set satisfies the requirements, each with the reason. Every other option
#: (--upgrade, --force-reinstall, --ignore-installed, --no-deps, --only-deps,
#: --require-hashes, --dry-run, --report, --target/--prefix/--root, --user, --log,
#: --verbose, --use-feature, --use-deprecated, --group, --platform...) sends the call to pip.
SAFE_OPTIONS: dict[str, str] = {
    # Where pip would look for a distribution to download: nothing is downloaded when the
    # installed one is chosen, and pip never looks at an index for it without --upgrade.
    "--index-url": "index location",
    "--extra-index-url": "index location",
    "--no-index": "index location",
    "--find-links": "index location",
    "--trusted-host": "network setting",
    "--proxy": "network setting",
    "--no-proxy-env": "network setting",
    "--timeout": "network setting",
    "--retries": "network setting",
    "--resume-retries": "network setting",
    "--cert": "network setting",
    "--client-cert": "network setting",
    "--keyring-provider": "network setting",
    "--cache-dir": "download cache",
    "--no-cache-dir": "download cache",
    "--exists-action": "only for downloads and VCS checkouts",
    # How pip would build or install a new distribution: none is built or installed.
    "--no-binary": "build choice",
    "--only-binary": "build choice",
    "--prefer-binary": "build choice",
    "--no-build-isolation": "build choice",
    "--use-pep517": "build choice",
    "--config-settings": "build choice",
    "--check-build-dependencies": "build choice",
    "--build-constraint": "constrains build dependencies only",
    "--no-clean": "build choice",
    "--src": "where editable checkouts go",
    "--compile": "byte-compiling of installed files",
    "--no-compile": "byte-compiling of installed files",
    "--ignore-requires-python": "pip checks Requires-Python only for distributions it downloads",
    # Pre-releases: pip accepts an installed pre-release without --pre; the fast path stands
    # aside for installed pre-releases anyway, so --pre changes nothing it answers.
    "--pre": "installed pre-releases go to pip",
    "--upgrade-strategy": "only used with --upgrade",
    # Output and interaction: no prompt or warning arises when nothing is installed.
    "--quiet": "honoured: the lines are not printed",
    "--no-color": "output only",
    "--disable-pip-version-check": "output only (the check needs the network anyway)",
    "--no-input": "no prompt arises",
    "--progress-bar": "no download to show",
    "--no-warn-script-location": "no script is installed",
    "--no-warn-conflicts": "no distribution is installed",
    "--root-user-action": "the target is a virtual environment, where pip does not warn",
    "--no-python-version-warning": "output only",
    # Target selection, already resolved by safepip before the fast path runs.
    "--python": "the fast path checks the environment this interpreter drives",
    "--isolated": "the fast path reads pip's variables and files strictly anyway",
    "--require-virtualenv": "the fast path only answers for virtual environments",
    "--break-system-packages": "has no effect inside a virtual environment",
    "--no-user": "the default inside a virtual environment",
    # Read by the fast path itself, within reqfile's subset.
    "--requirement": "read by safepip.reqfile",
    "--constraint": "read by safepip.reqfile: an installed version outside a constraint goes to pip",
    "--editable": "local projects: see safepip.fastpath.sources",
    "--require-hashes": "pip does not hash installed distributions; pinning is checked",
    "--group": "dependency groups: see safepip.fastpath.sources",
}

#: pip settings (PIP_<NAME> variables, keys in pip's config files) that mean the same as the
#: safe options. PIP_CONFIG_FILE only says which file to read; the file is then checked.
_SAFE_SETTINGS = frozenset(
    name[2:] for name in SAFE_OPTIONS if name not in ("--requirement", "--python", "--quiet", "--editable", "--group")
) | {"default-timeout", "config-file", "disable-pip-version-check", "quiet"}
#: pip's other commands: their sections apply to them alone, never to ``install``.
_OTHER_COMMANDS = frozenset({
    "cache", "check", "completion", "config", "debug", "download", "freeze", "hash", "help", "index", "inspect",
    "list", "lock", "search", "show", "uninstall", "wheel",
})


class Settings:
    """What pip's variables and files say that the fast path uses."""

    def __init__(self, quiet: int, constraints: list[str], require_hashes: bool) -> None:
        self.quiet, self.constraints, self.require_hashes = quiet, constraints, require_hashes


def _count(value: str) -> int:
    """A count setting as pip reads it from a variable or file (``yes``, ``2``...)."""
    from safepip.facts.pipconf import as_bool

    truth = as_bool(value)
    if truth is not None:
        return int(truth)
    if value.strip().isdigit():
        return int(value.strip())
    raise Fallback(f"quiet = {value!r}")


def read_settings(environ: Mapping[str, str], env_dir: str) -> Settings:
    """pip's settings from its variables and files, merged and applied as pip does (see
    :mod:`safepip.facts.pipconf`); raise Fallback for a file pip could not read, a section
    ``install`` could read that is not ``[global]``, ``[install]``, ``[:env:]`` or another
    command's, and any key in those three not known to be safe. Constraint files are all
    the ones any of them names: never fewer than pip reads (pip takes the last section's,
    and adds the command line's).
    """
    from safepip.facts.pipconf import INSTALL_SECTIONS, Unreadable, applied, as_bool, entries

    try:
        found = entries(environ, env_dir, isolated=False, strict=True)
    except Unreadable as exc:
        raise Fallback(str(exc)) from None
    constraints: list[str] = []
    for (section, key), setting in found.items():
        if section in INSTALL_SECTIONS:
            if key not in _SAFE_SETTINGS:
                variable = setting.source.startswith("PIP_")
                raise Fallback(f"{setting.source} is set" if variable else f"{setting.source} sets {key}")
            if key == "constraint":
                constraints.extend(setting.value.split())  # pip splits an append option's value
        elif section not in _OTHER_COMMANDS:
            raise Fallback(f"{setting.source}: a section pip may read that safepip does not")
    final = applied(found)
    quiet = _count(final["quiet"].value) if "quiet" in final else 0
    hashes = "require-hashes" in final and bool(as_bool(final["require-hashes"].value))
    return Settings(quiet, constraints, hashes)


def settings_quiet(environ: Mapping[str, str], env_dir: str, constraints: list[str] | None = None) -> int:
    """pip's quiet level from its variables and files (:func:`read_settings`); the
    constraint files they name are added to ``constraints``.
    """
    found = read_settings(environ, env_dir)
    if constraints is not None:
        constraints.extend(found.constraints)
    return found.quiet


class _Given:
    """An option of a :class:`Scanned` call: its canonical name and value."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: str | None) -> None:
        self.name, self.value = name, value


class Scanned:
    """A command line as a remembered decision's lean scan read it with the stored option table
    (:func:`safepip.remembered.decision.lean_scan`, which reads as pip's parser does), with what
    the fast path reads of a :class:`~safepip.facts.pipargs.PipCall`: the no-op check of a new
    command line then needs neither the scanner nor pip's option tables (about 0.5 ms of imports).
    """

    def __init__(self, command: str, options: Sequence[tuple[str, str | None]], positionals: Sequence[str]) -> None:
        self.command: str | None = command
        self.error: str | None = None  # the lean scan reads only what pip accepts
        self.options = tuple(_Given(name, value) for name, value in options)
        self.positionals = tuple(positionals)

    def has(self, name: str) -> bool:
        """Whether the option (canonical name) was given."""
        return any(o.name == name for o in self.options)

    def values(self, name: str) -> list[str]:
        """Every value given to the option, in order."""
        return [o.value for o in self.options if o.name == name and o.value is not None]


def check_call(call: Call) -> int:
    """Raise Fallback unless every option is safe; return the command line's quiet count."""
    if call.error is not None or call.command != "install":
        raise Fallback("not a plain pip install")
    quiet = 0  # counted in the same pass (``-qq`` counts 2)
    for option in call.options:
        if option.name not in SAFE_OPTIONS:
            raise Fallback(f"{option.name} given")
        quiet += option.name == "--quiet"
    if not (call.positionals or call.has("--requirement") or call.has("--editable") or call.has("--group")):
        raise Fallback("nothing to install")
    return quiet


# How the fast path stands aside, and the names every part of it compares by.


class Fallback(Exception):
    """The fast path stands aside; the message says why (shown with SAFEPIP_DEBUG=1)."""


class NotSatisfied(Exception):
    """Something is to be installed: pip runs (no reason to give)."""


_CANONICAL: dict[str, str] = {}


def canonical(name: str) -> str:
    """PEP 503's normalized name (packaging's canonicalize_name, without its imports)."""
    found = _CANONICAL.get(name)
    if found is None:
        # re.sub(r"[-_.]+", "-", name).lower(), without importing re (the no-op check needs no re)
        found = name.lower().replace("_", "-").replace(".", "-")
        while "--" in found:
            found = found.replace("--", "-")
        _CANONICAL[name] = found
    return found
