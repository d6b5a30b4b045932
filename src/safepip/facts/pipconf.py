"""pip's configuration as pip reads it outside argv, and the few settings that change where
pip writes.

pip takes every option from ``PIP_<NAME>`` variables and from its config files too. Files
are read in pip's order (global, user, site, then ``PIP_CONFIG_FILE``); a key is the
section's name and the option's long name (lower case, ``_`` read as ``-``, a leading ``--``
dropped); a later file's key replaces an earlier file's same key, and a ``PIP_<NAME>``
variable is the key ``:env:.<name>``. A command then applies the sections ``global``, its
own name (``install``) and ``:env:``, in that order, whichever file they came from: a
``[:env:]`` section in a file acts like a variable, and ``[install]`` in the machine's file
wins over ``[global]`` in the user's. Empty values are ignored. Any other section is not
read by ``install``.

``--isolated`` (the exact token: pip looks for it before parsing) makes pip ignore the
variables and the user files; so does a ``PIP_CONFIG_FILE`` that exists, for the user files.

The settings that matter to safepip's decision (:data:`KEYS`) are ``break-system-packages``,
``user``, ``target``, ``prefix``, ``root`` and ``python`` (pip re-runs itself on that
interpreter; its main parser reads the sections ``global`` and ``:env:`` only).
"""

from __future__ import annotations

import os
import sys

from safepip.frozen import Frozen, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from configparser import RawConfigParser
    from typing import Iterator, Mapping

KEYS = ("break-system-packages", "user", "target", "prefix", "root", "python")
#: The sections a command's parser applies, in order (pip's ConfigOptionParser).
INSTALL_SECTIONS = ("global", "install", ":env:")
#: pip's main parser is named "global": it reads ``python`` from these alone.
MAIN_SECTIONS = ("global", ":env:")
GLOBAL_ONLY = ("python",)
#: ``PIP_<NAME>`` variables pip does not read as settings.
IGNORED_VARIABLES = ("version", "help")
_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0"}


@record(slots=True)
class Setting(Frozen):
    """A pip setting and where pip would take it from."""

    value: str
    source: str


class Unreadable(Exception):
    """A config file pip would fail to read (pip then stops with its own message)."""


def as_bool(value: str) -> bool | None:
    """pip's strtobool; None for a value pip would reject."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def normalize(name: str) -> str:
    """A key as pip names it, from a file or a variable."""
    name = name.lower().replace("_", "-")
    return name[2:] if name.startswith("--") else name


def config_files(environ: Mapping[str, str], prefix: str, isolated: bool) -> list[str]:
    """pip's config files, lowest precedence first."""
    env_file = environ.get("PIP_CONFIG_FILE")
    files: list[str] = []
    if env_file != os.devnull:
        if sys.platform == "win32":  # pragma: no cover - not testable here
            program_data = environ.get("PROGRAMDATA", r"C:\ProgramData")
            files.append(os.path.join(program_data, "pip", "pip.ini"))
            user_files = [os.path.join(environ.get("APPDATA", ""), "pip", "pip.ini")]
            name = "pip.ini"
        else:
            home = environ.get("HOME") or os.path.expanduser("~")

            def expand(path: str) -> str:
                return home + path[1:] if path == "~" or path.startswith("~/") else path

            # platformdirs' reading: blank means the default, every entry counts (an empty
            # one is the relative "pip"), "~" is expanded.
            dirs = environ.get("XDG_CONFIG_DIRS", "")
            if not dirs.strip():
                dirs = "/etc/xdg"
            files.extend(os.path.join(expand(d), "pip", "pip.conf") for d in dirs.split(os.pathsep))
            files.append("/etc/pip.conf")
            xdg_home = environ.get("XDG_CONFIG_HOME", "")
            if not xdg_home.strip():
                xdg_home = os.path.join(home, ".config")
            user_files = [os.path.join(home, ".pip", "pip.conf"), os.path.join(xdg_home, "pip", "pip.conf")]
            name = "pip.conf"
        if not isolated and not (env_file and os.path.exists(env_file)):
            files.extend(user_files)
        files.append(os.path.join(prefix, name))
    if env_file and env_file != os.devnull:
        files.append(env_file)
    return files


