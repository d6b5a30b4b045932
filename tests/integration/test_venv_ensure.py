"""Environment creation, validation and repair (in-process)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, system_base
from safepip.errors import EnvironmentCreateError
from safepip.venv import create as envmake
from safepip.venv import ensure as envs
from safepip.venv import layout as venvdir
from safepip.venv import state as envstate


def quiet(_: str) -> None:
    pass


@pytest.mark.slow
def test_create_then_reuse(tmp_path: Path) -> None:
    env_dir = str(tmp_path / ".venv")
    first = envs.ensure(env_dir, system_base(), dict(os.environ), quiet)
    assert first.created
    assert envstate.state(env_dir) == envstate.COMPLETE
    assert venvdir.has_pip(env_dir)
    again = envs.ensure(env_dir, system_base(), dict(os.environ), quiet)
    assert not again.created


@pytest.mark.slow
def test_interrupted_creation_is_rebuilt(tmp_path: Path) -> None:
    env_dir = tmp_path / ".venv"
    envs.ensure(str(env_dir), system_base(), dict(os.environ), quiet)
    envstate.write_state(str(env_dir), envstate.CREATING, SYSTEM_PYTHON)
    ready = envs.ensure(str(env_dir), system_base(), dict(os.environ), quiet)
    assert ready.rebuilt == "its creation was interrupted"
    assert envstate.state(str(env_dir)) == envstate.COMPLETE


def test_failed_creation_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(env_dir: str, base: str, *args: object) -> None:
        Path(env_dir, "pyvenv.cfg").write_text("half")
        raise RuntimeError("virtualenv exploded")

    monkeypatch.setattr(envmake, "_run_virtualenv", broken)
    with pytest.raises(EnvironmentCreateError, match="virtualenv exploded"):
        envs.ensure(str(tmp_path / ".venv"), system_base(), dict(os.environ), quiet)
    assert not (tmp_path / ".venv").exists()
