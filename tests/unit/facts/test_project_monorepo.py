"""uv workspaces (:func:`safepip.facts.project.uv_workspace`): a member uses the workspace
root's environment, as uv does, wherever the root is; an excluded or unlisted sub-project
follows the other rules of root discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.facts.project import find_root

WORKSPACE = '[project]\nname = "root"\n[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/seed"]\n'


def _workspace(tmp_path: Path, *, git: bool = False) -> tuple[Path, dict[str, str]]:
    """A uv workspace below a directory that is no project (no .git: the walk goes up to home)."""
    home = tmp_path / "home"
    root = home / "code" / "shop"
    for name in ("packages/api", "packages/seed", "tools/gen"):
        (root / name / "src").mkdir(parents=True)
        (root / name / "pyproject.toml").write_text(f'[project]\nname = "{name.rsplit("/", 1)[1]}"\n')
    (root / "pyproject.toml").write_text(WORKSPACE)
    if git:
        (home / "code" / ".git").mkdir()
    return root, {"HOME": str(home)}


def _venv(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "pyvenv.cfg").write_text("home = /usr/bin\n")


@pytest.mark.parametrize("git", [False, True])  # above the workspace: nothing, or a repository root that is no project
@pytest.mark.parametrize("cwd", ["packages/api", "packages/api/src"])
def test_a_member_uses_the_workspace_roots_environment(tmp_path: Path, cwd: str, git: bool) -> None:
    root, env = _workspace(tmp_path, git=git)
    found = find_root(str(root / cwd), env)  # before the environment exists: it is made at the root
    assert found is not None and found.root == str(root)
    assert "uv workspace" in found.why and str(root / "pyproject.toml") in found.tool_reads
    _venv(root / ".venv")
    found = find_root(str(root / cwd), env)
    assert found is not None and found.root == str(root)


def test_a_members_own_environment_is_not_used_as_uv_does_not(tmp_path: Path) -> None:
    root, env = _workspace(tmp_path)
    _venv(root / "packages" / "api" / ".venv")
    found = find_root(str(root / "packages" / "api"), env)
    assert found is not None and found.root == str(root)


@pytest.mark.parametrize("sub", ["packages/seed", "tools/gen"])  # excluded; not listed
def test_an_excluded_or_unlisted_sub_project_is_its_own(tmp_path: Path, sub: str) -> None:
    root, env = _workspace(tmp_path)
    found = find_root(str(root / sub), env)
    assert found is not None and found.root == str(root / sub)


def test_an_excluded_sub_project_follows_the_monorepo_rule(tmp_path: Path) -> None:
    root, env = _workspace(tmp_path)
    (root / ".git").mkdir()  # the workspace root is the repository's root project
    found = find_root(str(root / "packages" / "seed"), env)
    assert found is not None and found.root == str(root)
    assert "uv workspace" not in found.why
    (root / "packages" / "seed" / "uv.lock").write_text("")  # uv manages it on its own
    found = find_root(str(root / "packages" / "seed"), env)
    assert found is not None and found.root == str(root / "packages" / "seed")


def test_a_member_pinned_to_its_own_environment_keeps_it(tmp_path: Path) -> None:
    root, env = _workspace(tmp_path)
    found = find_root(str(root / "packages" / "api"), env, ("own", True))  # the command line or a variable
    assert found is not None and found.root == str(root / "packages" / "api")
    (root / "packages" / "api" / "pyproject.toml").write_text('[project]\nname = "api"\n[tool.safepip]\nsubproject = "own"\n')
    found = find_root(str(root / "packages" / "api"), env)
    assert found is not None and found.root == str(root / "packages" / "api")


def test_the_nearest_workspace_decides(tmp_path: Path) -> None:
    root, env = _workspace(tmp_path)
    inner = root / "packages" / "api"
    (inner / "pyproject.toml").write_text('[project]\nname = "api"\n[tool.uv.workspace]\nmembers = ["plugins/*"]\n')
    (inner / "plugins" / "p").mkdir(parents=True)
    (inner / "plugins" / "p" / "pyproject.toml").write_text('[project]\nname = "p"\n')
    (inner / "other").mkdir()
    (inner / "other" / "pyproject.toml").write_text('[project]\nname = "other"\n')
    found = find_root(str(inner / "plugins" / "p"), env)
    assert found is not None and found.root == str(root)  # p is api's member, api is the shop's
    found = find_root(str(inner / "other"), env)
    assert found is not None and found.root == str(inner / "other")  # api's workspace does not list it


def test_an_unreadable_workspace_table_is_no_workspace(tmp_path: Path) -> None:
    root, env = _workspace(tmp_path)
    (root / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = "packages/*"\n')  # not a list
    found = find_root(str(root / "packages" / "api"), env)
    assert found is not None and found.root == str(root / "packages" / "api")
