"""Outside a project, a plugin goes where its application lives: a requirement whose
entry-point groups (or ``Framework ::`` classifier) name an application pipx manages is
injected into it with ``pipx inject``; ``uninstall`` undoes it with ``pipx uninject``;
explain shows it. A plugin of an application pipx does not manage (pytest's, where pytest
is a library) stays a library.

Offline against Debian's managed /usr/bin/python3, with safepip's own pipx, every pipx
directory in tmp_path (as root, pipx's --global ones).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import installed, needs_managed, offline, run_safepip, safepip_env
from outsidedirs import ROOT, commands_dir, pipx_home, user_env
from wheels import make_wheel

pytestmark = [needs_managed, pytest.mark.slow]


@pytest.fixture
def env(pipx_dirs: dict[str, str]) -> dict[str, str]:
    return safepip_env(**pipx_dirs, PATH=f"{commands_dir(pipx_dirs)}:/usr/bin:/bin")


@pytest.fixture
def house(tmp_path: Path) -> Path:
    """An application (its command named after it, a console program), a plugin of it in
    Poetry's shape (an entry point in ``hostapp.application.plugin``, no command), and a
    pytest plugin (``pytest11``)."""
    house = tmp_path / "wheels"
    make_wheel(house, "hostapp", "1.0", scripts={"hostapp": "hostapp:main"},
               classifiers=["Environment :: Console", "Intended Audience :: Developers"])
    make_wheel(house, "hostapp-plugin-export", "1.0",
               entry_points={"hostapp.application.plugin": {"export": "hostapp_plugin_export:main"}})
    make_wheel(house, "pytest-fancy", "1.0", entry_points={"pytest11": {"fancy": "pytest_fancy"}},
               classifiers=["Framework :: Pytest"])
    return house


def _venv(pipx_dirs: dict[str, str], name: str) -> Path:
    return pipx_home(pipx_dirs) / "venvs" / name


def test_a_plugin_is_injected_into_its_pipx_application_and_uninjected(
    tmp_path: Path, house: Path, env: dict[str, str], pipx_dirs: dict[str, str]
) -> None:
    where = tmp_path / "home"
    assert run_safepip("install", *offline(house), "hostapp", cwd=where, env=env).returncode == 0
    assert "hostapp" in installed(_venv(pipx_dirs, "hostapp"))

    explained = run_safepip("explain", "--json", "install", *offline(house), "hostapp-plugin-export", cwd=where, env=env)
    assert explained.returncode == 0, explained.stderr
    [route] = json.loads(explained.stdout)["requirements"]
    assert route["to"] == "pipx" and "a plugin of hostapp" in route["why"]

    done = run_safepip("install", *offline(house), "hostapp-plugin-export", cwd=where, env=env)
    assert done.returncode == 0, done.stderr
    assert "hostapp-plugin-export -> pipx" in done.stderr and ": a plugin of hostapp" in done.stderr
    assert "hostapp-plugin-export" in installed(_venv(pipx_dirs, "hostapp"))
    assert not user_env(tmp_path).exists() or "hostapp-plugin-export" not in installed(user_env(tmp_path))

    gone = run_safepip("uninstall", "-y", "hostapp-plugin-export", cwd=where, env=env)
    assert gone.returncode == 0, gone.stderr
    assert "uninjecting it with pipx" in gone.stderr
    assert "hostapp-plugin-export" not in installed(_venv(pipx_dirs, "hostapp"))
    assert "hostapp" in installed(_venv(pipx_dirs, "hostapp"))  # the application stays


def test_a_plugin_of_an_application_pipx_does_not_manage_is_a_library(
    tmp_path: Path, house: Path, env: dict[str, str], pipx_dirs: dict[str, str]
) -> None:
    where = tmp_path / "home"
    done = run_safepip("install", *offline(house), "pytest-fancy", "hostapp-plugin-export", cwd=where, env=env)
    assert done.returncode == 0, done.stderr
    assert {"pytest-fancy", "hostapp-plugin-export"} <= set(installed(user_env(tmp_path)))
    assert not _venv(pipx_dirs, "hostapp").exists()
    assert subprocess.run([str(user_env(tmp_path) / "bin" / "python"), "-c", "import pytest_fancy"],
                          check=False).returncode == 0


@pytest.fixture
def pipx_without_uninject(tmp_path: Path) -> tuple[Path, Path]:
    """A directory whose ``pipx`` is safepip's own pipx without the ``uninject`` command (as
    before pipx 1.2: Debian 12's 1.1.0 answers it with its usage error, exit 2), and the log
    of every command line it was given."""
    where, log = tmp_path / "old-pipx", tmp_path / "old-pipx.log"
    where.mkdir()
    script = where / "pipx"
    script.write_text(
        "#!/bin/sh\n"
        f"echo \"$*\" >> '{log}'\n"
        'if [ "$1" = uninject ]; then\n'
        "  echo \"pipx: error: argument command: invalid choice: 'uninject'\" >&2; exit 2\n"
        "fi\n"
        f"exec '{sys.executable}' -m pipx \"$@\"\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return where, log


def test_a_pipx_without_uninject_removes_the_plugin_with_its_runpip(
    tmp_path: Path, house: Path, env: dict[str, str], pipx_dirs: dict[str, str],
    pipx_without_uninject: tuple[Path, Path],
) -> None:
    stand_in, log = pipx_without_uninject
    env = {**env, "PATH": f"{stand_in}:{env['PATH']}"}
    where = tmp_path / "home"
    assert run_safepip("install", *offline(house), "hostapp", cwd=where, env=env).returncode == 0
    done = run_safepip("install", *offline(house), "hostapp-plugin-export", cwd=where, env=env)
    assert done.returncode == 0, done.stderr
    assert "hostapp-plugin-export" in installed(_venv(pipx_dirs, "hostapp"))

    explained = run_safepip("explain", "--json", "uninstall", "-y", "hostapp-plugin-export", cwd=where, env=env)
    assert explained.returncode == 0, explained.stderr
    [step] = json.loads(explained.stdout)["steps"]
    assert step["where"] == "pipx runpip hostapp"
    assert step["run"][0] == str(stand_in / "pipx")
    assert step["run"][1] == "runpip" and step["run"][-4:] == ["hostapp", "uninstall", "-y", "hostapp-plugin-export"]

    gone = run_safepip("uninstall", "-y", "hostapp-plugin-export", cwd=where, env=env)
    assert gone.returncode == 0, gone.stderr
    assert "usage" not in gone.stderr and "Traceback" not in gone.stderr, gone.stderr
    assert "has no uninject: uninstalling it with pipx runpip hostapp" in gone.stderr, gone.stderr
    assert "hostapp-plugin-export" not in installed(_venv(pipx_dirs, "hostapp"))
    assert "hostapp" in installed(_venv(pipx_dirs, "hostapp"))  # the application stays
    ran = log.read_text(encoding="utf-8").splitlines()
    assert "uninject --help" in ran and not [line for line in ran if line.startswith("uninject ") and "--help" not in line]

    # pipx still lists the plugin as injected; safepip's answers follow the environment.
    listed = subprocess.run([str(stand_in / "pipx"), "list", "--json", *(["--global"] if ROOT else [])],
                            capture_output=True, text=True, env=env, check=True)
    assert "hostapp-plugin-export" in json.loads(listed.stdout)["venvs"]["hostapp"]["metadata"]["injected_packages"]
    again = run_safepip("explain", "--json", "uninstall", "-y", "hostapp-plugin-export", cwd=where, env=env)
    assert again.returncode == 0, again.stderr
    assert not any(str(s["where"]).startswith("pipx") for s in json.loads(again.stdout)["steps"]), again.stdout
    twice = run_safepip("uninstall", "-y", "hostapp-plugin-export", cwd=where, env=env)
    assert twice.returncode == 0, twice.stderr
    assert "was injected into" not in twice.stderr, twice.stderr
