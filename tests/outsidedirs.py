"""Where safepip puts things outside a project, in a test's tmp_path (pipx's directories, the
per-user environment), and a directory outside any project: the fixtures of the tests of what
safepip does there (``tests/integration/test_outside*.py``, ``test_plugins.py`` and others).

As root pipx works in its ``--global`` mode, so its global directories are given too: nothing
lands in /opt/pipx or /usr/local/bin. The fixtures are registered for every test by
``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import pytest

from helpers import SYSTEM_XY

#: Whether the tests run as root (pipx's global mode, the root-only rules).
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

#: pipx's variables, per-user and global, and the directory under tmp_path that each names.
_NAMES = {"PIPX_HOME": "pipx", "PIPX_BIN_DIR": "bin", "PIPX_MAN_DIR": "man", "PIPX_GLOBAL_HOME": "gpipx",
          "PIPX_GLOBAL_BIN_DIR": "gbin", "PIPX_GLOBAL_MAN_DIR": "gman"}


def pipx_dirs_in(tmp: Path) -> dict[str, str]:
    """Every pipx directory under ``tmp``, per-user and global, as environment variables."""
    return {k: str(tmp / v) for k, v in _NAMES.items()}


def commands_dir(pipx_dirs: Mapping[str, str]) -> Path:
    """Where pipx links applications' commands: its global bin directory as root, else the user's."""
    return Path(pipx_dirs["PIPX_GLOBAL_BIN_DIR" if ROOT else "PIPX_BIN_DIR"])


def pipx_home(pipx_dirs: Mapping[str, str]) -> Path:
    """pipx's home (its ``venvs`` and ``shared``): the global one as root, else the user's."""
    return Path(pipx_dirs["PIPX_GLOBAL_HOME" if ROOT else "PIPX_HOME"])


def user_env(tmp: Path) -> Path:
    """The per-user environment of the system python3 (under the test's XDG_DATA_HOME, ``tmp/xdg-data``)."""
    return tmp / "xdg-data" / "safepip" / "envs" / f"py{SYSTEM_XY}"


@pytest.fixture
def pipx_dirs(tmp_path: Path) -> dict[str, str]:
    """Every pipx directory in tmp_path, per-user and global."""
    return pipx_dirs_in(tmp_path)


@pytest.fixture
def bin_dir(pipx_dirs: dict[str, str]) -> Path:
    """Where commands go: pipx's (global, as root) bin directory."""
    return commands_dir(pipx_dirs)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A directory that is not inside any project (``downloads`` in the test's HOME)."""
    where = tmp_path / "home" / "downloads"
    where.mkdir()
    return where
