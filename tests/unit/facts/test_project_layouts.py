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

# (layout, working directory, root with an environment at the repository root, root without one)
CASES = [
    ("pluggy", ".", ".", "."),
    ("pluggy", "docs", ".", "."),  # a requirements file below a pyproject.toml is no project of its own
    ("pluggy", "src/pluggy", ".", "."),
    ("pluggy", "docs/examples/eggsample", ".", "docs/examples/eggsample"),
    ("tomlkit", "docs", ".", "."),
    ("tomlkit", "tests/examples", ".", "tests/examples"),
    ("tomlkit", "tomlkit", ".", "."),
    ("monorepo", "pydantic_ai_slim", ".", "pydantic_ai_slim"),  # a workspace member uses the root's environment
    ("monorepo", "pydantic_ai_slim/pydantic_ai", ".", "pydantic_ai_slim"),
    ("monorepo", "examples", ".", "examples"),
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
    assert found is not None and found.root == str(repo / "pydantic_ai_slim")


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
    assert found is not None and found.root == str(repo / "pydantic_ai_slim")
