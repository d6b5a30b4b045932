"""Project discovery on the layouts of real repositories (recorded file lists: which
directories hold pyproject.toml, setup.py, requirements files), with and without an
existing environment at the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.facts.project import find_root

#: The marker files of three public repositories, as their trees hold them.
LAYOUTS = {
    # pytest-dev/pluggy
    "pluggy": ["pyproject.toml", "docs/requirements.txt", "docs/examples/eggsample/setup.py",
               "docs/examples/eggsample-spam/setup.py", "src/pluggy/__init__.py", "testing/test_hooks.py"],
    # python-poetry/tomlkit
    "tomlkit": ["pyproject.toml", "docs/requirements.txt", "tests/examples/pyproject.toml", "tomlkit/api.py"],
    # pydantic/pydantic-ai: a uv workspace
    "monorepo": ["pyproject.toml", "clai/pyproject.toml", "examples/pyproject.toml", "pydantic_ai_slim/pyproject.toml",
                 "pydantic_ai_slim/pydantic_ai/agent.py", "pydantic_evals/pyproject.toml", "pydantic_graph/pyproject.toml"],
}

# (layout, working directory, root with an environment at the repository root, root without one).
# A sub-project of a repository whose root is itself a project shares the root's environment
# whether or not it exists yet (the monorepo rule): one environment, whatever the order.
CASES = [
    ("pluggy", ".", ".", "."),
    ("pluggy", "docs", ".", "."),  # a requirements file below a pyproject.toml is no project of its own
    ("pluggy", "src/pluggy", ".", "."),
    ("pluggy", "docs/examples/eggsample", ".", "."),
    ("tomlkit", "docs", ".", "."),
    ("tomlkit", "tests/examples", ".", "."),
    ("tomlkit", "tomlkit", ".", "."),
    ("monorepo", "pydantic_ai_slim", ".", "."),  # a workspace member uses the root's environment
    ("monorepo", "pydantic_ai_slim/pydantic_ai", ".", "."),
    ("monorepo", "examples", ".", "."),
    ("monorepo", ".", ".", "."),
]

def _build(base: Path, layout: str, *, git: bool, env: bool) -> Path:
    repo = base / "home" / "code" / layout
    for name in LAYOUTS[layout]:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("")
    if git:
        (repo / ".git").mkdir()
    if env:
        (repo / ".venv").mkdir()
        (repo / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return repo


@pytest.mark.parametrize(("layout", "cwd", "with_env", "without_env"), CASES)
def test_real_layouts(tmp_path: Path, layout: str, cwd: str, with_env: str, without_env: str) -> None:
    for env, expected in ((True, with_env), (False, without_env)):
        base = tmp_path / ("with" if env else "without")
        repo = _build(base, layout, git=True, env=env)
        found = find_root(str(repo / cwd), {"HOME": str(base / "home")})
        assert found is not None
        assert found.root == str((repo / expected).resolve()), (env, found)


def test_an_environment_above_the_repository_root_is_not_used(tmp_path: Path) -> None:
    repo = _build(tmp_path, "monorepo", git=True, env=False)
    (repo.parent / ".venv").mkdir()
    (repo.parent / ".venv" / "pyvenv.cfg").write_text("")
    found = find_root(str(repo / "pydantic_ai_slim"), {"HOME": str(tmp_path / "home")})
    assert found is not None and found.root == str(repo)  # the repository's root project, not above it


def test_without_git_an_environment_counts_up_to_the_nearest_marker(tmp_path: Path) -> None:
    repo = _build(tmp_path, "pluggy", git=False, env=True)
    found = find_root(str(repo / "docs" / "examples" / "eggsample"), {"HOME": str(tmp_path / "home")})
    assert found is not None and found.root == str(repo / "docs" / "examples" / "eggsample")
    docs = find_root(str(repo / "docs"), {"HOME": str(tmp_path / "home")})
    assert docs is not None and docs.root == str(repo)  # the stronger marker above wins


def test_a_requirements_file_alone_is_a_project(tmp_path: Path) -> None:
    scripts = tmp_path / "home" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "requirements.txt").write_text("")
    found = find_root(str(scripts), {"HOME": str(tmp_path / "home")})
    assert found is not None and found.root == str(scripts)


def test_a_dotfiles_repository_at_home_is_no_repository_root(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".git").mkdir(parents=True)
    (home / ".venv").mkdir()
    (home / ".venv" / "pyvenv.cfg").write_text("")
    proj = home / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("")
    found = find_root(str(proj), {"HOME": str(home)})
    assert found is not None and found.root == str(proj)


def test_an_environment_named_by_tool_safepip_venv_counts(tmp_path: Path) -> None:
    repo = _build(tmp_path, "monorepo", git=True, env=False)
    (repo / "pyproject.toml").write_text('[tool.safepip]\nvenv = "envs/dev"\n')
    (repo / "envs" / "dev").mkdir(parents=True)
    (repo / "envs" / "dev" / "pyvenv.cfg").write_text("")
    found = find_root(str(repo / "pydantic_ai_slim"), {"HOME": str(tmp_path / "home")})
    assert found is not None and found.root == str(repo)
    assert "[tool.safepip] venv" in found.why
    (repo / "pyproject.toml").write_text("[tool.safepip\n")  # broken: not this walk's error to report
    found = find_root(str(repo / "pydantic_ai_slim"), {"HOME": str(tmp_path / "home")})
    assert found is not None and found.root == str(repo)
    assert found.why.startswith("holds pyproject.toml: the repository's root project")


def _monorepo(tmp_path: Path) -> Path:
    """The issue's monorepo: a root pyproject.toml and backend/pyproject.toml under one .git."""
    repo = tmp_path / "home" / "code" / "app"
    (repo / "backend").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (repo / "backend" / "pyproject.toml").write_text('[project]\nname = "backend"\n')
    return repo


