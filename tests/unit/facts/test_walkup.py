"""The walk's climb, shared by the project walk and the front door: where a decision made in a
project may answer (its anchor), and what stops the climb.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.facts import walkup
from safepip.facts.project import find_root


@pytest.fixture
def tree(root: Path) -> Path:
    """The project ``root`` (tests/configured.py) with the directories a/b below it."""
    (root / "a" / "b").mkdir(parents=True)
    return root


def _env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}


def test_blank_directories_climb_to_the_anchor(tree: Path, tmp_path: Path) -> None:
    found = walkup.anchor(str(tree / "a" / "b"), _env(tmp_path))
    assert found == (str(tree), (str(tree / "a" / "b"), str(tree / "a")))
    assert walkup.anchor(str(tree), _env(tmp_path)) == (str(tree), ())
    project = find_root(str(tree / "a" / "b"), _env(tmp_path))
    assert project is not None and project.root == str(tree)  # the full walk lands there too


@pytest.mark.parametrize("name", ["setup.py", "requirements.txt", "requirements-dev.txt", ".python-version", "hatch.toml",
                                  ".venv", "env", ".git", "Pipfile"])
def test_anything_the_walk_looks_for_is_an_anchor(tree: Path, tmp_path: Path, name: str) -> None:
    (tree / "a" / name).write_text("")
    assert walkup.anchor(str(tree / "a" / "b"), _env(tmp_path)) == (str(tree / "a"), (str(tree / "a" / "b"),))


def test_the_climb_stops_where_the_walk_stops(tree: Path, tmp_path: Path) -> None:
    assert walkup.anchor(str(tree / "a" / "b"), {"HOME": str(tree / "a"), "PATH": "/bin"}) is None  # home
    assert walkup.anchor(str(tree / "a"), {"HOME": str(tmp_path), "PATH": "/bin:relative"}) is None
    assert walkup.anchor(str(tree / "a"), {"HOME": str(tmp_path), "PATH": ""}) is None
    assert walkup.anchor(str(tree / "gone"), _env(tmp_path)) is None


def test_the_climb_does_not_cross_another_owner(tree: Path, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a directory away needs root")
    os.chown(tree / "a", 65534, 65534)
    assert walkup.anchor(str(tree / "a" / "b"), _env(tmp_path)) is None
    assert walkup.climb(str(tree / "a" / "b"), False, os.stat(tree).st_dev, {0}, str(tmp_path)) is None


def test_fixed_names_answer_only_for_a_readable_directory_holding_none(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "requirements.txt").write_text("")  # not a fixed name: not looked for
    assert walkup.fixed_names(str(tmp_path)) == set()
    (tmp_path / "setup.cfg").write_text("")
    assert walkup.fixed_names(str(tmp_path)) is None  # names() tells which, as listed
    (tmp_path / "setup.cfg").unlink()
    real = os.open

    def unreadable(path: str, flags: int, *args: int) -> int:
        if str(path) == str(tmp_path):
            raise PermissionError(13, "Permission denied")
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", unreadable)
    assert walkup.fixed_names(str(tmp_path)) is None  # names() raises: the walk stops there


def test_the_owner_of_a_path_not_yet_made_is_its_nearest_existing_parents(tmp_path: Path) -> None:
    from safepip.facts.walkup import existing_owner

    assert existing_owner(str(tmp_path / "not" / "yet")) == tmp_path.stat().st_uid
