"""Where a project's own ``[tool.safepip] venv`` may put the environment: a relative path
below the project root, through no link that leads out, nowhere in or over safepip's own
directories; anything else is a configuration error (78) until the user allows it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inprocess import Cli
from safepip.errors import EX_CONFIG, ConfigError
from safepip.facts import config as cfg
from safepip.facts.gather import load_config
from safepip.facts.placement import allowed, problem, record


@pytest.fixture
def root(tmp_path: Path) -> Path:
    where = tmp_path / "proj"
    where.mkdir()
    (where / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    return where


@pytest.mark.parametrize("value", [".venv", "build/env", "envs/dev/", "./x"])
def test_a_path_below_the_root_is_the_projects_to_choose(root: Path, value: str) -> None:
    assert problem(value, str(root), os.environ) is None


@pytest.mark.parametrize(("value", "why"), [
    ("../elsewhere", "outside the project, at {tmp}/elsewhere"),
    ("a/../../elsewhere", "outside the project, at {tmp}/elsewhere"),
    ("{tmp}/elsewhere", "outside the project, at {tmp}/elsewhere"),
    ("~/env", "outside the project, at {home}/env"),
    (".", "at the project root itself"),
    ("x/..", "at the project root itself"),
    ("{root}/.venv", "at {root}/.venv through an absolute path"),
    ("a/../.venv", "at {root}/.venv through .."),
])
def test_a_path_that_leaves_the_project_or_depends_on_where_it_is_is_not(
    root: Path, tmp_path: Path, hermetic: dict[str, str], value: str, why: str
) -> None:
    names = {"tmp": str(tmp_path), "root": str(root), "home": hermetic["HOME"]}
    found = problem(value.format(**names), str(root), os.environ)
    assert found is not None and found.startswith(why.format(**names)), found


def test_tilde_is_refused_even_when_it_leads_into_the_project(tmp_path: Path, hermetic: dict[str, str]) -> None:
    project = Path(hermetic["HOME"]) / "proj"
    project.mkdir()
    assert problem("~/proj/.venv", str(project), os.environ) == f"at {project}/.venv through ~, which depends on who runs safepip"


def test_a_link_inside_the_project_that_leads_out_is_refused(root: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (root / "envs").symlink_to("../out")
    assert problem("envs/dev", str(root), os.environ) == f"outside the project: {root}/envs/dev leads to {tmp_path}/out/dev"
    (root / "inner").mkdir()
    (root / "here").symlink_to("inner")
    assert problem("here/dev", str(root), os.environ) is None  # a link that stays inside is fine


def test_safepip_own_directories_are_refused_in_a_project_that_holds_them(
    hermetic: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A project at home (a pyproject.toml there) holds ~/.local/share/safepip: still not its to use.
    home = Path(hermetic["HOME"])
    environ = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
    data = home / ".local" / "share" / "safepip"
    with monkeypatch.context() as patch:
        patch.delenv("XDG_DATA_HOME")  # the data directory at its default, under home
        assert problem(".local/share/safepip/envs/py3.11", str(home), environ) == (
            f"in safepip's own directory {data} (at {data}/envs/py3.11)"
        )
        assert problem(".local", str(home), environ) == f"at {home}/.local, which holds safepip's own directory {data}"
        cache = Path(hermetic["XDG_CACHE_HOME"]) / "safepip"
        assert problem(str(cache / "x"), str(home), environ) == f"in safepip's own directory {cache} (at {cache}/x)"
        overridden = {**environ, "SAFEPIP_DATA_DIR": str(home / "mine")}
        assert problem("mine/envs", str(home), overridden) == f"in safepip's own directory {home}/mine (at {home}/mine/envs)"


def test_the_user_allows_where_the_value_leads_not_the_value(root: Path, tmp_path: Path) -> None:
    value = "../elsewhere"
    config = cfg.Config().layered({"trust": {str(root): record(value, str(root))}}, "user")
    assert record(value, str(root)) == f"venv:{tmp_path}/elsewhere"
    assert allowed(value, str(root), config)
    assert allowed("../x/../elsewhere", str(root), config)  # the same place
    assert not allowed("../other", str(root), config)
    (root / "envs").symlink_to("../elsewhere")
    assert allowed("envs", str(root), config)
    (root / "envs").unlink()
    (root / "envs").symlink_to("../other")
    assert not allowed("envs", str(root), config)  # the link now leads elsewhere
    assert not allowed(value, str(tmp_path / "another"), config)
    assert allowed("../other", str(root), cfg.Config().layered({"trusted": (str(root),)}, "user"))
    assert allowed("../other", str(root), cfg.Config().layered({"trusted": ("*",)}, "user"))


def _user_file(hermetic: dict[str, str], text: str) -> Path:
    path = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_loading_the_projects_value_refuses_it_with_how_to_allow_it(root: Path, tmp_path: Path,
                                                                      hermetic: dict[str, str]) -> None:
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n\n[tool.safepip]\nvenv = "../elsewhere"\n')
    user_file = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(os.environ, {}, str(root))
    assert caught.value.exit_code == EX_CONFIG
    assert str(caught.value) == (
        f"{root}/pyproject.toml, line 6: venv = '../elsewhere' puts the environment outside the project, at "
        f"{tmp_path}/elsewhere; a project's own configuration may only put it inside the project. If you want it "
        f'there: safepip trust {root} (or trusted = ["{root}"] in {user_file})'
    )
    # The user's own value wins, and is the user's to choose.
    config, _, _ = load_config({**os.environ, "SAFEPIP_VENV": "../mine"}, {}, str(root))
    assert config.venv == "../mine"
    config, _, _ = load_config(os.environ, {"venv": "/anywhere"}, str(root))
    assert config.venv == "/anywhere"
    # Allowed by the user file: trust recorded for that place, or the trusted list.
    _user_file(hermetic, f'[trust]\n"{root}" = "venv:{tmp_path}/elsewhere"\n')
    assert load_config(os.environ, {}, str(root))[0].venv == "../elsewhere"
    _user_file(hermetic, f'trusted = ["{root}"]\n')
    assert load_config(os.environ, {}, str(root))[0].venv == "../elsewhere"


def test_a_user_file_value_is_not_checked(root: Path, hermetic: dict[str, str]) -> None:
    _user_file(hermetic, 'venv = "~/envs/all"\n')
    config, _, _ = load_config(os.environ, {}, str(root))
    assert (config.venv, config.origin["venv"]) == ("~/envs/all", str(Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"))


def test_every_command_stops_with_78_and_creates_nothing(root: Path, tmp_path: Path, cli: Cli) -> None:
    (root / "pyproject.toml").write_text('[tool.safepip]\nvenv = "../elsewhere"\n')
    for args in (["freeze"], ["list"], ["install", "x"], ["which"], ["explain", "install", "x"], ["doctor"],
                 ["run", "true"], ["repair"], ["uninstall", "-y", "x"]):
        done = cli(*args, cwd=root)
        assert done.returncode == 78, (args, done.stderr)
        assert done.stderr.count("safepip:") == 1 and "safepip trust" in done.stderr, done.stderr
        assert done.started == []
    assert not (tmp_path / "elsewhere").exists()


def _git(root: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "safe.directory=*", *args],
                   cwd=root, check=True, capture_output=True)


def test_a_committed_dotvenv_link_that_leads_out_is_the_repositorys_choice(root: Path, tmp_path: Path) -> None:
    from safepip.facts.placement import check_default, committed_link

    (tmp_path / "out").mkdir()
    (root / ".venv").symlink_to("../out")
    config = cfg.Config()
    _git(root, "init", "-q")
    assert committed_link(str(root / ".venv"), str(root), os.environ, config) is None  # yours: not committed
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "x")
    why = f"outside the project: {root}/.venv leads to {tmp_path}/out"
    assert committed_link(str(root / ".venv"), str(root), os.environ, config) == why
    with pytest.raises(ConfigError, match=f"{root}/.venv is a link committed in git: it puts the environment {why}; "):
        check_default(str(root / ".venv"), str(root), os.environ, config)
    allowed_now = config.layered({"trust": {str(root): record(".venv", str(root))}}, "user")
    check_default(str(root / ".venv"), str(root), os.environ, allowed_now)
    (root / "inner").mkdir()
    (root / "venv").symlink_to("inner")  # a committed link that stays inside is the project's to choose
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "y")
    assert committed_link(str(root / "venv"), str(root), os.environ, config) is None


def test_the_trust_verb_records_where_a_committed_link_leads(root: Path, tmp_path: Path, cli: Cli,
                                                             hermetic: dict[str, str]) -> None:
    (tmp_path / "out").mkdir()
    (root / ".venv").symlink_to("../out")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "x")
    assert cli("which", cwd=root).returncode == 78
    done = cli("trust", cwd=root)
    assert done.returncode == 0, done.stderr
    assert f"trusted where {root} puts its environment: {tmp_path}/out" in done.stderr
    user_file = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
    assert cfg.user_layer(str(user_file))["trust"] == {str(root): f"venv:{tmp_path}/out"}
    assert cli("which", cwd=root).returncode == 69  # allowed: nothing made there yet


def test_the_project_itself_above_it_or_over_safepips_directories_is_never_allowed(
    root: Path, tmp_path: Path, hermetic: dict[str, str], cli: Cli
) -> None:
    from safepip.facts.placement import check_default

    trusting = cfg.Config().layered({"trusted": ("*",)}, "user")
    _git(root, "init", "-q")
    for target in (".", ".."):
        (root / ".venv").symlink_to(target)
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", target)
        with pytest.raises(ConfigError, match="No environment goes there, trusted or not"):
            check_default(str(root / ".venv"), str(root), os.environ, trusting)
        (root / ".venv").unlink()
    _git(root, "commit", "-qam", "none")
    _user_file(hermetic, 'trusted = ["*"]\n')
    cache = Path(hermetic["XDG_CACHE_HOME"])
    for value in (".", "..", str(cache)):
        (root / "pyproject.toml").write_text(f'[tool.safepip]\nvenv = "{value}"\n')
        done = cli("freeze", cwd=root)
        assert done.returncode == 78, done.stderr
        assert "No environment goes there, trusted or not" in done.stderr
    assert not (root / "pyvenv.cfg").exists() and not (tmp_path / "pyvenv.cfg").exists() and not (cache / "pyvenv.cfg").exists()
    done = cli("trust", cwd=root)  # nothing to record: the same line
    assert done.returncode == 78 and "No environment goes there, trusted or not" in done.stderr, done.stderr
    assert "[trust]" not in (Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml").read_text()


def test_a_projects_python_may_not_name_an_environment_outside_it(root: Path, tmp_path: Path) -> None:
    import subprocess

    from helpers import SYSTEM_PYTHON
    from safepip.facts.placement import check_python, python_problem

    env = tmp_path / "other-env"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(env)], check=True)
    python = str(env / "bin" / "python")
    assert python_problem(python, python, str(root), os.environ) == f"outside the project ({env})"
    assert python_problem(str(env), python, str(root), os.environ) == f"outside the project ({env})"  # the directory
    assert python_problem("python3", python, str(root), os.environ) is None  # your PATH found it: yours
    assert python_problem(SYSTEM_PYTHON, SYSTEM_PYTHON, str(root), os.environ) is None  # no environment
    inside = root / ".venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(inside)], check=True)
    assert python_problem(".venv/bin/python", str(inside / "bin" / "python"), str(root), os.environ) is None
    with pytest.raises(ConfigError, match=r"python = '.*' is the interpreter of a virtual environment outside the project"):
        check_python(python, python, str(root), str(root / "pyproject.toml"), os.environ, cfg.Config())
    from safepip.facts.repocode import identity

    check_python(python, python, str(root), str(root / "pyproject.toml"), os.environ,
                 cfg.Config().layered({"trust": {python: identity(python)}}, "user"))
