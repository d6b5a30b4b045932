"""A cloned repository's ``[tool.safepip] venv`` cannot put the environment outside the
project, nor in safepip's own directories: every command stops (78) with the one line that
says how to allow it, and nothing is created outside; ``safepip trust`` or the user file's
``trusted`` list allows it, and then it works.

Each repository is written by a real second user, committed, and cloned with ``git clone``:
``venv`` set to the per-user environment (``~/.local/share/safepip/envs/pyX.Y``, the
default data directory), to ``../../../elsewhere``, to an absolute path, and to a path
through a committed link that leads out of the project; and a committed ``.venv`` link that
leads out (a link you make yourself is yours); and the project tools' own settings that name
a place outside (Hatch's ``path`` in ``hatch.toml``, Poetry's ``virtualenvs.path`` in
``poetry.toml``).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import SYSTEM_XY, needs_managed, offline, run_safepip, safepip_env
from inprocess import Cli
from users import GIT, Ended, User, one_line, their_repository

pytestmark = [needs_managed]


@dataclass(frozen=True)
class Bait:
    clone: Path
    #: Where the repository's value puts the environment (nothing may appear there).
    outside: Path
    #: What the refusal line says about it.
    why: str
    #: The environment once allowed.
    env: Path


def _clone(base: Path, user: User, files: dict[str, str], links: dict[str, str]) -> Path:
    """A repository the other user wrote (files and symbolic links), committed, and its clone
    at ``base/a/b/clone`` (deep enough that ``../../../x`` stays in the test's directory).
    """
    return their_repository(base / "a" / "b", user, files, links=links)


def _pyproject(venv: str) -> str:
    return f'[project]\nname = "bait"\nversion = "0"\n[tool.safepip]\nvenv = "{venv}"\n'


@pytest.fixture(params=["per-user-env", "climb", "absolute", "link", "dotvenv-link", "hatch-path", "poetry-path"])
def bait(request: pytest.FixtureRequest, tmp_path: Path, other_user: User, hermetic: dict[str, str]) -> Bait:
    kind = request.param
    if kind == "hatch-path":  # the project tool's own setting, in the repository: the repository's choice too
        clone = _clone(tmp_path, other_user, {"pyproject.toml": '[project]\nname = "bait"\nversion = "0"\n',
                                              "hatch.toml": '[envs.default]\npath = "../../../hatch-env"\n'}, {})
        target = tmp_path / "hatch-env"
        return Bait(clone, target, f"outside the project, at {target}", target)
    if kind == "poetry-path":
        from safepip.facts.toolenv import poetry_env_name

        envs = tmp_path / "poetry-envs"
        clone = _clone(tmp_path, other_user, {"pyproject.toml": '[tool.poetry]\nname = "bait"\nversion = "0"\n',
                                              "poetry.toml": f'[virtualenvs]\npath = "{envs}"\n'}, {})
        target = envs / f"{poetry_env_name('bait', str(clone))}-py{SYSTEM_XY}"
        return Bait(clone, envs, f"outside the project, at {envs}", target)
    if kind == "per-user-env":
        clone = _clone(tmp_path, other_user, {"pyproject.toml": _pyproject(f"~/.local/share/safepip/envs/py{SYSTEM_XY}")}, {})
        outside = Path(hermetic["HOME"]) / ".local" / "share" / "safepip"
        return Bait(clone, outside, f"in safepip's own directory {outside}", outside / "envs" / f"py{SYSTEM_XY}")
    if kind == "climb":
        clone = _clone(tmp_path, other_user, {"pyproject.toml": _pyproject("../../../elsewhere")}, {})
        return Bait(clone, tmp_path / "elsewhere", f"outside the project, at {tmp_path / 'elsewhere'}", tmp_path / "elsewhere")
    if kind == "absolute":
        target = tmp_path / "absolute-env"
        clone = _clone(tmp_path, other_user, {"pyproject.toml": _pyproject(str(target))}, {})
        return Bait(clone, target, f"outside the project, at {target}", target)
    if kind == "dotvenv-link":
        clone = _clone(tmp_path, other_user, {"pyproject.toml": '[project]\nname = "bait"\nversion = "0"\n'},
                       {".venv": "../../../linked"})
        (tmp_path / "linked").mkdir()
        return Bait(clone, tmp_path / "linked" / "pyvenv.cfg",
                    f"{clone}/.venv is a link committed in git: it puts the environment outside the project: "
                    f"{clone}/.venv leads to {tmp_path}/linked", tmp_path / "linked")
    clone = _clone(tmp_path, other_user, {"pyproject.toml": _pyproject("envs/dev"), "README": "x\n"},
                   {"envs": "../../../linked"})
    (tmp_path / "linked").mkdir()
    return Bait(clone, tmp_path / "linked" / "dev", f"outside the project: {clone / 'envs' / 'dev'} leads to",
                tmp_path / "linked" / "dev")


def _env() -> dict[str, str]:
    """The user's environment with safepip's data directory at its default (~/.local/share)."""
    env = safepip_env()
    env.pop("XDG_DATA_HOME", None)
    return env


def _refused(done: Ended, found: Bait) -> None:
    one_line(done, 78, found.why, f"safepip trust {found.clone}", f'trusted = ["{found.clone}"]')
    assert not os.path.lexists(found.outside), "something was created outside the project"


def test_install_and_freeze_refuse_and_create_nothing_outside(bait: Bait, wheelhouse: Path) -> None:
    _refused(run_safepip("install", *offline(wheelhouse), "lib-a", cwd=bait.clone, env=_env()), bait)
    _refused(run_safepip("freeze", cwd=bait.clone, env=_env()), bait)
    _refused(run_safepip("list", cwd=bait.clone, env=_env()), bait)
    tracked = subprocess.run([*GIT, "ls-tree", "--name-only", "HEAD"], cwd=bait.clone, check=True,
                             capture_output=True, text=True).stdout.split()
    assert sorted(p.name for p in bait.clone.iterdir()) == sorted([".git", *tracked])


def test_every_verb_refuses_with_the_same_line(bait: Bait, cli: Cli) -> None:
    unset = ("XDG_DATA_HOME",)
    lines = set()
    for args in (["which"], ["which", "--create"], ["explain", "install", "lib-a"], ["doctor"], ["run", "true"],
                 ["repair"], ["install", "lib-a"]):
        done = cli(*args, cwd=bait.clone, unset=unset)
        lines.add(one_line(done, 78, bait.why, f"safepip trust {bait.clone}"))
        assert done.started == [], args
    assert len(lines) == 1
    assert not os.path.lexists(bait.outside)


def test_safepip_trust_allows_it_and_a_changed_value_is_refused_again(bait: Bait, wheelhouse: Path) -> None:
    env = _env()
    trusted = run_safepip("trust", str(bait.clone), cwd=bait.clone, env=env)
    assert trusted.returncode == 0, trusted.stderr
    assert "recorded in" in trusted.stderr
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=bait.clone, env=env)
    assert done.returncode == 0, done.stderr
    assert list(bait.env.glob("lib/python*/site-packages/lib_a*"))
    listed = run_safepip("list", cwd=bait.clone, env=env)
    assert listed.returncode == 0 and "lib-a" in listed.stdout, listed.stderr
    # The trust is for where the value led: another value is the repository's word again.
    (bait.clone / "pyproject.toml").write_text(_pyproject("../../../other"))
    one_line(run_safepip("freeze", cwd=bait.clone, env=env), 78, f"safepip trust {bait.clone}")
    assert not (bait.clone.parent.parent.parent / "other").exists()


def test_the_trusted_list_in_the_user_file_allows_it(bait: Bait, wheelhouse: Path, hermetic: dict[str, str]) -> None:
    _refused(run_safepip("install", *offline(wheelhouse), "lib-a", cwd=bait.clone, env=_env()), bait)
    config = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'trusted = ["{bait.clone}"]\n')
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=bait.clone, env=_env())
    assert done.returncode == 0, done.stderr
    assert os.path.lexists(bait.outside)


def test_the_users_own_venv_may_point_anywhere(tmp_path: Path, other_user: User, wheelhouse: Path) -> None:
    # A value from the user (here SAFEPIP_VENV) wins over the repository's, and is not checked.
    clone = _clone(tmp_path, other_user, {"pyproject.toml": _pyproject("../../../elsewhere")}, {})
    mine = tmp_path / "my-envs" / "bait"
    one_line(run_safepip("freeze", cwd=clone, env=_env()), 78, "safepip trust")
    env = {**_env(), "SAFEPIP_VENV": str(mine)}
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=clone, env=env)
    assert done.returncode == 0, done.stderr
    assert (mine / "pyvenv.cfg").exists()
    assert not (tmp_path / "elsewhere").exists()


def test_a_python_naming_the_per_user_environment_is_refused_until_trusted(
    tmp_path: Path, other_user: User, wheelhouse: Path, hermetic: dict[str, str]
) -> None:
    # [tool.safepip] python = the per-user environment's interpreter: pip would install there.
    outside = tmp_path / "outside"
    outside.mkdir()
    made = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=outside, env=_env())
    assert made.returncode == 0, made.stderr
    user_env = Path(hermetic["HOME"]) / ".local" / "share" / "safepip" / "envs" / f"py{SYSTEM_XY}"
    assert list(user_env.glob("lib/python*/site-packages/lib_a*"))
    spec = f"~/.local/share/safepip/envs/py{SYSTEM_XY}/bin/python"
    clone = _clone(tmp_path, other_user, {"pyproject.toml": f'[project]\nname = "bait"\nversion = "0"\n'
                                          f'[tool.safepip]\npython = "{spec}"\n'}, {})
    for args in (["install", *offline(wheelhouse), "lib-b"], ["uninstall", "-y", "lib-a"], ["freeze"]):
        one_line(run_safepip(*args, cwd=clone, env=_env()), 78, f"python = {spec!r} is the interpreter of a virtual "
                 f"environment in safepip's own directory", f"safepip trust {clone}")
    assert not list(user_env.glob("lib/python*/site-packages/lib_b*"))
    assert list(user_env.glob("lib/python*/site-packages/lib_a*"))
    trusted = run_safepip("trust", cwd=clone, env=_env())
    assert trusted.returncode == 0, trusted.stderr
    done = run_safepip("install", *offline(wheelhouse), "lib-b", cwd=clone, env=_env())
    assert done.returncode == 0, done.stderr
    assert list(user_env.glob("lib/python*/site-packages/lib_b*"))
