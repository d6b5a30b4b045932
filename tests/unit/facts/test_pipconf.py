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


def _only(tmp_path: Path, **files: str) -> dict[str, str]:
    """An environment whose pip reads the given files alone: ``user`` (the XDG user file),
    ``machine`` (the first machine-wide file) and ``env`` (PIP_CONFIG_FILE)."""
    paths = {
        "user": tmp_path / "xdg" / "pip" / "pip.conf",
        "machine": tmp_path / "dirs" / "pip" / "pip.conf",
        "env": tmp_path / "env.conf",
    }
    for name, text in files.items():
        paths[name].parent.mkdir(parents=True, exist_ok=True)
        paths[name].write_text(text)
    return {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "XDG_CONFIG_DIRS": str(tmp_path / "dirs"),
            **({"PIP_CONFIG_FILE": str(paths["env"])} if "env" in files else {})}


def test_an_env_section_in_a_file_acts_like_a_variable(tmp_path: Path) -> None:
    env = _only(tmp_path, user="[:env:]\nuser = true\ntarget = /t\n", machine="[install]\nuser = no\n")
    found = settings(env, str(tmp_path / "prefix"), isolated=False)
    assert found["user"].value == "true"  # [:env:] comes after [install], whichever file holds it
    assert found["user"].source.endswith("pip.conf [:env:]")
    assert found["target"].value == "/t"
    # a variable replaces the file's [:env:] key; --isolated ignores both the user file and variables
    assert settings({**env, "PIP_USER": "0"}, str(tmp_path), isolated=False)["user"].source == "PIP_USER"
    assert settings({**env, "PIP_USER": "0"}, str(tmp_path), isolated=True)["user"].value == "no"


def test_sections_apply_in_pips_order_whichever_file_holds_them(tmp_path: Path) -> None:
    # pip applies every file's [global], then every file's [install], then [:env:]: the
    # machine's [install] wins over PIP_CONFIG_FILE's [global].
    env = _only(tmp_path, machine="[install]\nbreak-system-packages = yes\n",
                env="[global]\nbreak_system_packages = no\n[Install]\nuser = yes\n[freeze]\nuser = yes\n")
    found = settings(env, str(tmp_path), isolated=False)
    assert found["break-system-packages"].value == "yes"
    assert "user" not in found  # section names are exact; another command's section is its own


def test_empty_values_are_ignored_and_python_comes_from_global_or_env(tmp_path: Path) -> None:
    env = _only(tmp_path, machine="[global]\nuser = true\npython = /a\n",
                env="[global]\nuser =\n[install]\npython = /b\n[:env:]\n--python = /c\n")
    found = settings(env, str(tmp_path), isolated=False)
    assert "user" not in found  # the later file's empty value replaces the key, and pip drops it
    assert found["python"].value == "/c"


def test_machine_dirs_are_read_as_platformdirs_reads_them(tmp_path: Path) -> None:
    for blank in ("", " "):
        files = config_files({"HOME": str(tmp_path), "XDG_CONFIG_DIRS": blank}, "/p", isolated=False)
        assert files[:2] == ["/etc/xdg/pip/pip.conf", "/etc/pip.conf"]
    files = config_files({"HOME": str(tmp_path), "XDG_CONFIG_DIRS": "~/a:", "XDG_CONFIG_HOME": " "}, "/p", False)
    assert files[:2] == [str(tmp_path / "a" / "pip" / "pip.conf"), os.path.join("pip", "pip.conf")]
    assert str(tmp_path / ".config" / "pip" / "pip.conf") in files
