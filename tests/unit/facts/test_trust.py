"""The trust checks of a project's environment: its ``pyvenv.cfg``'s ``home`` is read once,
by the check of who could change the code it runs (once the file's place is known to be
safe), and handed to the check of whether the environment came with the repository; that
check reads it itself when the first did not (a trusted directory is not checked)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.facts import config as cfg
from safepip.facts import trust
from safepip.facts.gather import _env_refusal
from safepip.facts.project import EnvSpot
from safepip.venv.layout import cfg_home


def _environment(root: Path, home: str | None) -> Path:
    env = root / ".venv"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").write_text("")
    (env / "bin" / "python").chmod(0o755)
    (env / "pyvenv.cfg").write_text((f"home = {home}\n" if home is not None else "") + "version = 3\n")
    return env


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The environments whose ``home`` the trust checks read, in order."""
    seen: list[str] = []

    def counted(env_dir: str) -> str | None:
        seen.append(env_dir)
        return cfg_home(env_dir)

    monkeypatch.setattr(trust, "cfg_home", counted)
    return seen


def _refused(env: Path, root: Path, config: cfg.Config) -> trust.Untrusted | None:
    return _env_refusal(EnvSpot(str(env), True), str(root), False, os.environ, config, str(root / "config.toml"))


@pytest.mark.parametrize(("home", "why"), [
    ("{root}/py", "{env}/pyvenv.cfg names home = {root}/py, inside the project"),
    (None, "{env}/pyvenv.cfg names no home interpreter"),
])
def test_the_environments_home_is_read_once_for_both_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str | None, why: str
) -> None:
    root = tmp_path / "proj"
    (root / "py").mkdir(parents=True)
    env = _environment(root, home.format(root=root) if home else None)
    reads = _reads(monkeypatch)
    found = _refused(env, root, cfg.Config())
    assert found is not None and found.what == "interpreter", found
    assert found.why == why.format(root=root, env=env)
    assert reads == [str(env)]


def test_a_home_the_first_check_did_not_read_is_read_by_the_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    (root / "py").mkdir(parents=True)
    env = _environment(root, f"{root}/py")
    reads = _reads(monkeypatch)
    found = _refused(env, root, cfg.Config(trusted=(str(env),)))  # trusted: its chain is not checked
    assert found is not None and found.why == f"{env}/pyvenv.cfg names home = {root}/py, inside the project"
    assert reads == [str(env)]


def test_a_home_outside_the_project_is_the_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "proj"
    (tmp_path / "py").mkdir()
    root.mkdir()
    env = _environment(root, f"{tmp_path}/py")
    reads = _reads(monkeypatch)
    assert _refused(env, root, cfg.Config()) is None
    assert reads == [str(env)]


def test_root_looks_up_an_owners_name_only_for_another_users_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    from types import SimpleNamespace

    from safepip.facts import walkup

    owners = {str(tmp_path / "root's"): 0, str(tmp_path / "alice's"): 1000}
    looked_up: list[int] = []

    def getpwuid(uid: int) -> object:
        looked_up.append(uid)
        return SimpleNamespace(pw_name="alice")

    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(walkup, "existing_owner", owners.get)
    monkeypatch.setitem(sys.modules, "pwd", SimpleNamespace(getpwuid=getpwuid))
    own = trust.facts_about_users({}, str(tmp_path / "root's"), None)
    assert (own.owner, own.owner_name, looked_up) == (0, None, [])  # root's own: never named, not looked up
    theirs = trust.facts_about_users({}, str(tmp_path / "alice's"), None)
    assert (theirs.owner, theirs.owner_name, looked_up) == (1000, "alice", [1000])
