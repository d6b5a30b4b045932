"""``safepip doctor``: what safepip sees, decides, and where each setting came from."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, needs_managed
from inprocess import Cli
from jsonshape import documented_schema, errors
from safepip.venv.state import CREATING, write_state


def _doctor(cli: Cli, cwd: Path, env: dict[str, str] | None = None, *args: str) -> dict[str, object]:
    return cli.json("doctor", *args, cwd=cwd, env=env)


def test_the_validator_rejects_what_breaks_the_schema() -> None:
    schema = documented_schema("doctor")
    assert errors({}, schema)
    assert any("state" in e for e in errors({"environment": {"state": "half"}}, schema))


@needs_managed
def test_managed_interpreter_project_and_missing_env(project: Path, hermetic: dict[str, str], cli: Cli) -> None:
    data = _doctor(cli, project / "src")
    interp = data["interpreter"]
    managed = data["managed"]
    env = data["environment"]
    assert isinstance(interp, dict) and isinstance(managed, dict) and isinstance(env, dict)
    assert (interp["path"], interp["how"], interp["in_venv"]) == (SYSTEM_PYTHON, "PATH", False)
    assert managed["managed"] is True
    assert Path(str(managed["marker"])).name == "EXTERNALLY-MANAGED"
    assert Path(str(managed["marker"])).read_text().count(str(managed["message"]).splitlines()[0]) == 1
    assert managed["distributor"] == "Debian"
    assert data["project"] == {"root": str(project), "why": "holds pyproject.toml"}
    assert env["decision"] == "project-venv"
    assert (env["path"], env["exists"], env["python_runs"]) == (str(project / ".venv"), False, None)
    config = data["config"]
    assert isinstance(config, dict)
    assert config["file"] == str(Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml")
    assert config["values"]["policy"] == {"value": "auto", "origin": "default"}
    assert data["problems"] == []
    assert not (project / ".venv").exists()


@needs_managed
def test_every_value_shows_its_layer(project: Path, hermetic: dict[str, str], cli: Cli) -> None:
    user = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('apps = "user-env"\ntrusted = ["~/work"]\n')
    (project / "pyproject.toml").write_text('[tool.safepip]\nvenv = "build/venv"\n')
    data = _doctor(cli, project, {"SAFEPIP_QUIET": "1"}, "--safepip-outside=cwd")
    values = data["config"]["values"]  # type: ignore[index]
    assert values["apps"] == {"value": "user-env", "origin": str(user)}
    assert values["trusted"] == {"value": [str(Path(hermetic["HOME"]) / "work")], "origin": str(user)}
    assert values["venv"] == {"value": "build/venv", "origin": f"{project / 'pyproject.toml'} [tool.safepip]"}
    assert values["quiet"] == {"value": True, "origin": "SAFEPIP_QUIET"}
    assert values["outside"] == {"value": "cwd", "origin": "--safepip-outside"}
    assert values["policy"]["origin"] == "default"
    assert data["environment"]["path"] == str(project / "build" / "venv")  # type: ignore[index]


@needs_managed
@pytest.mark.slow
def test_env_health(project: Path, cli: Cli) -> None:
    assert cli("which", "--create", cwd=project).returncode == 0
    env = _doctor(cli, project)["environment"]
    assert isinstance(env, dict)
    assert (env["exists"], env["python_runs"], env["pip"], env["state"], env["problem"]) == (
        True,
        True,
        True,
        "complete",
        None,
    )
    write_state(str(project / ".venv"), CREATING, SYSTEM_PYTHON)  # as safepip writes it: signed
    data = _doctor(cli, project)
    assert data["environment"]["problem"] == "its creation was interrupted"  # type: ignore[index]
    assert any("its creation was interrupted" in p for p in data["problems"])  # type: ignore[attr-defined]


@needs_managed
@pytest.mark.slow
def test_active_venv(tmp_path: Path, project: Path, cli: Cli) -> None:
    other = tmp_path / "active"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(other)], check=True)
    data = _doctor(cli, project, {"VIRTUAL_ENV": str(other)})
    assert data["interpreter"]["in_venv"] is True  # type: ignore[index]
    assert data["interpreter"]["how"] == "VIRTUAL_ENV"  # type: ignore[index]
    assert data["active"]["VIRTUAL_ENV"] == str(other)  # type: ignore[index]
    assert data["managed"]["managed"] is False  # type: ignore[index]
    assert data["environment"]["decision"] == "passthrough"  # type: ignore[index]
    assert data["environment"]["path"] == str(other)  # type: ignore[index]


@needs_managed
def test_refusal_is_a_problem_not_a_failure(tmp_path: Path, cli: Cli) -> None:
    somewhere = tmp_path / "home" / "x"
    somewhere.mkdir()
    data = _doctor(cli, somewhere, {"SAFEPIP_OUTSIDE": "refuse"})
    assert data["project"] is None
    assert data["environment"]["decision"] == "refuse"  # type: ignore[index]
    assert any("not inside a project" in p for p in data["problems"])  # type: ignore[attr-defined]


@needs_managed
def test_pipx_bin_dir_on_path(project: Path, tmp_path: Path, cli: Cli) -> None:
    bin_dir = tmp_path / "pipx-bin"
    bin_dir.mkdir()
    fake = bin_dir / "pipx"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    env = {"PIPX_BIN_DIR": str(bin_dir), "PATH": f"/usr/bin:/bin:{bin_dir}"}
    assert _doctor(cli, project, env)["pipx"] == {"path": str(fake), "bin_dir": str(bin_dir), "bin_dir_on_path": True}
    away = _doctor(cli, project, {"PIPX_BIN_DIR": str(tmp_path / "elsewhere")})
    assert away["pipx"]["bin_dir_on_path"] is False  # type: ignore[index]


@needs_managed
def test_text_report(project: Path, cli: Cli) -> None:
    done = cli("doctor", cwd=project)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"interpreter  {SYSTEM_PYTHON} (Python 3." in out
    assert "managed      yes by Debian: " in out
    assert f"project      {project} (holds pyproject.toml)" in out
    assert '  policy    "auto"  (default)' in out
    assert "no problems found" in out
    assert done.stderr == ""


def test_shell_init_configured_active_or_not(project: Path, hermetic: dict[str, str], cli: Cli) -> None:
    home = Path(hermetic["HOME"])
    fish = Path(hermetic["XDG_CONFIG_HOME"]) / "fish" / "conf.d"
    fish.mkdir(parents=True)
    (home / ".bashrc").write_text('# eval "$(safepip shell-init bash)"  (a comment: not configured)\n'
                                  'export X=1\neval "$(safepip shell-init bash)"\n')
    (fish / "safepip.fish").write_text("if test -x /x/safepip; /x/safepip shell-init fish | source; end\n")
    data = cli.json("doctor", cwd=project)
    assert data["shell_init"] == {"active": None, "configured": [{"file": str(home / ".bashrc"), "line": 3},
                                                                 {"file": str(fish / "safepip.fish"), "line": 1}]}
    problems = data["problems"]
    assert isinstance(problems, list)
    assert any("shell-init is configured" in p and "not active in this shell" in p for p in problems)
    active = cli.json("doctor", cwd=project, env={"SAFEPIP_SHELL_INIT": "bash"})
    assert active["shell_init"] == {**data["shell_init"], "active": "bash"}
    assert not any("shell-init" in p for p in active["problems"])  # type: ignore[attr-defined]
    text = cli("doctor", cwd=project, env={"SAFEPIP_SHELL_INIT": "bash"})
    assert f"shell-init   active in this shell (bash); loaded by {home / '.bashrc'}:3" in text.stdout
    (home / ".bashrc").unlink()
    (fish / "safepip.fish").unlink()
    none = cli("doctor", cwd=project)
    assert "shell-init   not configured" in none.stdout
