"""``safepip explain``: the decision for an exact pip command line, without doing anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, needs_managed
from inprocess import Cli
from jsonshape import documented_schema, errors
from safepip.runner import pip_args, pip_argv


def _explain(cli: Cli, *args: str, cwd: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    return cli.json("explain", *args, cwd=cwd, env=env)


def test_the_validator_rejects_what_breaks_the_schema() -> None:
    schema = documented_schema("explain")
    assert errors({"schema_version": 2}, schema)  # wrong version and missing fields
    assert any("decision" in e for e in errors({"decision": "somewhere"}, schema))


@needs_managed
def test_redirect_in_a_project_creates_nothing(project: Path, cli: Cli) -> None:
    data = _explain(cli, "install", "--user", "requests", cwd=project / "src")
    venv = str(project / ".venv")
    assert data["decision"] == "project-venv"
    assert data["command"] == "install"
    assert data["environment"] == {"path": venv, "exists": False, "would_create": True}
    assert data["run"] == pip_argv(f"{venv}/bin/python", ["install", "requests"])
    assert data["notes"] == ["--user dropped: the environment is the user's own"]
    assert data["lock"] is True
    assert data["exit_code"] is None
    assert data["project"] == {"root": str(project), "why": "holds pyproject.toml"}
    assert not (project / ".venv").exists()


@needs_managed
def test_text_form(project: Path, cli: Cli) -> None:
    done = cli("explain", "install", "x", cwd=project)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "pip args:    install x"
    assert lines[1] == "decision:    project-venv"
    assert f"environment: {project / '.venv'} (would be created)" in lines
    assert f"would run:   {project / '.venv' / 'bin' / 'python'} -m pip install x" in lines
    assert done.stderr == ""
    assert not (project / ".venv").exists()


@needs_managed
def test_refusal_is_explained_with_its_exit_code(tmp_path: Path, cli: Cli) -> None:
    somewhere = tmp_path / "home" / "dl"
    somewhere.mkdir()
    data = _explain(cli, "install", "x", cwd=somewhere, env={"SAFEPIP_OUTSIDE": "refuse"})
    assert data["decision"] == "refuse"
    assert data["exit_code"] == 69
    assert data["run"] is None
    assert "not inside a project" in str(data["message"])


@needs_managed
def test_passthrough_cases(project: Path, tmp_path: Path, cli: Cli) -> None:
    target = _explain(cli, "install", "--target", str(tmp_path / "t"), "x", cwd=project)
    assert target["decision"] == "passthrough"
    assert "--target writes outside the environment" in str(target["why"])
    assert target["run"] == pip_argv(SYSTEM_PYTHON, ["install", "--target", str(tmp_path / "t"), "x"])
    never = _explain(cli, "--safepip-policy=never", "install", "x", cwd=project)
    assert never["decision"] == "passthrough"
    assert never["argv"] == ["install", "x"]
    assert "policy = never (from --safepip-policy)" in str(never["why"])
    forced = _explain(cli, "install", "--break-system-packages", "x", cwd=project)
    assert forced["warnings"]
    download = _explain(cli, "download", "x", cwd=project)
    assert download["decision"] == "passthrough"


@pytest.mark.slow
@needs_managed
def test_existing_env_without_pip_is_driven_by_safepips_pip(project: Path, cli: Cli) -> None:
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    data = _explain(cli, "install", "x", cwd=project)
    run = data["run"]
    assert isinstance(run, list)
    assert (pip_args(run) or [])[:2] == ["--python", str(project / ".venv" / "bin" / "python")]
    assert data["environment"] == {"path": str(project / ".venv"), "exists": True, "would_create": False}


@needs_managed
def test_pip_json_option_after_the_pip_args_is_pips(project: Path, cli: Cli) -> None:
    data = _explain(cli, "index", "versions", "--json", "x", cwd=project)
    assert data["argv"] == ["index", "versions", "--json", "x"]
    assert data["command"] == "index"


def test_config_error_still_exits_78(project: Path, cli: Cli) -> None:
    (project / "pyproject.toml").write_text("[tool.safepip]\nvenv = 1\n")
    done = cli("explain", "install", "x", cwd=project)
    assert done.returncode == 78
    assert "line 2: venv = 1 is not allowed" in done.stderr