def entries(
    environ: Mapping[str, str], prefix: str, isolated: bool, strict: bool = False
) -> dict[tuple[str, str], Setting]:
    """Every ``(section, key)`` pip's files and variables set, as pip merges them: later
    files replace earlier ones, variables replace ``[:env:]`` keys. Empty values are kept
    (pip drops them only when it applies a section). An unreadable or unparsable file is
    skipped, or with ``strict`` raises :class:`Unreadable`.
    """
    found: dict[tuple[str, str], Setting] = {}
    for path, parser in _parsed(config_files(environ, prefix, isolated), strict):
        for section in parser.sections():
            for raw_key, value in parser.items(section):
                found[(section, normalize(raw_key))] = Setting(value, f"{path} [{section}]")
    if not isolated:
        for variable in environ:  # the names first: only the values kept are decoded
            if variable.startswith("PIP_") and variable[4:].lower() not in IGNORED_VARIABLES:
                found[(":env:", normalize(variable[4:]))] = Setting(environ[variable], variable)
    return found


class Plain:
    """A config file of the plain kind (sections and one-line ``key = value`` options) as
    RawConfigParser reads it: :meth:`sections` and :meth:`items` alike.
    """

    def __init__(self, sections: dict[str, dict[str, str]]) -> None:
        self._sections = sections

    def sections(self) -> list[str]:
        """The sections, in the file's order."""
        return list(self._sections)

    def items(self, section: str) -> list[tuple[str, str]]:
        """A section's options (keys as :func:`normalize` writes them), in the file's order."""
        return list(self._sections[section].items())


def plain(text: str) -> Plain | None:
    """``text`` read as RawConfigParser reads it (``#`` and ``;`` comment lines, ``=`` or ``:``
    delimiters, keys normalized, values stripped), when it is of the plain kind: no indented
    line (a continuation), no DEFAULT section, nothing RawConfigParser refuses (an option
    outside a section or without a value, a key or section given twice); None for any other
    (configparser reads those). Most pip.conf files are plain, and configparser imports re.
    """
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.split("\n"):
        value = line.strip()
        if not value or value[0] in "#;":
            continue
        if line[0].isspace():
            return None
        if value[0] == "[" and "]" in value:
            header = value[1 : value.rindex("]")]
            if value[-1] != "]" or not header or "]" in header or header in sections or header == "DEFAULT":
                return None
            current = sections[header] = {}
            continue
        cut = min((i for i in (value.find("="), value.find(":")) if i >= 0), default=-1)
        key = normalize(value[:cut].rstrip()) if cut >= 0 else ""
        if current is None or cut <= 0 or not key or key in current:
            return None
        current[key] = value[cut + 1 :].strip()
    return Plain(sections)


def _parsed(paths: list[str], strict: bool) -> Iterator[tuple[str, RawConfigParser | Plain]]:
    for path in (p for p in paths if os.path.exists(p)):
        try:
            with open(path, encoding="utf-8") as handle:
                found = plain(handle.read())
        except (OSError, UnicodeDecodeError):
            found = None
        if found is not None:
            yield path, found
            continue
        import configparser

        class Parser(configparser.RawConfigParser):
            # newer pips (26.3, not 24.2) name keys as they read them: `no-index` and
            # `no_index` in one section are then a duplicate, which they refuse
            def optionxform(self, optionstr: str) -> str:
                return normalize(optionstr)

        parser = Parser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError) as exc:
            if strict:
                raise Unreadable(f"{path}: {exc}") from None
            continue
        yield path, parser


def applied(found: Mapping[tuple[str, str], Setting], sections: tuple[str, ...] = INSTALL_SECTIONS) -> dict[str, Setting]:
    """What a parser reading ``sections`` ends with: each key's value from the last of
    those sections that sets it to something not empty.
    """
    result: dict[str, Setting] = {}
    for section in sections:
        for (where, key), setting in found.items():
            if where == section and setting.value:
                result[key] = setting
    return result


def settings(environ: Mapping[str, str], prefix: str, isolated: bool) -> dict[str, Setting]:
    """The KEYS that pip's files and variables set, with their source. Unreadable files are
    skipped (pip then fails with its own message).
    """
    found = entries(environ, prefix, isolated)
    if not found:
        return {}
    install = applied(found)
    main = applied(found, MAIN_SECTIONS)
    result = {key: install[key] for key in KEYS if key not in GLOBAL_ONLY and key in install}
    result.update({key: main[key] for key in GLOBAL_ONLY if key in main})
    return result
