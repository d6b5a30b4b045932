"""Environment creation, validation and repair (in-process)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON
from safepip import venvdir
from safepip.act import envmake, envs
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

    monkeypatch.setattr(envmake, "_run_virtualenv", broken)
    with pytest.raises(EnvironmentCreateError, match="virtualenv exploded"):
        envs.ensure(str(tmp_path / ".venv"), SYSTEM_PYTHON, dict(os.environ), quiet)
    assert not (tmp_path / ".venv").exists()


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(tmp_path / "gone")
    with pytest.raises(EnvironmentCreateError, match="which does not exist"):
        envs.ensure(str(tmp_path / ".venv"), SYSTEM_PYTHON, dict(os.environ), quiet)


def test_the_hint_for_a_broken_env_is_quoted_for_the_shell(tmp_path: Path) -> None:
    import shlex

    env_dir = tmp_path / "it's; rm -rf ~ $(x)" / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "pyvenv.cfg").write_text("home = /nonexistent\n")
    (env_dir / "bin" / "python").symlink_to("/nonexistent/python3.4")
    with pytest.raises(EnvironmentCreateError) as raised:
        envs.ensure(str(env_dir), SYSTEM_PYTHON, dict(os.environ), quiet)
    command = str(raised.value).split("recreate it with: ", 1)[1]
    assert shlex.split(command)[:4] == ["rm", "-rf", str(env_dir), "&&"]


def test_an_interpreter_now_another_minor_version_is_a_problem(tmp_path: Path) -> None:
    env_dir = tmp_path / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (tmp_path / "python3.12").write_text("")
    (env_dir / "bin" / "python").symlink_to(tmp_path / "python3.12")
    (env_dir / "pyvenv.cfg").write_text("home = /x\nversion_info = 3.11.7.final.0\n")
    assert envs.problem(str(env_dir)) == "it was made with Python 3.11 and its interpreter is now Python 3.12"
    (env_dir / "pyvenv.cfg").write_text("home = /x\nversion = 3.12.1\n")
    assert envs.problem(str(env_dir)) is None


def test_a_trash_tree_killed_midway_is_swept_and_nothing_else(tmp_path: Path) -> None:
    from safepip.act import oldtrees as rebuild

    env_dir = tmp_path / ".venv"
    trash = tmp_path / ".venv.safepip-old-20260101-000000-1"
    (trash / "lib").mkdir(parents=True)
    (trash / rebuild.JOURNAL).write_text(json.dumps({"kind": "trash"}))
    mine = tmp_path / ".venv.safepip-old-mine"  # the same name pattern, not made by safepip
    mine.mkdir()
    (mine / "notes").write_text("x")
    kept = tmp_path / ".venv.safepip-old-20260101-000000-2"
    kept.mkdir()
    (kept / rebuild.JOURNAL).write_text(json.dumps({"kind": "kept"}))
    rebuild.sweep(str(env_dir))
    assert not trash.exists() and (mine / "notes").exists() and kept.exists()


def test_a_link_whose_target_a_killed_rebuild_moved_aside_is_not_refused(tmp_path: Path) -> None:
    from safepip.act import oldtrees as rebuild

    target = tmp_path / "store" / "env"
    old = tmp_path / "store" / "env.safepip-old-20260101-000000-1"
    old.mkdir(parents=True)
    (old / rebuild.JOURNAL).write_text(json.dumps({"kind": "pending", "why": "its interpreter x no longer exists"}))
    link = tmp_path / ".venv"
    link.symlink_to(target)
    envs._check_path(str(link))  # no "dangling link" refusal: the rebuild goes on from there
    assert envs.broken(str(link)) == "its rebuild was interrupted"
