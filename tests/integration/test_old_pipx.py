"""Root outside a project with Debian 12's pipx (1.1.0, no ``--global`` before 1.5), the real one from PyPI.

As root safepip installs applications with pipx's ``--global`` mode; a pipx without it must get a
clear refusal (one line, exit 77, nothing done), never a pipx usage error half-way.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers import MANAGED, offline, pipx_from_pypi, run_safepip, safepip_env
from wheels import make_wheel

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
pytestmark = [
    pytest.mark.network,
    pytest.mark.slow,
    pytest.mark.skipif(not (ROOT and MANAGED), reason="root with Debian's externally managed python3"),
]


@pytest.fixture(scope="module")
def pipx_1_1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory whose pipx is pipx 1.1.0 (Debian 12's version), installed from PyPI."""
    return pipx_from_pypi(tmp_path_factory.mktemp("pipx-1.1.0"), "1.1.0")


def test_install_and_uninstall_say_what_root_needs(
    tmp_path: Path, pipx_1_1: Path, elsewhere: Path
) -> None:
    house = tmp_path / "house"
    make_wheel(house, "lib-a", "1.0")
    make_wheel(house, "app-c", "0.5", scripts={"app-c": "app_c:main"})
    dirs = {"PIPX_HOME": tmp_path / "pipx", "PIPX_BIN_DIR": tmp_path / "bin", "PIPX_GLOBAL_HOME": tmp_path / "gpipx",
            "PIPX_GLOBAL_BIN_DIR": tmp_path / "gbin"}
    env = safepip_env(PATH=f"{pipx_1_1}:/usr/bin:/bin", **{k: str(v) for k, v in dirs.items()})
    version = subprocess.run([str(pipx_1_1 / "pipx"), "--version"], capture_output=True, text=True, env=env)
    assert version.stdout.strip() == "1.1.0"
    done = run_safepip("install", *offline(house), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 77, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert any("pipx's --global mode" in line and "pipx 1.5 or newer" in line for line in lines), done.stderr
    assert "usage: pipx" not in done.stderr and "Traceback" not in done.stderr
    assert not any(p.exists() for p in dirs.values())  # nothing done
    gone = run_safepip("uninstall", "-y", "app-c", cwd=elsewhere, env=env)
    assert "usage: pipx" not in gone.stderr and "Traceback" not in gone.stderr, gone.stderr
    assert gone.returncode in (0, 77), gone.stderr


def test_a_normal_user_with_pipx_1_1_installs_an_application_offline(
    tmp_path: Path, pipx_1_1: Path, elsewhere: Path
) -> None:
    """pipx 1.1.0 has no --skip-maintenance (what safepip adds for --no-index): it is asked
    what it has, and the install works instead of ending in pipx's usage error."""
    house = tmp_path / "house"
    make_wheel(house, "app-c", "0.5", scripts={"app-c": "app_c:main"})
    env = safepip_env(PATH=f"{pipx_1_1}:/usr/bin:/bin", SAFEPIP_ALLOW_ROOT="1", PIPX_HOME=str(tmp_path / "pipx"),
                      PIPX_BIN_DIR=str(tmp_path / "bin"))
    done = run_safepip("install", *offline(house), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "unrecognized arguments" not in done.stderr
    ran = subprocess.run([str(tmp_path / "bin" / "app-c")], capture_output=True, text=True, check=False)
    assert ran.stdout.strip() == "app-c 0.5", ran.stderr


def test_repair_after_a_python_upgrade_with_pipx_1_1(
    tmp_path: Path, pipx_1_1: Path, elsewhere: Path
) -> None:
    """``safepip repair --no-index`` reinstalls pipx 1.1.0's application for the new interpreter
    without the --skip-maintenance that pipx has not."""
    from test_rebuild import copied_python, needs_pyenv

    if needs_pyenv.args[0]:
        pytest.skip("pyenv's 3.11 and 3.12 are not on this machine")
    house = tmp_path / "house"
    make_wheel(house, "app-c", "0.5", scripts={"app-c": "app_c:main"})
    first = copied_python("3.11", tmp_path / "python-1")
    dirs = {"SAFEPIP_ALLOW_ROOT": "1", "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin")}
    done = run_safepip("install", *offline(house), "app-c", cwd=elsewhere,
                       env=safepip_env(PATH=f"{first.parent}:{pipx_1_1}:/usr/bin:/bin", **dirs))
    assert done.returncode == 0, done.stderr
    import shutil

    shutil.rmtree(tmp_path / "python-1")  # the upgrade: the old interpreter is gone
    second = copied_python("3.11", tmp_path / "python-2")
    repaired = run_safepip("repair", *offline(house), cwd=elsewhere,
                           env=safepip_env(PATH=f"{second.parent}:{pipx_1_1}:/usr/bin:/bin", **dirs))
    assert "unrecognized arguments" not in repaired.stderr, repaired.stderr
    assert repaired.returncode == 0, repaired.stderr
    ran = subprocess.run([str(tmp_path / "bin" / "app-c")], capture_output=True, text=True, check=False)
    assert ran.stdout.strip() == "app-c 0.5", ran.stderr


def test_a_plugin_injected_with_pipx_1_1_is_uninstalled_with_its_runpip(
    tmp_path: Path, pipx_1_1: Path, elsewhere: Path
) -> None:
    """pipx 1.1.0 has no ``uninject``: the plugin leaves its application's environment by
    pipx 1.1.0's own ``runpip`` (no newer pipx touches its metadata), and safepip then knows
    it is gone although pipx 1.1.0 still lists it among the injected packages."""
    import json

    from helpers import installed

    house = tmp_path / "house"
    make_wheel(house, "hostapp", "1.0", scripts={"hostapp": "hostapp:main"},
               classifiers=["Environment :: Console", "Intended Audience :: Developers"])
    make_wheel(house, "hostapp-plugin-export", "1.0",
               entry_points={"hostapp.application.plugin": {"export": "hostapp_plugin_export:main"}})
    env = safepip_env(PATH=f"{pipx_1_1}:/usr/bin:/bin", SAFEPIP_ALLOW_ROOT="1", PIPX_HOME=str(tmp_path / "pipx"),
                      PIPX_BIN_DIR=str(tmp_path / "bin"))
    venv = tmp_path / "pipx" / "venvs" / "hostapp"
    assert run_safepip("install", *offline(house), "hostapp", cwd=elsewhere, env=env).returncode == 0
    done = run_safepip("install", *offline(house), "hostapp-plugin-export", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "hostapp-plugin-export" in installed(venv)

    gone = run_safepip("uninstall", "-y", "hostapp-plugin-export", cwd=elsewhere, env=env)
    assert gone.returncode == 0, gone.stderr
    assert "usage: pipx" not in gone.stderr and "Traceback" not in gone.stderr, gone.stderr
    assert "has no uninject: uninstalling it with pipx runpip hostapp" in gone.stderr, gone.stderr
    assert "hostapp-plugin-export" not in installed(venv)
    assert "hostapp" in installed(venv)
    listed = subprocess.run([str(pipx_1_1 / "pipx"), "list", "--json"], capture_output=True, text=True, env=env,
                            check=True)
    metadata = json.loads(listed.stdout)["venvs"]["hostapp"]["metadata"]
    assert metadata["pipx_metadata_version"] == "0.2"  # still pipx 1.1.0's own format
    assert "hostapp-plugin-export" in metadata["injected_packages"]  # what pipx 1.1.0 says; safepip knows better
    again = run_safepip("explain", "--json", "uninstall", "-y", "hostapp-plugin-export", cwd=elsewhere, env=env)
    assert not any(str(s["where"]).startswith("pipx") for s in json.loads(again.stdout)["steps"]), again.stdout
    assert run_safepip("uninstall", "-y", "hostapp-plugin-export", cwd=elsewhere, env=env).returncode == 0
    assert subprocess.run([str(pipx_1_1 / "pipx"), "list"], capture_output=True, env=env).returncode == 0
