"""Remembered answers for local projects and dependency groups: ``install -e ".[dev]"`` and
``install --group NAME`` are replayed by the front door like a plain no-op, and never after
a change to the project's ``pyproject.toml``, to a cache-keys file, or to the environment."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from helpers import needs_managed, offline, run_safepip, safepip_env, venv_python
from localproj import make_project
from safepip.remembered import store as memo


def _remembered(project: Path, wheelhouse: Path, args: list[str], monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """Install, answer once from the full path (remembered), check that the front door
    replays it; return the environment the calls ran with."""
    env = safepip_env()
    done = run_safepip(*args, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    time.sleep(memo.RACY + 0.2)  # out of the racy window (aging the files would change their ctime)
    first = run_safepip(*args, cwd=project, env=env)
    assert first.returncode == 0, first.stderr
    assert "Requirement already satisfied" in first.stdout and "Successfully" not in first.stdout
    monkeypatch.chdir(project)
    assert memo.replay(args, env) == 0, "the no-op answer was not remembered"
    assert capsys.readouterr().out == first.stdout
    return env


def _make(project: Path) -> None:
    make_project(project, "myproj", dependencies=["lib-a"], optional={"dev": ["lib-b"]},
                 groups={"test": ["lib-b"]}, tool='[tool.safepip]\ncache-keys = ["VERSION"]\n')
    (project / "VERSION").write_text("1\n")


@needs_managed
@pytest.mark.slow
@pytest.mark.parametrize(("form", "change"), [
    ("editable-extras", "pyproject"), ("editable-extras", "cache-key"), ("editable-extras", "environment"),
    ("group", "pyproject"), ("group", "environment"),
])
def test_a_remembered_local_answer_is_replayed_until_something_changes(
    project: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    change: str, form: str,
) -> None:
    _make(project)
    if form == "group":
        assert run_safepip("install", *offline(wheelhouse), "-e", ".", cwd=project).returncode == 0
    wanted = ["-e", ".[dev]"] if form == "editable-extras" else ["--group", "test"]
    args = ["install", *offline(wheelhouse), *wanted]
    env = _remembered(project, wheelhouse, args, monkeypatch, capsys)
    if change == "pyproject":
        text = (project / "pyproject.toml").read_text()
        (project / "pyproject.toml").write_text(text.replace('"lib-b"', '"lib-b", "app-c"'))
    elif change == "cache-key":
        (project / "VERSION").write_text("2\n")  # what setuptools-scm or a version file would read
    else:
        pip = subprocess.run([venv_python(project / ".venv"), "-m", "pip", "uninstall", "-y", "-q", "lib-b"],
                             capture_output=True, text=True, check=False)
        assert pip.returncode == 0, pip.stderr
    assert memo.replay(args, env) is None, f"replayed after a change to the {change}"
    capsys.readouterr()
    again = run_safepip(*args, cwd=project, env=env)
    assert again.returncode == 0, again.stderr
    assert "Successfully installed" in again.stdout  # pip ran, and had something to do
