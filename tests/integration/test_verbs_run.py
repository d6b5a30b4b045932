"""``safepip run``: the command runs in the environment safepip installs into."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from helpers import SAFEPIP, SYSTEM_PYTHON, needs_managed, offline, run_safepip, safepip_env
from inprocess import Cli
from safepip.commands.run import command_environ, parse_args
from safepip.errors import UsageError

SHOW = "import sys, os, json; print(json.dumps([sys.prefix, os.environ.get('VIRTUAL_ENV'), os.environ['PATH']]))"


def test_own_options_stop_at_the_command() -> None:
    assert parse_args(["--python", "/p", "--safepip-quiet", "pytest", "--python", "x"]) == (
        "/p",
        {"quiet": True},
        ["pytest", "--python", "x"],
    )
    assert parse_args(["--", "-x", "--safepip-venv=v"]) == (None, {}, ["-x", "--safepip-venv=v"])
    assert parse_args(["-h"]) is None
    with pytest.raises(UsageError, match="unknown option -x"):
        parse_args(["-x"])


def test_command_environ_puts_bin_first_once_and_drops_pythonhome() -> None:
    env = command_environ({"PATH": "/a:/e/bin:/b", "PYTHONHOME": "/x", "PYTHONPATH": "src"}, "/e/bin", "/e")
    assert env["PATH"] == "/e/bin:/a:/b"
    assert env["VIRTUAL_ENV"] == "/e"
    assert "PYTHONHOME" not in env
    assert env["PYTHONPATH"] == "src"
    assert "VIRTUAL_ENV" not in command_environ({"PATH": "/a"}, "/usr/bin", None)


def test_no_command_is_a_usage_error(tmp_path: Path, live: Cli) -> None:
    done = live("run", cwd=tmp_path)
    assert done.returncode == 64
    assert done.stderr == "safepip: error: safepip run: no command given; e.g. safepip run python -m pytest\n"


@needs_managed
@pytest.mark.slow
def test_run_creates_the_project_env_and_runs_in_it(project: Path, live: Cli) -> None:
    done = live("run", "python", "-c", SHOW, cwd=project / "src")
    assert done.returncode == 0, done.stderr
    prefix, virtual_env, path = json.loads(done.stdout)
    venv = project / ".venv"
    assert prefix == str(venv)
    assert virtual_env == str(venv)
    assert path.split(os.pathsep)[0] == str(venv / "bin")
    expected = f"safepip: {SYSTEM_PYTHON} is externally managed (Debian); using {venv} (created)"
    if os.geteuid() == 0:  # as root, the creation notice says how later commands reach the environment
        expected += f"; later commands (a Dockerfile's RUN, CMD) reach it as {venv}/bin/python, or with PATH={venv}/bin:$PATH"
    assert done.stderr == expected + "\n"
    assert json.loads((venv / ".safepip.json").read_text())["state"] == "complete"
    again = live("run", "python", "-c", SHOW, cwd=project)
    assert again.returncode == 0
    assert again.stderr == ""  # nothing created: nothing to say


@needs_managed
@pytest.mark.slow
def test_exit_code_and_scripts_of_the_env(project: Path, wheelhouse: Path, live: Cli) -> None:
    assert live("install", *offline(wheelhouse), "app-c", cwd=project).returncode == 0
    done = live("run", "app-c", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "app-c 0.5\n"
    failed = live("run", "python", "-c", "raise SystemExit(42)", cwd=project)
    assert failed.returncode == 42
    assert failed.stderr == ""
    missing = live("run", "no-such-command", cwd=project)
    assert missing.returncode == 127
    assert (
        missing.stderr
        == f"safepip: error: no-such-command: command not found (looked in {project / '.venv' / 'bin'} and on PATH)\n"
    )


@needs_managed
@pytest.mark.slow
def test_run_is_exec_signals_reach_the_command(project: Path) -> None:
    assert run_safepip("run", "true", cwd=project).returncode == 0  # create first
    code = "import time, sys; print('ready', flush=True); time.sleep(60)"
    with subprocess.Popen(
        [SAFEPIP, "run", "python", "-c", code], cwd=project, env=safepip_env(), stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        # exec: the process safepip started as *is* the command now
        assert os.readlink(f"/proc/{proc.pid}/exe").startswith("/usr/bin/python3")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=300) == -signal.SIGTERM


@needs_managed
def test_run_refuses_where_install_would(tmp_path: Path, live: Cli) -> None:
    somewhere = tmp_path / "home" / "downloads"
    somewhere.mkdir()
    done = live("run", "true", cwd=somewhere, env={"SAFEPIP_OUTSIDE": "refuse"})
    assert done.returncode == 69
    assert "not inside a project" in done.stderr
    install = live("install", "x", cwd=somewhere, env={"SAFEPIP_OUTSIDE": "refuse"})
    assert install.returncode == 69
    assert install.stderr == done.stderr


@needs_managed
@pytest.mark.slow
def test_active_venv_is_used_as_is(tmp_path: Path, project: Path, live: Cli) -> None:
    other = tmp_path / "active"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(other)], check=True)
    env = {"VIRTUAL_ENV": str(other)}
    done = live("run", "python", "-c", SHOW, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[:2] == [str(other), str(other)]
    assert not (project / ".venv").exists()


@needs_managed
@pytest.mark.slow
def test_policy_never_runs_with_the_system_python(project: Path, live: Cli) -> None:
    done = live("run", "--safepip-policy=never", "python3", "-c", SHOW, cwd=project)
    assert done.returncode == 0, done.stderr
    prefix, virtual_env, _ = json.loads(done.stdout)
    assert prefix == "/usr"
    assert virtual_env is None
    assert not (project / ".venv").exists()


@needs_managed
@pytest.mark.slow
def test_parallel_runs_create_one_env(project: Path) -> None:
    procs = [
        subprocess.Popen(
            [SAFEPIP, "run", "python", "-c", "import sys; print(sys.prefix)"],
            cwd=project,
            env=safepip_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for p in procs:
        p.stdout.close()  # type: ignore[union-attr]
        p.stderr.close()  # type: ignore[union-attr]
    assert all(code == 0 for code, _, _ in results), results
    assert {out for _, out, _ in results} == {f"{project / '.venv'}\n"}
    assert sum("(created)" in err for _, _, err in results) == 1


@needs_managed
@pytest.mark.slow
def test_python_option_names_the_target(tmp_path: Path, project: Path, live: Cli) -> None:
    other = tmp_path / "other"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(other)], check=True)
    done = live("run", "--python", str(other), "python", "-c", SHOW, cwd=project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[:2] == [str(other), str(other)]
    assert not (project / ".venv").exists()
