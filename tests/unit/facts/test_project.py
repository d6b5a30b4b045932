"""Project root discovery and the project's environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.facts.gather import project_env
from safepip.facts.project import EnvSpot, find_root


def env_for(home: Path) -> dict[str, str]:
    return {"HOME": str(home)}


@pytest.mark.parametrize(
    "marker",
    ["pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "requirements-dev.txt", ".git"],
)
def test_markers_make_a_root(tmp_path: Path, marker: str) -> None:
    root = tmp_path / "home" / "code" / "proj"
    deep = root / "a" / "b"
    deep.mkdir(parents=True)
    (root / marker).mkdir() if marker == ".git" else (root / marker).write_text("")
    found = find_root(str(deep), env_for(tmp_path / "home"))
    assert found is not None
    assert found.root == str(root)
    assert marker in found.why


def test_nearest_root_wins(tmp_path: Path) -> None:
    outer = tmp_path / "home" / "outer"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    (outer / ".git").mkdir()
    (inner / "pyproject.toml").write_text("")
    found = find_root(str(inner), env_for(tmp_path / "home"))
    assert found is not None
    assert found.root == str(inner)


def test_a_directory_named_venv_without_pyvenv_cfg_does_not(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "x" / ".venv").mkdir(parents=True)
    assert find_root(str(home / "x"), env_for(home)) is None


def test_walk_stops_at_home(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")  # above home: never reached
    home = tmp_path / "home"
    (home / "downloads").mkdir(parents=True)
    assert find_root(str(home / "downloads"), env_for(home)) is None
    assert find_root(str(home), env_for(home)) is None


def test_home_is_a_project_if_it_holds_a_marker(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "downloads").mkdir(parents=True)
    (home / ".git").mkdir()
    found = find_root(str(home / "downloads"), env_for(home))
    assert found is not None
    assert found.root == str(home)


def test_walk_never_reaches_the_filesystem_root() -> None:
    assert find_root("/", {"HOME": "/nonexistent"}) is None


def test_walk_stops_at_a_filesystem_boundary(tmp_path: Path) -> None:
    # /proc is another filesystem than /: nothing above it is looked at.
    assert os.stat("/proc").st_dev != os.stat("/").st_dev
    assert find_root("/proc/self", {"HOME": "/nonexistent"}) is None


def test_walk_follows_symlinks_to_the_real_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    real = home / "real"
    (real / "sub").mkdir(parents=True)
    (real / "setup.py").write_text("")
    (home / "link").symlink_to(real)
    found = find_root(str(home / "link" / "sub"), env_for(home))
    assert found is not None
    assert found.root == str(real)


def test_project_env_prefers_configured_then_existing_then_dotvenv(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    assert project_env(str(root), None) == EnvSpot(str(root / ".venv"), False)
    (root / "env").mkdir()
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert project_env(str(root), None) == EnvSpot(str(root / "env"), True)
    (root / "venv").mkdir()
    (root / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert project_env(str(root), None) == EnvSpot(str(root / "venv"), True)
    assert project_env(str(root), "build/e") == EnvSpot(str(root / "build" / "e"), False)


def test_the_walk_above_a_project_lists_no_directory_without_a_marker(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # A busy /tmp above the project: its entries cannot change the root (a requirements file
    # above a pyproject.toml counts for nothing), so it is looked up by name, not listed.
    home = tmp_path / "home"
    busy = home / "tmp"
    proj = busy / "proj"
    proj.mkdir(parents=True)
    (proj / "pyproject.toml").write_text("")
    (busy / "requirements.txt").write_text("")
    for i in range(50):
        (busy / f"scratch{i}").write_text("")
    listed: list[str] = []
    real = os.listdir

    def spy(path: str) -> list[str]:
        listed.append(str(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", spy)
    found = find_root(str(proj), env_for(home))
    assert found is not None and found.root == str(proj) and found.seen == str(home)
    assert str(busy) not in listed and str(proj) in listed
    # One holding a marker is listed, as before: the repository root above is found.
    (busy / ".git").mkdir()
    found = find_root(str(proj), env_for(home))
    assert found is not None and found.root == str(proj) and found.seen == str(busy)
    assert str(busy) in listed
