"""pip's own settings that change where it writes, read as pip reads them."""

from __future__ import annotations

import os
from pathlib import Path

from safepip.facts.pipconf import as_bool, config_files, settings


def test_strtobool() -> None:
    assert as_bool("Yes") is True
    assert as_bool("off") is False
    assert as_bool("maybe") is None


def test_file_order_and_sections(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text("[global]\nuser = true\n[install]\nbreak_system_packages = yes\n")
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    (prefix / "pip.conf").write_text("[install]\nuser = false\n")
    env = {"HOME": str(home), "XDG_CONFIG_DIRS": str(tmp_path / "none")}
    found = settings(env, str(prefix), isolated=False)
    assert found["user"].value == "false"  # the site file wins over the user file
    assert found["break-system-packages"].value == "yes"
    assert found["break-system-packages"].source.endswith("pip.conf [install]")


def test_environment_variables_win_and_isolated_ignores_them(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path / "none"), "PIP_TARGET": "/t", "PIP_USER": "1"}
    found = settings(env, str(tmp_path), isolated=False)
    assert found["target"].source == "PIP_TARGET"
    assert settings(env, str(tmp_path), isolated=True) == {}


def test_pip_config_file_devnull_loads_no_files(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PIP_CONFIG_FILE": os.devnull}
    assert config_files(env, "/usr", isolated=False) == []


def test_pip_config_file_replaces_the_user_files(tmp_path: Path) -> None:
    custom = tmp_path / "custom.conf"
    custom.write_text("[global]\nbreak-system-packages = true\n")
    env = {"HOME": str(tmp_path), "PIP_CONFIG_FILE": str(custom), "XDG_CONFIG_DIRS": "/x"}
    files = config_files(env, "/usr", isolated=False)
    assert files[-1] == str(custom)
    assert not any(f.startswith(str(tmp_path / ".config")) for f in files)
    assert settings(env, "/usr", isolated=False)["break-system-packages"].source == f"{custom} [global]"


def test_unparsable_file_is_skipped(tmp_path: Path) -> None:
    bad = tmp_path / "bad.conf"
    bad.write_text("this is not ini\n")
    env = {"HOME": str(tmp_path), "PIP_CONFIG_FILE": str(bad), "XDG_CONFIG_DIRS": "/x"}
    assert settings(env, "/nonexistent", isolated=False) == {}
