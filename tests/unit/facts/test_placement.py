"""Where a project's own ``[tool.safepip] venv`` may put the environment: a relative path
below the project root, through no link that leads out, nowhere in or over safepip's own
directories; anything else is a configuration error (78) until the user allows it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from configured import write_user_config
from inprocess import Cli
from safepip.errors import EX_CONFIG, ConfigError
from safepip.facts import config as cfg
from safepip.facts.gather import load_config
from safepip.facts.placement import allowed, problem, record


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
    write_user_config(hermetic, f'[trust]\n"{root}" = "venv:{tmp_path}/elsewhere"\n')
    assert load_config(os.environ, {}, str(root))[0].venv == "../elsewhere"
    write_user_config(hermetic, f'trusted = ["{root}"]\n')
    assert load_config(os.environ, {}, str(root))[0].venv == "../elsewhere"


def test_a_user_file_value_is_not_checked(root: Path, hermetic: dict[str, str]) -> None:
    write_user_config(hermetic, 'venv = "~/envs/all"\n')
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
