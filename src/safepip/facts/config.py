"""safepip's configuration, in layers; every value knows the layer it came from.

Layers, lowest first: built-in defaults; the user file (``config.toml`` in the user config
directory, e.g. ``~/.config/safepip/config.toml``); ``[tool.safepip]`` in the project's
``pyproject.toml``; ``SAFEPIP_*`` environment variables; ``--safepip-KEY=VALUE`` flags on
the command line (removed before pip sees the argv).

A bad value anywhere raises :class:`ConfigError` (exit 78) naming the file or variable, the
line where there is one, the key and what is allowed.
"""

from __future__ import annotations

import os
import sys

from safepip.errors import ConfigError
from safepip.frozen import Frozen, field, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Callable, Mapping, Sequence
CHOICES: dict[str, tuple[str, ...]] = {
    "policy": ("auto", "always", "never"),
    "outside": ("user-env", "refuse", "cwd"),
    "apps": ("auto", "pipx", "user-env"),
    "subproject": ("auto", "root", "own"),
}
DEFAULTS: dict[str, Any] = {
    "policy": "auto",
    "venv": None,
    "python": None,
    "outside": "user-env",
    "apps": "auto",
    "subproject": "auto",
    "quiet": False,
    "trusted": (),
    "trust": {},
}
#: Keys only the user's own file may set: a project cannot vouch for itself.
USER_ONLY = frozenset({"trusted", "trust"})
_BOOL_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False, "": False}


def describe(key: str) -> str:
    """What a key accepts, for error messages and the README."""
    if key in CHOICES:
        return " | ".join(f'"{c}"' for c in CHOICES[key])
    if key == "quiet":
        return "true | false"
    if key == "trusted":
        return 'a list of directory paths ("*" trusts every directory)'
    if key == "trust":
        return "a table of interpreter paths and their identities, and of projects and where their venv leads (written by safepip trust)"
    return "a string"


@record
class Config(Frozen):
    """The resolved configuration. ``origin[key]`` names the layer each value came from."""

    policy: str = "auto"
    venv: str | None = None
    python: str | None = None
    outside: str = "user-env"
    apps: str = "auto"
    #: In a repository whose root is a project: whether a sub-project uses the root's environment.
    subproject: str = "auto"
    quiet: bool = False
    trusted: tuple[str, ...] = ()
    #: Interpreters the user trusted with ``safepip trust``: path -> identity (trust.py).
    trust: Mapping[str, str] = field(default_factory=dict)
    origin: Mapping[str, str] = field(default_factory=lambda: dict.fromkeys(DEFAULTS, "default"))

    def layered(self, values: Mapping[str, Any], source: str) -> Config:
        """A new Config with ``values`` (already validated) on top."""
        merged = {k: getattr(self, k) for k in DEFAULTS}
        merged.update(values)
        origin = dict(self.origin)
        origin.update(dict.fromkeys(values, source))
        return Config(**merged, origin=origin)

    def with_environment(self, environ: Mapping[str, str]) -> Config:
        """The ``SAFEPIP_*`` variables on top, each value tagged with its variable."""
        result = self
        for key, value in env_layer(environ).items():
            result = result.layered({key: value}, f"SAFEPIP_{key.upper()}")
        return result

    def with_flags(self, flags: Mapping[str, Any]) -> Config:
        """The command line's ``--safepip-*`` flags on top."""
        result = self
        for key, value in flags.items():
            result = result.layered({key: value}, f"{FLAG_PREFIX}{key}")
        return result


def _validate(key: str, value: Any, where: Callable[[str], str]) -> Any:
    if any(isinstance(v, str) and "\0" in v for v in (value if isinstance(value, list) else [value])):
        raise ConfigError(f"{where(key)}: {key} holds a NUL character, which no path or name can hold")
    if key not in DEFAULTS:
        import difflib

        known = ", ".join(sorted(DEFAULTS))
        close = difflib.get_close_matches(key, DEFAULTS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"{where(key)}: unknown key {key!r}{hint}; known keys: {known}")
    if key in CHOICES:
        if not isinstance(value, str) or value not in CHOICES[key]:
            raise ConfigError(f"{where(key)}: {key} = {value!r} is not allowed; use {describe(key)}")
        return value
    if key == "quiet":
        if not isinstance(value, bool):
            raise ConfigError(f"{where(key)}: quiet = {value!r} is not allowed; use {describe(key)}")
        return value
    if key == "trusted":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{where(key)}: trusted = {value!r} is not allowed; use {describe(key)}")
        return tuple(v if v == "*" else os.path.abspath(os.path.expanduser(v)) for v in value)
    if key == "trust":
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ConfigError(f"{where(key)}: trust = {value!r} is not allowed; use {describe(key)}")
        return {os.path.abspath(os.path.expanduser(k)): v for k, v in value.items()}
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where(key)}: {key} = {value!r} is not allowed; use {describe(key)}")
    return value


