"""The core, end to end, against Debian's managed /usr/bin/python3: the real console script
for the whole round trip, ``--version`` and ``--help``; safepip in-process with pip really
running (the ``live`` fixture) for the rest."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, installed, needs_managed, offline, run_safepip, venv_python
from inprocess import Cli
from safepip.runner import pip_argv
from wheels import make_wheel

pytestmark = [needs_managed, pytest.mark.slow]


def test_install_list_freeze_uninstall_from_a_subdirectory(project: Path, wheelhouse: Path) -> None:
    cwd = project / "src" / "pkg"
    done = run_safepip("install", *offline(wheelhouse), "lib-b", cwd=cwd)
    assert done.returncode == 0, done.stderr
    venv = project / ".venv"
    notice = [line for line in done.stderr.splitlines() if line.startswith("safepip:")]
    expected = f"safepip: {SYSTEM_PYTHON} is externally managed (Debian); using {venv} (created)"
    if os.geteuid() == 0:  # as root (a Dockerfile's RUN), the notice says how later commands reach it
        expected += f"; later commands (a Dockerfile's RUN, CMD) reach it as {venv}/bin/python, or with PATH={venv}/bin:$PATH"
    else:  # the shell does not have it active: how to use it
        expected += f"; use it with `safepip run COMMAND` or {venv}/bin/python, or let `safepip shell-init` activate it in your shell"
    assert notice == [expected]
    assert "Successfully installed lib-a-1.0 lib-b-2.0" in done.stdout
    assert installed(venv)["lib-b"] == "2.0"
    assert (venv / ".gitignore").read_text().strip().endswith("*")
    assert json.loads((venv / ".safepip.json").read_text())["state"] == "complete"

    listed = run_safepip("list", "--format=json", cwd=cwd)
    assert listed.returncode == 0
    assert {"lib-a", "lib-b", "pip"} <= {d["name"] for d in json.loads(listed.stdout)}
    assert "(created)" not in listed.stderr

    frozen = run_safepip("freeze", cwd=cwd)
    assert frozen.stdout.splitlines() == ["lib-a==1.0", "lib-b==2.0"]  # stdout is pip's alone
    assert "safepip:" in frozen.stderr

    gone = run_safepip("uninstall", "-y", "lib-b", cwd=cwd)
    assert gone.returncode == 0, gone.stderr
    assert "lib-b" not in installed(venv)


def test_system_python_is_untouched_and_not_importable(project: Path, wheelhouse: Path, live: Cli) -> None:
    assert live("install", *offline(wheelhouse), "lib-a", cwd=project).returncode == 0
    probe = subprocess.run([SYSTEM_PYTHON, "-I", "-c", "import lib_a"], capture_output=True, check=False)
    assert probe.returncode != 0
    assert subprocess.run([venv_python(project / ".venv"), "-c", "import lib_a"], check=False).returncode == 0


def test_exit_code_of_pip_passes_through(project: Path, live: Cli) -> None:
    done = live("show", "not-there", cwd=project)
    assert done.returncode == 1
    assert "not found" in done.stderr.lower()


def test_user_flag_is_dropped_with_a_note(project: Path, wheelhouse: Path, live: Cli) -> None:
    done = live("install", "--user", *offline(wheelhouse), "lib-a", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "--user dropped" in done.stderr
    python = venv_python(project / ".venv")
    assert done.started == [("exec", pip_argv(python, ["install", *offline(wheelhouse), "lib-a"]))]
    assert "lib-a" in installed(project / ".venv")


def test_pip_user_setting_is_neutralised(project: Path, wheelhouse: Path, live: Cli) -> None:
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project, env={"PIP_USER": "1"})
    assert done.returncode == 0, done.stderr
    assert "user = true (from PIP_USER) ignored" in done.stderr


def test_existing_venv_directory_is_used(project: Path, wheelhouse: Path, live: Cli) -> None:
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(project / "venv")], check=True)
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project / "src")
    assert done.returncode == 0, done.stderr
    assert f"using {project / 'venv'}" in done.stderr
    assert "(created)" not in done.stderr
    assert not (project / ".venv").exists()
    assert "lib-a" in installed(project / "venv")


def test_configured_venv_path(project: Path, wheelhouse: Path, live: Cli) -> None:
    (project / "pyproject.toml").write_text('[project]\nname="p"\nversion="0"\n[tool.safepip]\nvenv = "build/env"\n')
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(project / "build" / "env")


def test_active_venv_is_passed_through_silently(tmp_path: Path, project: Path, wheelhouse: Path, live: Cli) -> None:
    other = tmp_path / "active"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(other)], check=True)
    env = {"VIRTUAL_ENV": str(other), "PATH": f"{other}/bin:/usr/bin:/bin"}
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert "safepip:" not in done.stderr
    assert "lib-a" in installed(other)
    assert not (project / ".venv").exists()


def test_target_option_passes_through(tmp_path: Path, project: Path, wheelhouse: Path, live: Cli) -> None:
    target = tmp_path / "target"
    done = live("install", "--target", str(target), *offline(wheelhouse), "lib-a", cwd=project)
    assert done.returncode == 0, done.stderr
    # unchanged, to the target python's own pip
    assert done.started == [("exec", pip_argv(SYSTEM_PYTHON, ["install", "--target", str(target), *offline(wheelhouse), "lib-a"]))]
    assert (target / "lib_a.py").is_file()
    assert not (project / ".venv").exists()


def test_python_option_names_a_venv_directory(tmp_path: Path, wheelhouse: Path, live: Cli) -> None:
    other = tmp_path / "other"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(other)], check=True)
    done = live("--python", str(other), "install", *offline(wheelhouse), "lib-a", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(other)


def test_outside_a_project_refuses_for_now(tmp_path: Path, wheelhouse: Path, cli: Cli) -> None:
    somewhere = tmp_path / "home" / "downloads"
    somewhere.mkdir()
    done = cli("install", *offline(wheelhouse), "lib-a", cwd=somewhere, env={"SAFEPIP_OUTSIDE": "refuse"})
    assert (done.returncode, done.started) == (69, [])
    assert "not inside a project" in done.stderr
    assert "Traceback" not in done.stderr


def test_version_shows_safepip_then_pip(tmp_path: Path) -> None:
    done = run_safepip("--version", cwd=tmp_path)
    assert done.returncode == 0
    first, second = done.stdout.splitlines()[:2]
    assert first.startswith("safepip ")
    assert second.startswith("pip ")


def test_help_shows_pip_help_and_a_safepip_section(tmp_path: Path) -> None:
    done = run_safepip("--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "Usage:" in done.stdout
    assert "SAFEPIP_PYTHON" in done.stdout
    from safepip.cli import VERBS

    section = done.stdout[done.stdout.index("\nsafepip:\n"):]
    for verb in VERBS:
        if verb.startswith("__"):  # internal (the python launchers call it), not a verb people type
            assert f"safepip {verb}" not in section, verb
            continue
        assert f"safepip {verb}" in section, verb


def test_quiet_hides_the_notice_but_not_creation(project: Path, wheelhouse: Path, live: Cli) -> None:
    first = live("install", "-q", *offline(wheelhouse), "lib-a", cwd=project)
    assert "(created)" in first.stderr
    again = live("install", "-q", *offline(wheelhouse), "lib-a", cwd=project)
    assert "safepip:" not in again.stderr
    silent = live("list", cwd=project, env={"SAFEPIP_QUIET": "1"})
    assert "safepip:" not in silent.stderr


def test_debian_without_pip_in_target_uses_the_project_env(project: Path, tmp_path: Path, live: Cli) -> None:
    # pip download does not touch an environment: it runs with the target's pip, unchanged.
    house = tmp_path / "h"
    make_wheel(house, "lib-z", "1.0")
    dest = tmp_path / "dl"
    done = live("download", "--no-index", "--find-links", str(house), "-d", str(dest), "lib-z", cwd=project)
    assert done.returncode == 0, done.stderr
    assert (dest / "lib_z-1.0-py3-none-any.whl").is_file()
    assert not (project / ".venv").exists()
    assert os.listdir(dest) == ["lib_z-1.0-py3-none-any.whl"]


def test_dotvenv_that_is_a_file_is_a_clear_error(project: Path, wheelhouse: Path, cli: Cli) -> None:
    (project / ".venv").write_text("not a venv")
    done = cli("install", *offline(wheelhouse), "lib-a", cwd=project)
    assert (done.returncode, done.started) == (73, [])
    assert done.stderr.count("\n") == 1
    assert "is a file, not a virtual environment" in done.stderr
    assert (project / ".venv").read_text() == "not a venv"


def test_bad_tool_safepip_value_is_a_config_error(project: Path, cli: Cli) -> None:
    (project / "pyproject.toml").write_text('[project]\nname="p"\nversion="0"\n\n[tool.safepip]\npolicy = "sometimes"\n')
    done = cli("install", "x", cwd=project)
    assert (done.returncode, done.started) == (78, [])
    assert "pyproject.toml, line 6: policy = 'sometimes' is not allowed" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / ".venv").exists()


def test_no_interpreter_on_path(project: Path, cli: Cli) -> None:
    done = cli("install", "x", cwd=project, env={"PATH": str(project)})
    assert (done.returncode, done.started) == (69, [])
    assert "no python3 or python on PATH" in done.stderr


def test_a_non_venv_directory_with_files_is_never_touched(project: Path, wheelhouse: Path, cli: Cli) -> None:
    (project / ".venv").mkdir()
    (project / ".venv" / "notes.txt").write_text("mine")
    done = cli("install", *offline(wheelhouse), "lib-a", cwd=project)
    assert (done.returncode, done.started) == (73, [])
    assert "is not a virtual environment" in done.stderr
    assert (project / ".venv" / "notes.txt").read_text() == "mine"



OLD_PYTHON = "/root/.pyenv/versions/3.8.18/bin/python3.8"


@pytest.mark.skipif(not os.access(OLD_PYTHON, os.X_OK), reason="no CPython 3.8 on this machine")
def test_a_python_38_target_gets_an_environment_from_its_own_venv(project: Path, wheelhouse: Path, live: Cli) -> None:
    # virtualenv's seeder starts at 3.9: safepip falls back to the target's own venv module.
    done = live("--python", OLD_PYTHON, "--safepip-policy=always", "install", *offline(wheelhouse), "lib-a",
                       cwd=project)
    assert done.returncode == 0, done.stderr
    assert "(created)" in done.stderr
    version = subprocess.run([venv_python(project / ".venv"), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "(3, 8)"
    assert installed(project / ".venv")["lib-a"] == "1.0"