def _venv(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "pyvenv.cfg").write_text("home = /usr/bin\n")


def test_a_sub_project_shares_the_root_projects_environment_in_either_order(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path)
    home = {"HOME": str(tmp_path / "home")}
    backend = find_root(str(repo / "backend"), home)  # first, before any environment exists
    assert backend is not None and backend.root == str(repo)
    assert "backend shares" in backend.why
    _venv(repo / ".venv")  # made there by that first install
    for where in (repo, repo / "backend"):
        found = find_root(str(where), home)
        assert found is not None and found.root == str(repo)


def test_a_sub_project_keeps_an_environment_of_its_own(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path)
    _venv(repo / "backend" / ".venv")
    found = find_root(str(repo / "backend"), {"HOME": str(tmp_path / "home")})
    assert found is not None and found.root == str(repo / "backend")


@pytest.mark.parametrize("own", ["uv.lock", "poetry.lock", "pdm.lock", "Pipfile", "hatch.toml"])
def test_a_sub_project_its_tool_manages_on_its_own_is_its_own_root(tmp_path: Path, own: str) -> None:
    repo = _monorepo(tmp_path)
    (repo / "backend" / own).write_text("")
    found = find_root(str(repo / "backend"), {"HOME": str(tmp_path / "home")})
    assert found is not None and found.root == str(repo / "backend")


def test_a_repository_root_that_is_no_project_shares_nothing(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path)
    (repo / "pyproject.toml").unlink()
    found = find_root(str(repo / "backend"), {"HOME": str(tmp_path / "home")})
    assert found is not None and found.root == str(repo / "backend")


@pytest.mark.parametrize(
    ("sub", "top", "given", "expected"),
    [
        ("own", None, ("auto", False), "backend"),
        (None, "own", ("auto", False), "backend"),  # the root's own file says so for all of its sub-projects
        (None, None, ("own", False), "backend"),  # the user's file
        ("root", None, ("own", False), "."),  # the sub-project's file before the user's
        ("own", None, ("root", True), "."),  # the command line or a variable before every file
    ],
)
def test_subproject_pins_either_way(tmp_path: Path, sub: str | None, top: str | None,
                                    given: tuple[str, bool], expected: str) -> None:
    repo = _monorepo(tmp_path)
    if sub:
        (repo / "backend" / "pyproject.toml").write_text(f'[project]\nname = "backend"\n[tool.safepip]\nsubproject = "{sub}"\n')
    if top:
        (repo / "pyproject.toml").write_text(f'[project]\nname = "app"\n[tool.safepip]\nsubproject = "{top}"\n')
    found = find_root(str(repo / "backend"), {"HOME": str(tmp_path / "home")}, given)
    assert found is not None and found.root == str((repo / expected).resolve())
