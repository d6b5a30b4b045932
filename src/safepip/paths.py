"""Where safepip keeps its own files: one place, overridable for tests and odd setups.

Defaults come from platformdirs (``~/.cache/safepip``, ``~/.config/safepip``,
``~/.local/share/safepip`` on Linux, honouring the XDG variables). ``SAFEPIP_CACHE_DIR``,
``SAFEPIP_CONFIG_DIR`` and ``SAFEPIP_DATA_DIR`` override each. Launchers go to the user's
bin directory: ``SAFEPIP_BIN_DIR``, else ``XDG_BIN_HOME``, else ``~/.local/bin``. platformdirs is imported only
when a default is really needed: it is not free at start-up.
"""

from __future__ import annotations

import os
from typing import Mapping


def _dir(environ: Mapping[str, str], variable: str, kind: str) -> str:
    override = environ.get(variable)
    if override:
        return os.path.abspath(os.path.expanduser(override))
    import platformdirs

    return str(getattr(platformdirs, f"user_{kind}_dir")("safepip", appauthor=False))


def cache_dir(environ: Mapping[str, str]) -> str:
    """Probe results and locks."""
    return _dir(environ, "SAFEPIP_CACHE_DIR", "cache")


def config_dir(environ: Mapping[str, str]) -> str:
    """The user configuration file's directory."""
    return _dir(environ, "SAFEPIP_CONFIG_DIR", "config")


def data_dir(environ: Mapping[str, str]) -> str:
    """Per-user environments and safepip's own installation."""
    return _dir(environ, "SAFEPIP_DATA_DIR", "data")


def user_config_file(environ: Mapping[str, str]) -> str:
    """The user configuration file (``config.toml``)."""
    return os.path.join(config_dir(environ), "config.toml")


def bin_dir(environ: Mapping[str, str]) -> str:
    """The user's bin directory, where ``self-install`` puts the ``safepip`` launcher."""
    for variable in ("SAFEPIP_BIN_DIR", "XDG_BIN_HOME"):
        value = environ.get(variable)
        if value and os.path.isabs(os.path.expanduser(value)):
            return os.path.abspath(os.path.expanduser(value))
    home = environ.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".local", "bin")


def user_env_dir(environ: Mapping[str, str], version: tuple[int, ...]) -> str:
    """The per-user environment for a target interpreter's ``major.minor`` version."""
    return os.path.join(data_dir(environ), "envs", f"py{version[0]}.{version[1]}")


def existing_owner(path: str) -> int | None:
    """The uid owning ``path``, or its nearest existing parent (None where there are no uids)."""
    current = os.path.abspath(path)
    while True:
        try:
            return os.stat(current).st_uid
        except FileNotFoundError:
            parent = os.path.dirname(current)
            if parent == current:
                return None
            current = parent
        except OSError:
            return None
