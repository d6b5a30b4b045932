"""The tools' own answers: Poetry, Hatch, pipenv and PDM from PyPI name (or make) a project's
environment, and safepip names the same one (:mod:`safepip.facts.toolenv`). The tools are
installed once into .tools/toolenv-oracle (network); each runs only on projects made here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, SYSTEM_PYTHON, SYSTEM_VERSION, needs_managed
from safepip.facts.gather import project_env

# One worker makes the tools' environment once (a session fixture per worker would race).
pytestmark = [needs_managed, pytest.mark.slow, pytest.mark.network, pytest.mark.xdist_group("toolenv-oracle")]

TOOLS = ("poetry", "hatch", "pipenv", "pdm")


@pytest.fixture(scope="session")
def tools() -> Path:
    """A virtual environment holding the four tools (made once; kept in .tools/)."""
    where = ROOT / ".tools" / "toolenv-oracle"
    bin_dir = where / "bin"
    if not all(_starts_here(bin_dir / t) for t in TOOLS):
        # Made from another checkout (its scripts' first line names that checkout's path), or
        # half made: made again here.
        shutil.rmtree(where, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
        # --no-compile: the suite sets PYTHONDONTWRITEBYTECODE, and pip then fails its own
        # check that the byte code it compiled exists.
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-compile", *TOOLS], check=True)
    return bin_dir


def _starts_here(script: Path) -> bool:
    """Whether the tool's script exists and starts this environment's python (named on its first
    line, or on its second where pip wrote a ``/bin/sh`` launcher for a long path)."""
    try:
        with script.open("rb") as f:
            head = f.readline() + f.readline()
    except OSError:
        return False
    python = os.fsencode(script.parent / "python")
    return any(python + end in head for end in (b"\n", b" ", b'"'))


def _run(argv: list[str], cwd: Path) -> str:
    env = {**os.environ, "PIPENV_YES": "1", "PIPENV_NOSPIN": "1", "NO_COLOR": "1"}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _safepip(root: Path) -> str:
    return project_env(str(root), None, dict(os.environ), SYSTEM_VERSION).path


def test_poetry_names_the_same_environment(tmp_path: Path, tools: Path) -> None:
    root = tmp_path / "code" / "Svc.Api"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.poetry]\nname = "Svc_Api"\nversion = "0.1.0"\ndescription = ""\n'
                                         'authors = []\n[tool.poetry.dependencies]\npython = ">=3.9"\n')
    expected = _safepip(root)
    _run([str(tools / "poetry"), "env", "use", SYSTEM_PYTHON], root)
    assert _run([str(tools / "poetry"), "env", "info", "-p"], root) == expected


def test_hatch_names_the_same_environment(tmp_path: Path, tools: Path) -> None:
    root = tmp_path / "code" / "h"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "H.App"\nversion = "1"\n[tool.hatch.envs.default]\n')
    assert _run([str(tools / "hatch"), "env", "find", "default"], root) == _safepip(root)


def test_pipenv_names_the_same_environment(tmp_path: Path, tools: Path) -> None:
    root = tmp_path / "code" / "My site"
    root.mkdir(parents=True)
    (root / "Pipfile").write_text("[packages]\n")
    expected = _safepip(root)
    _run([str(tools / "pipenv"), "--python", SYSTEM_PYTHON], root)
    assert _run([str(tools / "pipenv"), "--venv"], root) == expected


def test_pdm_names_the_same_environment(tmp_path: Path, tools: Path) -> None:
    root = tmp_path / "code" / "pd"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "pd"\nversion = "1"\nrequires-python = ">=3.9"\n[tool.pdm]\n')
    (root / "pdm.toml").write_text("[venv]\nin_project = false\n")
    expected = _safepip(root)
    _run([str(tools / "pdm"), "venv", "create", SYSTEM_PYTHON], root)
    assert expected.startswith(str(tmp_path))
    assert Path(expected, "pyvenv.cfg").is_file()
