"""A command line is read as the pip that will run it reads it; pip's own words (help,
version, its errors) come from pip without any environment being made; every way pip
picks another interpreter (--python, PIP_PYTHON, ``python =``) is honoured and rewritten."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import SYSTEM_PYTHON, needs_managed, offline, safepip_env
from inprocess import Cli
from jsonshape import run_verb_json as _run_verb_json


def run_verb_json(verb: str, *args: str, cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The verb's JSON output (schema-checked), typed for indexing."""
    return dict(_run_verb_json(verb, *args, cwd=cwd, env=env))


def _fake_env(env_dir: Path, pip: str) -> Path:
    """A directory that looks like a virtual environment with pip ``pip`` (never run)."""
    site = env_dir / "lib" / "python3.11" / "site-packages"
    (site / "pip").mkdir(parents=True)
    (site / f"pip-{pip}.dist-info").mkdir()
    (env_dir / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env_dir / "bin").mkdir()
    return env_dir


def test_versions_pick_the_table_of_their_minor_release() -> None:
    from safepip.facts.pipargs import table_version

    assert table_version("23.0") == "23.0.1"
    assert table_version("24.0") == "24.0"
    assert table_version("24.1") == "24.1.2"
    assert table_version("26.3.1") == "26.3"
    assert table_version("99.0") == "26.3"  # newer than every table: the newest
    assert table_version("21.3") == "22.3.1"  # older than every table: the oldest
    assert table_version(None) == "26.3"


def test_pip_version_from_dist_info(tmp_path: Path) -> None:
    from safepip.facts import piptables
    from safepip.venv.layout import site_packages

    env = _fake_env(tmp_path / "env", "23.0.1")
    assert piptables.in_sites(site_packages(str(env))) == "23.0.1"
    assert piptables.in_sites(site_packages(str(tmp_path / "missing"))) is None
    assert piptables.in_directory(str(tmp_path)) is None
    assert piptables.seeded((3, 11))  # virtualenv's embedded pip


@needs_managed
@pytest.mark.parametrize(
    "argv",
    [["install", "--help"], ["install", "-h", "x"], ["help"], ["help", "install"], ["--version"], ["-h"], []],
    ids=lambda a: " ".join(a) or "(none)",
)
def test_help_and_version_create_nothing(project: Path, argv: list[str], live: Cli) -> None:
    done = live(*argv, cwd=project / "src")
    assert done.returncode == 0, done.stderr
    assert not (project / ".venv").exists()


@needs_managed
def test_version_inside_a_project_shows_the_environments_pip(project: Path, live: Cli) -> None:
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-setuptools", "--no-wheel", str(project / ".venv")], check=True)
    done = live("--version", cwd=project)
    assert done.returncode == 0, done.stderr
    assert f"from {project / '.venv'}" in done.stdout


@needs_managed
@pytest.mark.parametrize(
    "argv",
    [
        ["install", "--upgrade-strategy=to-satisfy-only", "x"],
        ["install", "--progress-bar=foo", "x"],
        ["install", "--use-feature=2020-resolver", "x"],
        ["install", "--python-version", "3.x", "x"],
    ],
    ids=lambda a: a[1],
)
def test_a_line_pip_rejects_goes_to_pip_and_creates_nothing(project: Path, argv: list[str], live: Cli) -> None:
    data = run_verb_json("explain", *argv, cwd=project)
    assert data["decision"] == "passthrough"
    assert data["run"][-len(argv):] == argv  # exactly as given: pip's own error is the answer
    done = live(*argv, cwd=project)
    assert done.returncode == 2, done.stderr  # optparse's usage error
    assert not (project / ".venv").exists()


@needs_managed
def test_explain_reads_minus_h_after_json_as_pips(project: Path, live: Cli) -> None:
    data = run_verb_json("explain", "-h", cwd=project)
    assert data["argv"] == ["-h"]
    assert data["decision"] == "passthrough"
    assert live("explain", "--help", cwd=project).stdout.startswith("usage: safepip explain")


@needs_managed
def test_the_environments_pip_reads_the_line(project: Path) -> None:
    """--group exists in pip 25.1+: an environment with pip 23.0.1 would refuse it, so it goes
    to that pip unchanged; with a newer pip it is an install like any other."""
    _fake_env(project / ".venv", "23.0.1")
    old = run_verb_json("explain", "install", "--group", "dev", cwd=project)
    assert old["decision"] == "passthrough"
    assert "pip 23.0.1" in str(old["why"]) and "--group" in str(old["why"])
    assert old["run"][0] == str(project / ".venv" / "bin" / "python")
    abbreviated = run_verb_json("explain", "install", "--g", "x", cwd=project)
    assert abbreviated["decision"] == "project-venv"  # --global-option to pip 23.0.1


@needs_managed
def test_a_late_python_is_not_the_target(project: Path, tmp_path: Path) -> None:
    """pip 23.0.1 ignores --python after the command name; newer pips refuse it: either way it
    never chooses the interpreter."""
    other = _fake_env(tmp_path / "other", "26.3")
    data = run_verb_json("explain", "install", "--python", str(other / "bin" / "python"), "x", cwd=project)
    assert data["interpreter"]["path"] == SYSTEM_PYTHON


@needs_managed
def test_pip_python_is_the_target_and_is_rewritten_on_redirect(project: Path) -> None:
    env = safepip_env(PIP_PYTHON=SYSTEM_PYTHON)
    data = run_verb_json("explain", "install", "x", cwd=project, env=env)
    assert data["decision"] == "project-venv"
    assert data["interpreter"]["how"] == "PIP_PYTHON"
    assert data["environment_changes"]["PIP_PYTHON"] == str(project / ".venv" / "bin" / "python")


@needs_managed
def test_pip_conf_python_is_the_target_and_is_overridden(project: Path, hermetic: dict[str, str]) -> None:
    Path(hermetic["PIP_CONFIG_FILE"]).parent.mkdir(parents=True, exist_ok=True)
    Path(hermetic["PIP_CONFIG_FILE"]).write_text(f"[global]\npython = {SYSTEM_PYTHON}\n")
    data = run_verb_json("explain", "install", "x", cwd=project)
    assert data["decision"] == "project-venv"
    assert "python (from" in str(data["interpreter"]["how"])
    assert data["environment_changes"]["PIP_PYTHON"] == str(project / ".venv" / "bin" / "python")


@needs_managed
@pytest.mark.slow
def test_an_install_with_pip_python_lands_in_the_project(project: Path, wheelhouse: Path, live: Cli) -> None:
    """The environment's pip would re-run itself on PIP_PYTHON (the managed system Python)
    and refuse: safepip names the environment's own interpreter instead."""
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project, env={"PIP_PYTHON": SYSTEM_PYTHON})
    assert done.returncode == 0, done.stderr
    sites = list((project / ".venv" / "lib").glob("python3*/site-packages/lib_a-1.0.dist-info"))
    assert sites, json.dumps(done.stderr)
