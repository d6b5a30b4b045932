"""A project its own tool manages (Poetry, pipenv, Hatch, PDM, uv) uses that tool's
environment, existing or made where the tool looks for it; a monorepo has one environment
whatever the order (issue: two environments for one project). Offline: the tools'
environments are made here as the tools name them (``test_toolenv_oracle.py`` checks the
names against the real tools)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, SYSTEM_XY, installed, needs_managed, offline, run_safepip
from safepip.facts.toolenv import pipenv_env_name, poetry_env_name

pytestmark = [needs_managed, pytest.mark.slow]


def _poetry_project(tmp_path: Path) -> Path:
    root = tmp_path / "code" / "svc"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.poetry]\nname = "svc"\nversion = "0.1.0"\n')
    (root / "poetry.lock").write_text("")
    return root


def _poetry_env(tmp_path: Path, root: Path) -> Path:
    return tmp_path / "xdg-cache" / "pypoetry" / "virtualenvs" / f"{poetry_env_name('svc', str(root))}-py{SYSTEM_XY}"


def test_an_existing_poetry_environment_is_the_projects(tmp_path: Path, wheelhouse: Path) -> None:
    root = _poetry_project(tmp_path)
    env = _poetry_env(tmp_path, root)
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(env)], check=True, capture_output=True)
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(env)
    assert not (root / ".venv").exists()  # never a second one
    assert "Poetry's environment for this project" in done.stderr
    which = run_safepip("which", "env", cwd=root)
    assert which.returncode == 0, which.stderr
    assert which.stdout.strip() == str(env)
    activation = run_safepip("which", "env", "--for-activation", cwd=root)  # shell-init's activation
    assert activation.returncode == 0, activation.stderr
    assert activation.stdout.strip() == str(env)
    (root / "src").mkdir()
    again = run_safepip("install", *offline(wheelhouse), "lib-b", cwd=root / "src")
    assert again.returncode == 0, again.stderr
    assert not (root / ".venv").exists() and not (root / "src" / ".venv").exists()
    assert "lib-b" in installed(env)


def test_a_new_poetry_environment_is_made_where_poetry_looks(tmp_path: Path, wheelhouse: Path) -> None:
    root = _poetry_project(tmp_path)
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=root)
    assert done.returncode == 0, done.stderr
    env = _poetry_env(tmp_path, root)
    assert "lib-a" in installed(env)
    assert not (root / ".venv").exists()
    assert f"using {env} (created)" in done.stderr.replace(str(tmp_path / "home"), "~")


def test_poetry_in_project_setting_makes_dot_venv(tmp_path: Path, wheelhouse: Path) -> None:
    root = _poetry_project(tmp_path)
    (root / "poetry.toml").write_text("[virtualenvs]\nin-project = true\n")
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(root / ".venv")
    assert not _poetry_env(tmp_path, root).exists()


def test_a_pipenv_environment_in_workon_home(tmp_path: Path, wheelhouse: Path) -> None:
    root = tmp_path / "code" / "site"
    root.mkdir(parents=True)
    (root / "Pipfile").write_text('[packages]\n\n[requires]\npython_version = "3"\n')
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=root)
    assert done.returncode == 0, done.stderr
    env = tmp_path / "xdg-data" / "virtualenvs" / pipenv_env_name(str(root))
    assert "lib-a" in installed(env)
    assert "pipenv's environment" in done.stderr


def test_a_repository_file_that_puts_the_environment_outside_is_refused(tmp_path: Path, wheelhouse: Path) -> None:
    root = tmp_path / "code" / "h"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "h"\n')
    elsewhere = tmp_path / "home" / "victim"
    (root / "hatch.toml").write_text(f'[envs.default]\npath = "{elsewhere}"\n')
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=root)
    assert done.returncode == 78, done.stderr
    assert "hatch.toml" in done.stderr and "safepip trust" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not elsewhere.exists()
    trusted = run_safepip("trust", str(root), cwd=root)
    assert trusted.returncode == 0, trusted.stderr
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(elsewhere)


@pytest.mark.parametrize("first", ["backend", "."])
def test_a_monorepo_has_one_environment_whatever_the_order(tmp_path: Path, wheelhouse: Path, first: str) -> None:
    repo = tmp_path / "code" / "app"
    (repo / "backend").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')
    (repo / "backend" / "pyproject.toml").write_text('[project]\nname = "backend"\nversion = "0"\n')
    second = "." if first == "backend" else "backend"
    for where, what in ((first, "lib-a"), (second, "lib-b")):
        done = run_safepip("install", *offline(wheelhouse), what, cwd=repo / where)
        assert done.returncode == 0, done.stderr
    assert not (repo / "backend" / ".venv").exists()
    assert {"lib-a", "lib-b"} <= set(installed(repo / ".venv"))
