"""The environments the project's own tools (uv, Poetry, PDM, Hatch, pipenv) use for it.

The names are the tools' own: the constants below were computed by each tool's own code
(Poetry's ``EnvManager.generate_env_name``, pipenv's, Hatch's ``Path.id``, PDM's
``get_venv_prefix``) for the same inputs; ``test_toolenv_oracle.py`` (network) checks
the whole places against the real tools.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.facts.gather import project_env
from safepip.facts.project import EnvSpot, find_root
from safepip.facts.toolenv import find, hatch_id, pdm_prefix, pipenv_env_name, poetry_env_name

#: The real tools' names for the project directory /home/u/code/My App (name "My-App").
ORACLE_ROOT = "/home/u/code/My App"


def test_the_names_are_the_tools_own() -> None:
    assert poetry_env_name("My-App", ORACLE_ROOT) == ORACLE["poetry"]
    assert pipenv_env_name(ORACLE_ROOT) == ORACLE["pipenv"]
    assert hatch_id(ORACLE_ROOT) == ORACLE["hatch"]
    assert pdm_prefix(ORACLE_ROOT) == ORACLE["pdm"]


ORACLE = {
    "poetry": "my-app-aD19oxkD",
    "pipenv": "My_App-X1E_I2He",
    "hatch": "aD19oxkD",
    "pdm": "My App-2o0BFAOy-",
}


def _venv(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir(exist_ok=True)
    return tmp_path / "home"


def _environ(home: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(home), **extra}


def _project(home: Path, pyproject: str, *files: str) -> Path:
    root = home / "code" / "app"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject)
    for name in files:
        (root / name).write_text("")
    return root


POETRY = '[tool.poetry]\nname = "App"\nversion = "1"\n'


def test_poetry_cache_dir_environment_is_used_when_it_exists(home: Path) -> None:
    root = _project(home, POETRY, "poetry.lock")
    env = _venv(home / ".cache" / "pypoetry" / "virtualenvs" / f"{poetry_env_name('App', str(root))}-py3.11")
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    assert (spot.path, spot.exists, spot.tool) == (str(env), True, "Poetry")
    # found without knowing the target's version (the project walk), and it makes the root
    (root / "src").mkdir()
    found = find_root(str(root / "src"), _environ(home))
    assert found is not None and found.root == str(root) and "Poetry" in found.why


def test_poetry_new_environment_goes_where_poetry_looks(home: Path) -> None:
    root = _project(home, POETRY)
    spot = project_env(str(root), None, _environ(home), (3, 12, 1))
    expected = home / ".cache" / "pypoetry" / "virtualenvs" / f"{poetry_env_name('App', str(root))}-py3.12"
    assert spot == EnvSpot(str(expected), False, "Poetry", spot.why)


def test_poetry_envs_toml_names_the_python(home: Path) -> None:
    root = _project(home, POETRY)
    base = home / ".cache" / "pypoetry" / "virtualenvs"
    base.mkdir(parents=True)
    stem = poetry_env_name("App", str(root))
    (base / "envs.toml").write_text(f'[{stem}]\nminor = "3.13"\npatch = "3.13.1"\n')
    assert project_env(str(root), None, _environ(home), (3, 11, 2)).path == str(base / f"{stem}-py3.13")


@pytest.mark.parametrize(
    ("where", "text"),
    [("poetry.toml", "[virtualenvs]\nin-project = true\n"), ("user", "[virtualenvs]\nin-project = true\n"),
     ("variable", "")],
)
def test_poetry_in_project(home: Path, where: str, text: str) -> None:
    root = _project(home, POETRY)
    extra = {}
    if where == "poetry.toml":
        (root / "poetry.toml").write_text(text)
    elif where == "user":
        (home / ".config" / "pypoetry").mkdir(parents=True)
        (home / ".config" / "pypoetry" / "config.toml").write_text(text)
    else:
        extra["POETRY_VIRTUALENVS_IN_PROJECT"] = "true"
    spot = project_env(str(root), None, _environ(home, **extra), (3, 11, 2))
    assert (spot.path, spot.exists, spot.tool) == (str(root / ".venv"), False, "Poetry")


def test_poetry_uses_an_existing_dot_venv_as_poetry_does(home: Path) -> None:
    root = _project(home, POETRY)
    _venv(home / ".cache" / "pypoetry" / "virtualenvs" / f"{poetry_env_name('App', str(root))}-py3.11")
    _venv(root / ".venv")  # Poetry switches to an in-project .venv when in-project is unset
    assert project_env(str(root), None, _environ(home), (3, 11, 2)).path == str(root / ".venv")
    # ... and not when in-project = false
    spot = project_env(str(root), None, _environ(home, POETRY_VIRTUALENVS_IN_PROJECT="false"), (3, 11, 2))
    assert spot.path.startswith(str(home / ".cache"))


def test_poetry_virtualenvs_path_from_your_config_is_yours(home: Path) -> None:
    root = _project(home, POETRY)
    (home / ".config" / "pypoetry").mkdir(parents=True)
    (home / ".config" / "pypoetry" / "config.toml").write_text('[virtualenvs]\npath = "~/envs"\n')
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    assert spot.path == str(home / "envs" / f"{poetry_env_name('App', str(root))}-py3.11")
    assert spot.named_by == ""


def test_poetry_virtualenvs_path_from_the_repository_is_the_repositorys(home: Path) -> None:
    root = _project(home, POETRY)
    (root / "poetry.toml").write_text('[virtualenvs]\npath = "/tmp/elsewhere"\n')
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    assert spot.named_by == str(root / "poetry.toml") and spot.value == "/tmp/elsewhere"


def test_pipenv_workon_home(home: Path) -> None:
    root = _project(home, "", "Pipfile")
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    expected = home / ".local" / "share" / "virtualenvs" / pipenv_env_name(str(root))
    assert (spot.path, spot.exists, spot.tool) == (str(expected), False, "pipenv")
    spot = project_env(str(root), None, _environ(home, WORKON_HOME=str(home / "w")), (3, 11, 2))
    assert spot.path == str(home / "w" / pipenv_env_name(str(root)))


@pytest.mark.parametrize(("pipfile", "variable"), [("[pipenv]\nvenv_in_project = true\n", None), ("", "1")])
def test_pipenv_in_project(home: Path, pipfile: str, variable: str | None) -> None:
    root = _project(home, "")
    (root / "Pipfile").write_text(pipfile)
    extra = {"PIPENV_VENV_IN_PROJECT": variable} if variable else {}
    spot = project_env(str(root), None, _environ(home, **extra), (3, 11, 2))
    assert (spot.path, spot.tool) == (str(root / ".venv"), "pipenv")


def test_pipenv_keeps_its_workon_home_environment_beside_a_dot_venv(home: Path) -> None:
    root = _project(home, "", "Pipfile")
    central = _venv(home / ".local" / "share" / "virtualenvs" / pipenv_env_name(str(root)))
    _venv(root / ".venv")
    assert project_env(str(root), None, _environ(home), (3, 11, 2)).path == str(central)


def test_uv_project_environment(home: Path) -> None:
    root = _project(home, "[tool.uv]\n", "uv.lock")
    spot = project_env(str(root), None, _environ(home, UV_PROJECT_ENVIRONMENT="build/env"), (3, 11, 2))
    assert (spot.path, spot.tool) == (str(root / "build" / "env"), "uv")
    assert project_env(str(root), None, _environ(home), (3, 11, 2)) == EnvSpot(str(root / ".venv"), False)


def test_hatch_default_environment(home: Path) -> None:
    root = _project(home, '[project]\nname = "My_App"\n[tool.hatch.envs.default]\ndependencies = []\n')
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    ident = hatch_id(str(root))
    expected = home / ".local" / "share" / "hatch" / "env" / "virtual" / "my-app" / ident / "my-app"
    assert (spot.path, spot.exists, spot.tool) == (str(expected), False, "Hatch")


def test_hatch_environment_that_exists_counts_without_hatch_configuration(home: Path) -> None:
    root = _project(home, '[project]\nname = "app"\n')
    env = _venv(home / ".local" / "share" / "hatch" / "env" / "virtual" / "app" / hatch_id(str(root)) / "app")
    assert project_env(str(root), None, _environ(home), (3, 11, 2)).path == str(env)
    assert project_env(str(root), None, _environ(home, HATCH_DATA_DIR=str(home / "h")), (3, 11, 2)).path == str(
        root / ".venv")


def test_hatch_path_in_the_project(home: Path) -> None:
    root = _project(home, '[project]\nname = "app"\n', "hatch.toml")
    (root / "hatch.toml").write_text('[envs.default]\npath = ".hatch/dev"\n')
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    assert (spot.path, spot.named_by) == (str(root / ".hatch" / "dev"), str(root / "hatch.toml"))


def test_pdm_central_environment(home: Path) -> None:
    root = _project(home, "[tool.pdm]\n", "pdm.lock")
    real = str(root.resolve())
    env = _venv(home / ".local" / "share" / "pdm" / "venvs" / f"{pdm_prefix(real)}3.11")
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    assert (spot.path, spot.tool) == (str(env), "PDM")


def test_pdm_saved_python_inside_the_project(home: Path) -> None:
    root = _project(home, "[tool.pdm]\n")
    env = _venv(root / "envs" / "dev")
    (env / "bin").mkdir()
    (env / "bin" / "python").write_text("")
    (root / ".pdm-python").write_text(str(env / "bin" / "python") + "\n")
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    assert (spot.path, spot.tool) == (str(env), "PDM")


def test_pdm_in_project_false_creates_centrally(home: Path) -> None:
    root = _project(home, "[tool.pdm]\n")
    (root / "pdm.toml").write_text("[venv]\nin_project = false\n")
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    assert spot.path == str(home / ".local" / "share" / "pdm" / "venvs" / f"{pdm_prefix(str(root.resolve()))}3.11")


def test_no_tool_leaves_safepips_default(home: Path) -> None:
    root = _project(home, '[project]\nname = "app"\n')
    assert project_env(str(root), None, _environ(home), (3, 11, 2)) == EnvSpot(str(root / ".venv"), False)
    assert find(str(root), _environ(home), (3, 11, 2)).env is None


def test_tool_safepip_venv_comes_first(home: Path) -> None:
    root = _project(home, POETRY)
    assert project_env(str(root), "envs/x", _environ(home), (3, 11, 2)) == EnvSpot(str(root / "envs" / "x"), False)


def test_a_broken_tool_file_is_the_tools_to_report(home: Path) -> None:
    root = _project(home, "[tool.poetry\n", "poetry.lock")
    (root / "poetry.toml").write_text("[[[")
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    assert spot.path == str(root / ".venv")  # no name to compute Poetry's: safepip's default


@pytest.mark.parametrize("pyproject", [
    '[tool."\\u0070oetry"]\nname = "App"\n',  # an escape spells the table's name
    '[project]\nname = "App"\n[build-system]\nbuild-backend = """po\\\n  etry.core.masonry.api"""\n',  # a line-ending backslash joins it
])
def test_a_tool_named_only_through_an_escape_is_still_found(home: Path, pyproject: str) -> None:
    root = _project(home, pyproject)
    spot = project_env(str(root), None, _environ(home), (3, 11, 2))
    assert spot.tool == "Poetry"


def test_a_pyproject_naming_no_tool_is_read_without_parsing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What no tool's rule can read (nor Hatch's default environment, when Hatch's directory is
    not there) is found without the TOML parse: the answer, and what the memo signs, as before.
    """
    from safepip.facts import toolread

    root = _project(home, '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                          '[project]\nname = "app"\n[tool.ruff]\nline-length = 100\n')

    def refused(data: bytes | None) -> None:
        assert data is None, "parsed"  # a file that is not there: nothing to parse

    parse = toolread.parse_toml
    monkeypatch.setattr(toolread, "parse_toml", refused)
    found = find(str(root), _environ(home), (3, 11, 2))
    assert found.env is None
    real = root.resolve()
    assert str(real / "pyproject.toml") in found.reads
    assert str(home / ".local" / "share" / "hatch" / "env" / "virtual") in found.reads  # Hatch's place, signed
    monkeypatch.setattr(toolread, "parse_toml", parse)
    env = _venv(home / ".local" / "share" / "hatch" / "env" / "virtual" / "app" / hatch_id(str(real)) / "app")
    assert project_env(str(root), None, _environ(home), (3, 11, 2)).path == str(env)  # once it is there, it counts
