"""Hostile or shared directories: never run code from a place someone else controls.

Run as root with a real second user (the ``other_user`` fixture). Every planted
interpreter is a shell script that leaves a trace file if it is ever executed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from helpers import SYSTEM_VERSION, SYSTEM_XY, installed, needs_managed, offline
from inprocess import Cli

pytestmark = [needs_managed]


def _plant_venv(where: Path, trace: Path, owner: tuple[str, int, int] | None = None) -> Path:
    """A virtual environment whose python only leaves a trace (and then runs Debian's python)."""
    venv = where / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "lib" / f"python{SYSTEM_XY}" / "site-packages" / "pip").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = /usr/bin\ninclude-system-site-packages = false\nversion = {SYSTEM_VERSION[0]}.{SYSTEM_VERSION[1]}.{SYSTEM_VERSION[2]}\n")
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "ran $*" >> "{trace}"\nexec /usr/bin/python3 "$@"\n')
    python.chmod(0o755)
    if owner is not None:
        for path in [venv, *venv.rglob("*")]:
            os.chown(path, owner[1], owner[2])
    return venv


def _assert_refused(done, *parts: str) -> None:  # type: ignore[no-untyped-def]
    assert done.returncode == 77, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("safepip: error: ")
    for part in parts:
        assert part in lines[0]
    assert "Traceback" not in done.stderr


COMMANDS = [["install", "lib-a"], ["list"], ["freeze"], ["uninstall", "-y", "lib-a"], ["show", "lib-a"]]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_planted_venv_in_another_users_parent_is_never_run(
    tmp_path: Path, other_user: tuple[str, int, int], argv: list[str], live: Cli
) -> None:
    trace = tmp_path / "TRACE"
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "pyproject.toml").write_text('[project]\nname = "bait"\nversion = "0"\n[tool.safepip]\npython = ".venv/bin/python"\n')
    _plant_venv(shared, trace)
    for path in [shared, *shared.rglob("*")]:
        os.chown(path, other_user[1], other_user[2])
    work = shared / "work"
    work.mkdir()  # root's own directory inside the other user's one
    for outside in ("refuse", "cwd"):
        done = live(*argv, cwd=work, env={"SAFEPIP_OUTSIDE": outside})
        assert not trace.exists(), done.stderr
        assert str(shared / ".venv") not in done.stderr
    assert not (shared / ".venv" / ".safepip.json").exists()


def test_another_users_venv_inside_your_project_is_refused(
    project: Path, tmp_path: Path, other_user: tuple[str, int, int], live: Cli
) -> None:
    trace = tmp_path / "TRACE"
    venv = _plant_venv(project, trace, owner=other_user)
    for argv in COMMANDS:
        done = live(*argv, cwd=project / "src")
        _assert_refused(done, str(venv), f"owned by {other_user[0]} (uid {other_user[1]})", "trusted")
    assert not trace.exists()


def test_a_venv_symlink_to_another_users_directory_is_refused(
    project: Path, tmp_path: Path, other_user: tuple[str, int, int], live: Cli
) -> None:
    trace = tmp_path / "TRACE"
    elsewhere = tmp_path / "theirs"
    elsewhere.mkdir()
    real = _plant_venv(elsewhere, trace, owner=other_user)
    (project / ".venv").symlink_to(real)
    done = live("install", "lib-a", cwd=project)
    _assert_refused(done, f"{project / '.venv'} (which is {real})", f"owned by {other_user[0]}")
    assert not trace.exists()


def test_world_writable_project_is_refused(project: Path, tmp_path: Path, live: Cli) -> None:
    project.chmod(0o777)
    done = live("install", "lib-a", cwd=project / "src")
    _assert_refused(done, str(project), "writable by every user (mode 0777)", "trusted")
    assert not (project / ".venv").exists()
    project.chmod(0o1777)  # sticky does not help: others can still create .venv in it
    done = live("list", cwd=project)
    _assert_refused(done, str(project), "writable by every user (mode 1777)")


def test_world_writable_venv_is_refused(project: Path, tmp_path: Path, live: Cli) -> None:
    trace = tmp_path / "TRACE"
    venv = _plant_venv(project, trace)
    venv.chmod(0o777)
    done = live("freeze", cwd=project)
    _assert_refused(done, str(venv), "writable by every user")
    assert not trace.exists()


def test_group_writable_project_is_refused_unless_the_group_is_private(
    project: Path, wheelhouse: Path, other_user: tuple[str, int, int], live: Cli
) -> None:
    project.chmod(0o775)
    os.chown(project, 0, 100)  # the shared "users" group
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project)
    _assert_refused(done, str(project), "writable by the group users")
    os.chown(project, 0, 0)  # root's own private group: fine
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project)
    assert done.returncode == 0, done.stderr


def test_parent_writable_by_others_without_sticky_bit_is_refused(tmp_path: Path, wheelhouse: Path, live: Cli) -> None:
    shared = tmp_path / "shared"
    root = shared / "proj"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    shared.chmod(0o777)
    done = live("install", *offline(wheelhouse), "lib-a", cwd=root)
    _assert_refused(done, f"{shared}, above {root}", "without the sticky bit")
    assert not (root / ".venv").exists()
    shared.chmod(0o1777)  # like /tmp: others cannot rename what is yours
    done = live("install", *offline(wheelhouse), "lib-a", cwd=root)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_the_user_trust_list_allows_it(project: Path, wheelhouse: Path, hermetic: dict[str, str], live: Cli) -> None:
    project.chmod(0o777)
    config = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'trusted = ["{project}"]\n')
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project / "src")
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(project / ".venv")
    config.write_text('trusted = ["*"]\n')
    assert live("list", cwd=project).returncode == 0


def test_a_project_cannot_trust_itself(project: Path, live: Cli) -> None:
    project.chmod(0o777)
    (project / "pyproject.toml").write_text(f'[tool.safepip]\ntrusted = ["{project}"]\n')
    done = live("install", "lib-a", cwd=project)
    _assert_refused(done, "writable by every user")  # refused before its configuration is read


def test_walk_never_climbs_into_another_users_directory(
    tmp_path: Path, other_user: tuple[str, int, int], live: Cli
) -> None:
    theirs = tmp_path / "theirs"
    mine = theirs / "mine"
    mine.mkdir(parents=True)
    (theirs / "pyproject.toml").write_text('[project]\nname = "theirs"\nversion = "0"\n')
    os.chown(theirs, other_user[1], other_user[2])
    done = live("install", "lib-a", cwd=mine, env={"SAFEPIP_OUTSIDE": "refuse"})
    assert done.returncode == 69, done.stderr
    assert f"{mine} is not inside a project" in done.stderr
    assert not (theirs / ".venv").exists()


def test_sudo_invoking_users_directories_are_not_refused_by_ownership(
    tmp_path: Path, other_user: tuple[str, int, int]
) -> None:
    from safepip.facts.trust import problem

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, other_user[1], other_user[2])
    assert "owned by" in (problem(str(theirs), {}) or "")
    assert problem(str(theirs), {"SUDO_UID": str(other_user[1])}) is None
    theirs.chmod(theirs.stat().st_mode | stat.S_IWOTH)
    assert "writable by every user" in (problem(str(theirs), {"SUDO_UID": str(other_user[1])}) or "")
