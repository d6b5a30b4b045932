"""The few pip settings that change where pip writes, as pip reads them outside argv.

pip takes every option from ``PIP_<NAME>`` variables and from its config files too. The
ones that matter to safepip's decision are ``break-system-packages``, ``user``, ``target``,
``prefix`` and ``root``. Files are read in pip's order (global, user, site, then
``PIP_CONFIG_FILE``), ``[global]`` before ``[install]``, and the variables win over files.
``--isolated`` (the exact token: pip looks for it before parsing) makes pip ignore the
variables and the user file; so does a ``PIP_CONFIG_FILE`` that exists, for the user file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Mapping

KEYS = ("break-system-packages", "user", "target", "prefix", "root")
_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0"}


@dataclass(frozen=True)
class Setting:
    """A pip setting and where pip would take it from."""

    value: str
    source: str


def as_bool(value: str) -> bool | None:
    """pip's strtobool; None for a value pip would reject."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


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
            dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
            files.extend(os.path.join(d, "pip", "pip.conf") for d in dirs.split(os.pathsep) if d)
            files.append("/etc/pip.conf")
            home = environ.get("HOME") or os.path.expanduser("~")
            xdg_home = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
            user_files = [os.path.join(home, ".pip", "pip.conf"), os.path.join(xdg_home, "pip", "pip.conf")]
            name = "pip.conf"
        if not isolated and not (env_file and os.path.exists(env_file)):
            files.extend(user_files)
        files.append(os.path.join(prefix, name))
    if env_file and env_file != os.devnull:
        files.append(env_file)
    return files


def settings(environ: Mapping[str, str], prefix: str, isolated: bool) -> dict[str, Setting]:
    """The KEYS that pip's files and variables set, with their source. Unreadable files are
    skipped (pip then fails with its own message).
    """
    found: dict[str, Setting] = {}
    paths = [p for p in config_files(environ, prefix, isolated) if os.path.isfile(p)]
    if paths:
        import configparser

        for path in paths:
            parser = configparser.RawConfigParser()
            try:
                parser.read(path, encoding="utf-8")
            except (configparser.Error, UnicodeDecodeError, OSError):
                continue
            for section in ("global", "install"):
                if not parser.has_section(section):
                    continue
                for key in KEYS:
                    for spelling in (key, key.replace("-", "_")):
                        if parser.has_option(section, spelling):
                            found[key] = Setting(parser.get(section, spelling), f"{path} [{section}]")
    if not isolated:
        for key in KEYS:
            variable = "PIP_" + key.upper().replace("-", "_")
            if environ.get(variable):
                found[key] = Setting(environ[variable], variable)
    return found
