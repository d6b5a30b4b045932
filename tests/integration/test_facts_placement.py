"""Where a project's own ``[tool.safepip] venv`` may put the environment: a relative path
below the project root, through no link that leads out, nowhere in or over safepip's own
directories; anything else is a configuration error (78) until the user allows it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from configured import write_user_config
from inprocess import Cli
from safepip.errors import ConfigError
from safepip.facts import config as cfg
from safepip.facts.placement import record


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
    write_user_config(hermetic, 'trusted = ["*"]\n')
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
    from safepip.facts.trust import identity

    check_python(python, python, str(root), str(root / "pyproject.toml"), os.environ,
                 cfg.Config().layered({"trust": {python: identity(python)}}, "user"))
