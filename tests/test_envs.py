"""Environment creation, validation and repair (in-process)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON
from safepip import venvdir
from safepip.act import envs
from safepip.errors import EnvironmentCreateError


def quiet(_: str) -> None:
    pass


@pytest.mark.slow
def test_create_then_reuse(tmp_path: Path) -> None:
    env_dir = str(tmp_path / ".venv")
    first = envs.ensure(env_dir, SYSTEM_PYTHON, dict(os.environ), quiet)
    assert first.created
    assert envs.state(env_dir) == envs.COMPLETE
    assert venvdir.has_pip(env_dir)
    again = envs.ensure(env_dir, SYSTEM_PYTHON, dict(os.environ), quiet)
    assert not again.created


def test_unwritable_parent_is_refused_and_nothing_is_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if str(p) == str(tmp_path) else real_access(p, m))
    with pytest.raises(EnvironmentCreateError, match=f"{tmp_path} is not writable by you"):
        envs.ensure(str(tmp_path / ".venv"), SYSTEM_PYTHON, dict(os.environ), quiet)
    assert not (tmp_path / ".venv").exists()


@pytest.mark.slow
def test_interrupted_creation_is_rebuilt(tmp_path: Path) -> None:
    env_dir = tmp_path / ".venv"
    envs.ensure(str(env_dir), SYSTEM_PYTHON, dict(os.environ), quiet)
    (env_dir / envs.STATE_FILE).write_text(json.dumps({"state": "creating"}))
    ready = envs.ensure(str(env_dir), SYSTEM_PYTHON, dict(os.environ), quiet)
    assert ready.rebuilt == "its creation was interrupted"
    assert envs.state(str(env_dir)) == envs.COMPLETE


def test_a_broken_env_safepip_did_not_make_is_refused(tmp_path: Path) -> None:
    env_dir = tmp_path / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "pyvenv.cfg").write_text("home = /nonexistent\n")
    (env_dir / "bin" / "python").symlink_to("/nonexistent/python3.4")
    with pytest.raises(EnvironmentCreateError, match="safepip did not create it, so it will not delete it"):
        envs.ensure(str(env_dir), SYSTEM_PYTHON, dict(os.environ), quiet)
    assert (env_dir / "pyvenv.cfg").exists()


def test_failed_creation_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(env_dir: str, base: str, *args: object) -> None:
        Path(env_dir, "pyvenv.cfg").write_text("half")
        raise RuntimeError("virtualenv exploded")

    monkeypatch.setattr(envs, "_run_virtualenv", broken)
    with pytest.raises(EnvironmentCreateError, match="virtualenv exploded"):
        envs.ensure(str(tmp_path / ".venv"), SYSTEM_PYTHON, dict(os.environ), quiet)
    assert not (tmp_path / ".venv").exists()


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(tmp_path / "gone")
    with pytest.raises(EnvironmentCreateError, match="which does not exist"):
        envs.ensure(str(tmp_path / ".venv"), SYSTEM_PYTHON, dict(os.environ), quiet)
