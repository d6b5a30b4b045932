"""The state file safepip writes into the environments it makes, and why an environment
cannot be used as it is (safepip.venv.state)."""

from __future__ import annotations

import os
from pathlib import Path

from safepip.venv import state as envstate


def test_an_interpreter_now_another_minor_version_is_a_problem(tmp_path: Path) -> None:
    env_dir = tmp_path / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (tmp_path / "python3.12").write_text("")
    (env_dir / "bin" / "python").symlink_to(tmp_path / "python3.12")
    (env_dir / "pyvenv.cfg").write_text("home = /x\nversion_info = 3.11.7.final.0\n")
    assert envstate.problem(str(env_dir)) == "it was made with Python 3.11 and its interpreter is now Python 3.12"
    (env_dir / "pyvenv.cfg").write_text("home = /x\nversion = 3.12.1\n")
    assert envstate.problem(str(env_dir)) is None


def test_a_dangling_interpreter_is_named_by_the_path_that_is_gone(tmp_path: Path) -> None:
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /x\nversion = 3.11.2\n")
    gone = tmp_path / "python-1" / "bin" / "python3"
    (env / "bin" / "python3").symlink_to(gone)
    (env / "bin" / "python").symlink_to("python3")  # as python -m venv makes it: relative
    assert envstate.problem(str(env)) == f"its interpreter {gone} no longer exists"


def test_the_state_safepip_wrote_is_read_back_and_a_forged_one_is_not(tmp_path: Path) -> None:
    env_dir = str(tmp_path / ".venv")
    os.makedirs(env_dir)
    assert envstate.state(env_dir) is None
    envstate.write_state(env_dir, envstate.RESTORING, "/usr/bin/python3", old=env_dir + ".old")
    assert envstate.state(env_dir) == envstate.RESTORING
    assert envstate.restoring_from(env_dir) == env_dir + ".old"
    assert envstate.problem(env_dir) == "its rebuild was interrupted"
    envstate.write_state(env_dir, envstate.CREATING, "/usr/bin/python3")
    assert envstate.problem(env_dir) == "its creation was interrupted"
    assert envstate.own_files_only(env_dir)
    # What a repository commits is not safepip's, whatever it says.
    Path(env_dir, envstate.STATE_FILE).write_text('{"state": "complete", "python": "/usr/bin/python3"}')
    assert envstate.state(env_dir) is None
    Path(env_dir, "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert not envstate.own_files_only(env_dir)
