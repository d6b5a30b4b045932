"""``safepip which``: one absolute path on stdout, nothing created unless --create."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, needs_managed, safepip_env
from inprocess import Cli
from safepip.venv.state import CREATING, write_state


@needs_managed
def test_nothing_to_point_at_yet(project: Path, cli: Cli) -> None:
    done = cli("which", "python", cwd=project)
    assert done.returncode == 69
    assert done.stdout == ""
    assert done.stderr.startswith(f"safepip: error: no environment yet: safepip would create {project / '.venv'} (")
    assert done.stderr.count("\n") == 1
    assert not (project / ".venv").exists()
    assert done.started == []


@needs_managed
@pytest.mark.slow
def test_create_then_every_path(project: Path, cli: Cli) -> None:
    venv = project / ".venv"
    created = cli("which", "--create", cwd=project / "src")
    assert created.returncode == 0, created.stderr
    assert created.stdout == f"{venv / 'bin' / 'python'}\n"
    assert "(created)" in created.stderr
    expected = {"python": venv / "bin" / "python", "pip": venv / "bin" / "pip", "env": venv, "bin": venv / "bin"}
    for what, path in expected.items():
        done = cli("which", what, cwd=project)
        assert (done.returncode, done.stdout, done.stderr) == (0, f"{path}\n", ""), what


@needs_managed
@pytest.mark.slow
def test_interrupted_creation_is_not_pointed_at(project: Path, cli: Cli) -> None:
    assert cli("which", "--create", cwd=project).returncode == 0
    write_state(str(project / ".venv"), CREATING, SYSTEM_PYTHON)  # as safepip writes it: signed
    done = cli("which", "env", cwd=project)
    assert done.returncode == 69
    assert "its creation was interrupted" in done.stderr
    repaired = cli("which", "--create", "env", cwd=project)
    assert repaired.returncode == 0, repaired.stderr
    assert "rebuilt: its creation was interrupted" in repaired.stderr


@needs_managed
@pytest.mark.slow
def test_env_without_pip_has_no_pip_path(project: Path, cli: Cli) -> None:
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    assert cli("which", "python", cwd=project).stdout == f"{project / '.venv' / 'bin' / 'python'}\n"
    done = cli("which", "pip", cwd=project)
    assert done.returncode == 69
    assert done.stdout == ""
    assert f"no pip in {project / '.venv' / 'bin'}" in done.stderr


@needs_managed
def test_policy_never_points_at_the_system_interpreter(project: Path, cli: Cli) -> None:
    done = cli("which", "--safepip-policy=never", cwd=project)
    assert (done.returncode, done.stdout, done.started) == (0, f"{SYSTEM_PYTHON}\n", [])
    env = cli("which", "env", cwd=project, env={"SAFEPIP_POLICY": "never"})
    assert env.stdout == "/usr\n"


@needs_managed
def test_refusal_and_usage_errors(tmp_path: Path, cli: Cli) -> None:
    somewhere = tmp_path / "home" / "x"
    somewhere.mkdir()
    done = cli("which", cwd=somewhere, env={"SAFEPIP_OUTSIDE": "refuse"})
    assert (done.returncode, done.stdout) == (69, "")
    assert "not inside a project" in done.stderr
    bad = cli("which", "ruby", cwd=somewhere)
    assert bad.returncode == 64
    assert "invalid choice: 'ruby'" in bad.stderr


def test_help(tmp_path: Path, cli: Cli) -> None:
    done = cli("which", "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: safepip which")


@needs_managed
@pytest.mark.slow
def test_in_a_makefile_shell_call(project: Path, cli: Cli) -> None:
    assert cli("which", "--create", cwd=project).returncode == 0
    from helpers import SAFEPIP

    (project / "Makefile").write_text(f"PY := $(shell {SAFEPIP} which python)\nshow:\n\t@echo $(PY)\n")
    done = subprocess.run(
        ["make", "-s", "show"], cwd=project, env=safepip_env(), capture_output=True, text=True, check=False
    )
    assert done.stdout == f"{project / '.venv' / 'bin' / 'python'}\n"