def _line_of(text: str, key: str, section: str | None) -> int | None:
    """The line where ``key`` is set (inside ``[section]`` when given), for error messages."""
    import re  # here: only an error message needs it (re is ms to import)
    in_section = section is None
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    for number, line in enumerate(text.splitlines(), 1):
        match = header.match(line)
        if match:
            in_section = section is None or match.group(1).replace(" ", "") == section
            continue
        if in_section and re.match(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
    return None


def _loads(text: str, path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML for safepip: arrays or tables nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its message with the position: lead with it, as every other error does ("FILE, line N: ...").
        import re
        message = str(exc)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if found:
            detail = message[: found.start()]
            raise ConfigError(
                f"{path}, line {found.group(1)}, column {found.group(2)}: not valid TOML: {detail}"
            ) from None
        raise ConfigError(f"{path}: not valid TOML: {message}") from None
    return data


#: The largest configuration file safepip parses (a pyproject.toml is a few kilobytes).
MAX_CONFIG = 4 << 20


def _read(path: str, *, mentions: str | None = None) -> str | None:
    """The file's text (None when it does not exist). With ``mentions``, a file that does
    not mention that word is not safepip's to judge: None too, whatever its size or bytes.
    """
    from safepip.facts.interpreter import file_bytes  # each file read once while facts are gathered

    try:
        data = file_bytes(path, MAX_CONFIG + 1)  # a byte more than is read: one too many tells
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if mentions is not None and mentions.encode() not in data:
        if len(data) <= MAX_CONFIG:
            return None
        try:  # too large, unless the word is not in the rest either: read whole, as ever
            with open(path, "rb") as handle:
                if mentions.encode() not in handle.read():
                    return None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG:
        try:
            size = max(os.stat(path).st_size, len(data))
        except OSError:
            size = len(data)
        raise ConfigError(
            f"{path}: {size >> 20} MB is too large for a configuration file (safepip reads at most "
            f"{MAX_CONFIG >> 20} MB)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot be read: not UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); TOML files are UTF-8") from None


def _table_layer(table: Mapping[str, Any], path: str, text: str, section: str | None, *, user: bool) -> dict[str, Any]:
    def where(key: str) -> str:
        line = _line_of(text, key, section)
        return f"{path}, line {line}" if line else path

    values = {}
    for key, value in table.items():
        if key == "cache-keys":  # read by the fast path from the project's own file
            if user:
                raise ConfigError(f"{where(key)}: cache-keys belongs in a project's [tool.safepip]")
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{where(key)}: cache-keys = {value!r} is not allowed; use a list of paths")
            continue
        if key in USER_ONLY and not user:
            raise ConfigError(f"{where(key)}: {key} can only be set in the user configuration file")
        values[key] = _validate(key, value, where)
    return values


def user_layer(path: str) -> dict[str, Any]:
    """The values set in the user configuration file (empty when it does not exist)."""
    text = _read(path)
    if text is None:
        return {}
    return user_text_layer(text, path)


def user_text_layer(text: str, path: str) -> dict[str, Any]:
    """The values ``text`` sets, read as the user configuration file ``path`` (raises
    :class:`ConfigError` as reading that file would).
    """
    return _table_layer(_loads(text, path), path, text, None, user=True)


def project_layer(pyproject: str, text: str | None = None) -> dict[str, Any]:
    """The values of ``[tool.safepip]`` in a pyproject.toml (empty when there is none)."""
    if text is None:
        text = _read(pyproject, mentions="safepip")
    # Parsing TOML costs more than the rest of a call: skip files that cannot hold the table.
    if text is None or "safepip" not in text:
        return {}
    data = _loads(text, pyproject)
    tool = data.get("tool", {})
    table = tool.get("safepip", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.safepip] must be a table, not {type(table).__name__}")
    return _table_layer(table, pyproject, text, "tool.safepip", user=False)


def located(pyproject: str, key: str) -> str:
    """``PYPROJECT, line N`` where its ``[tool.safepip]`` sets ``key`` (the path alone when
    the line cannot be told), to lead a message about that value.
    """
    try:
        text = _read(pyproject)
    except ConfigError:
        text = None
    line = _line_of(text, key, "tool.safepip") if text is not None else None
    return f"{pyproject}, line {line}" if line else pyproject


def _fixed(where: str) -> Callable[[str], str]:
    """A location for error messages that does not depend on the key."""
    return lambda _key: where


def env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    """Values from ``SAFEPIP_<KEY>`` variables (``SAFEPIP_PYTHON`` is read by the interpreter
    finder, which gives it precedence over an active venv).
    """
    values: dict[str, Any] = {}
    for key in ("policy", "venv", "outside", "apps", "subproject", "quiet"):
        variable = f"SAFEPIP_{key.upper()}"
        if variable not in environ:
            continue
        raw = environ[variable]
        if key == "quiet":
            if raw.strip().lower() not in _BOOL_WORDS:
                raise ConfigError(f"{variable}={raw!r} is not allowed; use 1 or 0")
            values[key] = _BOOL_WORDS[raw.strip().lower()]
        elif raw or key in CHOICES:
            values[key] = _validate(key, raw, _fixed(variable))
    return values


FLAG_PREFIX = "--safepip-"


def split_flags(argv: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    """Take ``--safepip-KEY=VALUE`` (or ``--safepip-quiet``) out of argv, up to a ``--``."""
    rest: list[str] = []
    values: dict[str, Any] = {}
    done = False
    for arg in argv:
        if done or not arg.startswith(FLAG_PREFIX):
            done = done or arg == "--"
            rest.append(arg)
            continue
        name, eq, raw = arg[len(FLAG_PREFIX) :].partition("=")
        key = name.replace("_", "-")
        if key == "quiet" and not eq:
            values["quiet"] = True
            continue
        if key in ("python", "trusted", "trust") or key not in DEFAULTS:
            raise ConfigError(
                f"{arg}: unknown safepip flag; use one of "
                + ", ".join(f"{FLAG_PREFIX}{k}" for k in ("policy", "venv", "outside", "apps", "subproject", "quiet"))
                + " (and pip's own --python)"
            )
        if key == "quiet":
            if raw.lower() not in _BOOL_WORDS:
                raise ConfigError(f"{arg}: use {FLAG_PREFIX}quiet or {FLAG_PREFIX}quiet=0")
            values[key] = _BOOL_WORDS[raw.lower()]
        else:
            values[key] = _validate(key, raw, _fixed(arg))
    return rest, values
