"""Environment creation, validation and repair (in-process), and the half-installed
distributions an interrupted pip left: found, removed only from environments safepip made,
and installed again by pip."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import SYSTEM_PYTHON, SYSTEM_XY
from safepip.errors import EnvironmentCreateError
from safepip.venv import ensure as envs
from safepip.venv import rebuild

#: A base interpreter for environments these tests never get as far as creating.
BASE = SimpleNamespace(path=SYSTEM_PYTHON, version=(3, 11, 2), implementation="cpython")


def quiet(_: str) -> None:
    pass


def test_unwritable_parent_is_refused_and_nothing_is_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if str(p) == str(tmp_path) else real_access(p, m))
    with pytest.raises(EnvironmentCreateError, match=f"{tmp_path} is not writable by you"):
        envs.ensure(str(tmp_path / ".venv"), BASE, dict(os.environ), quiet)
    assert not (tmp_path / ".venv").exists()


def test_a_broken_env_safepip_did_not_make_is_refused(tmp_path: Path) -> None:
    env_dir = tmp_path / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "pyvenv.cfg").write_text("home = /nonexistent\n")
    (env_dir / "bin" / "python").symlink_to("/nonexistent/python3.4")
    with pytest.raises(EnvironmentCreateError, match="safepip did not create it, so it will not delete it"):
        envs.ensure(str(env_dir), BASE, dict(os.environ), quiet)
    assert (env_dir / "pyvenv.cfg").exists()


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(tmp_path / "gone")
    with pytest.raises(EnvironmentCreateError, match="which does not exist"):
        envs.ensure(str(tmp_path / ".venv"), BASE, dict(os.environ), quiet)


def test_the_hint_for_a_broken_env_is_quoted_for_the_shell(tmp_path: Path) -> None:
    import shlex

    env_dir = tmp_path / "it's; rm -rf ~ $(x)" / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "pyvenv.cfg").write_text("home = /nonexistent\n")
    (env_dir / "bin" / "python").symlink_to("/nonexistent/python3.4")
    with pytest.raises(EnvironmentCreateError) as raised:
        envs.ensure(str(env_dir), BASE, dict(os.environ), quiet)
    command = str(raised.value).split("recreate it with: ", 1)[1]
    assert shlex.split(command)[:4] == ["rm", "-rf", str(env_dir), "&&"]


def test_a_trash_tree_killed_midway_is_swept_and_nothing_else(tmp_path: Path) -> None:
    env_dir = tmp_path / ".venv"
    trash = tmp_path / ".venv.safepip-old-20260101-000000-1"
    (trash / "lib").mkdir(parents=True)
    rebuild.write_journal(str(trash), {"kind": "trash"})
    mine = tmp_path / ".venv.safepip-old-mine"  # the same name pattern, not made by safepip
    mine.mkdir()
    (mine / "notes").write_text("x")
    kept = tmp_path / ".venv.safepip-old-20260101-000000-2"
    kept.mkdir()
    rebuild.write_journal(str(kept), {"kind": "kept"})
    rebuild.sweep(str(env_dir))
    assert not trash.exists() and (mine / "notes").exists() and kept.exists()


def test_a_link_whose_target_a_killed_rebuild_moved_aside_is_not_refused(tmp_path: Path) -> None:
    target = tmp_path / "store" / "env"
    old = tmp_path / "store" / "env.safepip-old-20260101-000000-1"
    old.mkdir(parents=True)
    rebuild.write_journal(str(old), {"kind": "pending", "why": "its interpreter x no longer exists"})
    link = tmp_path / ".venv"
    link.symlink_to(target)
    envs.check_path(str(link))  # no "dangling link" refusal: the rebuild goes on from there
    assert envs.broken(str(link)) == "its rebuild was interrupted"


JOURNAL = ".safepip-rebuild.json"  # a rebuild's journal in the tree it moved aside


def _old_env(tree: Path, journal: dict[str, object]) -> Path:
    """An environment a rebuild moved aside (its journal: ``journal``): one distribution (RECORD lists its files),
    the environment's own files, and files of the user's (one a script in bin)."""
    site = tree / "lib" / "python3.11" / "site-packages"
    info = site / "foo-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "foo.py").write_text("x = 1\n")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n")
    (info / "RECORD").write_text("foo.py,,\nfoo-1.0.dist-info/METADATA,,\nfoo-1.0.dist-info/RECORD,,\n../../../bin/foo,,\n")
    (tree / "bin").mkdir()
    (tree / "bin" / "foo").write_text("#!/bin/sh\n")
    (tree / "bin" / "python3.11").symlink_to("/nonexistent/python3.11")
    (tree / "bin" / "activate").write_text("")
    (tree / "bin" / "pipeline.sh").write_text("mine\n")  # "pip..." yet the user's
    (tree / "pyvenv.cfg").write_text("version = 3.11.9\n")
    (tree / "notes.txt").write_text("mine\n")
    rebuild.write_journal(str(tree), journal)
    return tree


def test_a_tree_kept_for_the_users_files_is_pruned_only_after_a_day(tmp_path: Path) -> None:
    import time

    now = time.time()
    env_dir = tmp_path / ".venv"
    kept = _old_env(tmp_path / ".venv.safepip-old-20260101-000000-1", {"kind": "kept", "at": now - 23 * 3600})
    before = sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*"))
    rebuild.sweep(str(env_dir))
    assert sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*")) == before  # not a day old yet
    rebuild.write_journal(str(kept), {"kind": "kept", "at": now - 25 * 3600})
    rebuild.sweep(str(env_dir))
    left = sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*"))
    assert left == [".safepip-rebuild.json", "bin", "bin/pipeline.sh", "notes.txt"]  # only the user's files
    assert (kept / "notes.txt").read_text() == "mine\n"
    (kept / "notes.txt").unlink()  # the user took their files
    (kept / "bin" / "pipeline.sh").unlink()
    rebuild.sweep(str(env_dir))
    assert not kept.exists()


def test_a_kept_tree_is_aged_by_its_journal_and_some_are_never_swept(tmp_path: Path) -> None:
    import time

    now = time.time()
    env_dir = tmp_path / ".venv"
    # An old journal without its date: the journal file's modification time counts (not the
    # tree's, which a rename keeps from the environment's last change).
    fresh = _old_env(tmp_path / ".venv.safepip-old-20200101-000000-1", {"kind": "kept"})
    os.utime(fresh, (now - 400 * 86400, now - 400 * 86400))
    failed = _old_env(tmp_path / ".venv.safepip-old-20200101-000000-2", {"kind": "kept", "at": now - 9e6,
                                                                         "not_restored": ["foo 1.0 (==1.0): gone"]})
    waiting = _old_env(tmp_path / ".venv.safepip-old-20200101-000000-3", {"kind": "pending", "at": now - 9e6})
    foreign = _old_env(tmp_path / ".venv.safepip-old-20200101-000000-4", {"kind": "kept", "at": now - 9e6})
    (foreign / JOURNAL).unlink()  # not safepip's (no journal), whatever its name
    rebuild.sweep(str(env_dir))
    for tree in (fresh, failed, waiting, foreign):
        assert (tree / "lib" / "python3.11" / "site-packages" / "foo.py").exists(), tree.name
    journal = fresh / JOURNAL
    os.utime(journal, (now - 2 * 86400, now - 2 * 86400))
    rebuild.sweep(str(env_dir))
    assert not (fresh / "lib").exists() and (fresh / "notes.txt").exists()
    assert (failed / "lib" / "python3.11" / "site-packages" / "foo.py").exists()


def test_pipx_apps_whose_interpreter_is_gone_or_another_minor_version_are_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safepip import pipx
    from safepip.act import pipxrepair

    venvs = tmp_path / "pipx" / "venvs"
    pythons = tmp_path / "usr" / "bin"
    pythons.mkdir(parents=True)
    (pythons / "python3.12").write_text("")
    (pythons / "python3.11").write_text("")
    (pythons / "python3").symlink_to("python3.12")  # the distribution's python3 is now 3.12

    def app(name: str, made: str, python: str) -> None:
        (venvs / name / "bin").mkdir(parents=True)
        (venvs / name / "pyvenv.cfg").write_text(f"home = {pythons}\nversion = {made}\n")
        (venvs / name / "bin" / "python").symlink_to(python)

    app("black", "3.11.2", str(pythons / "python3"))  # made by 3.11 through python3: now runs 3.12
    app("gone", "3.11.2", str(tmp_path / "nowhere" / "python3.11"))
    app("fine", "3.11.2", str(pythons / "python3.11"))
    app("newer", "3.12.1", str(pythons / "python3"))
    (venvs / ".black.lock").write_text("")  # pipx's own files beside the venvs
    monkeypatch.setattr(pipx, "value", lambda *a: str(venvs) if a[2] == "PIPX_LOCAL_VENVS" else None)
    found = dict(pipxrepair.stale(["pipx"], {"PIPX_HOME": str(tmp_path / "pipx")}, global_mode=False))
    assert sorted(found) == ["black", "gone"]
    assert found["black"] == "it was made with Python 3.11 and its interpreter is now Python 3.12"
    assert "no longer exists" in found["gone"]
    line = pipxrepair.hint(["pipx"], sorted(found.items()), "/usr/bin/python3", global_mode=True)
    assert "`pipx reinstall --global --python /usr/bin/python3 black`" in line and "safepip repair" in line


def test_a_whole_environment_used_without_the_lock_finishes_a_killed_trash_removal(tmp_path: Path) -> None:
    """A rebuild killed while it removed its old tree (restored, marked trash) leaves a whole
    environment; the next call that uses it without the lock (one the fast path may answer)
    finishes the removal. Only trash goes: a tree kept for the user's files stays."""
    from safepip.venv.state import COMPLETE, write_state

    env_dir = tmp_path / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "bin" / "python").symlink_to(SYSTEM_PYTHON)
    (env_dir / "pyvenv.cfg").write_text(f"home = {os.path.dirname(SYSTEM_PYTHON)}\nversion = 3.11.2\n")
    write_state(str(env_dir), COMPLETE, SYSTEM_PYTHON)
    trash = tmp_path / ".venv.safepip-old-20260101-000000-1"
    (trash / "bin").mkdir(parents=True)
    rebuild.write_journal(str(trash), {"kind": "trash"})
    kept = tmp_path / ".venv.safepip-old-20260101-000000-2"
    kept.mkdir()
    rebuild.write_journal(str(kept), {"kind": "kept"})
    ready = envs.ensure(str(env_dir), BASE, dict(os.environ), quiet)
    assert not ready.created
    assert not trash.exists() and kept.exists()


def test_ready_at_reads_the_interpreter_site_packages_and_pip_once(tmp_path: Path) -> None:
    env = tmp_path / "env"
    site = env / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    found = envs.ready_at(str(env), created=True)
    assert (found.python, found.site_packages, found.has_pip) == (str(env / "bin" / "python"), (str(site),), False)
    assert found.created and found.rebuilt is None
    (site / "pip").mkdir()
    assert envs.ready_at(str(env)).has_pip and not envs.ready_at(str(tmp_path / "nothing")).site_packages


@pytest.mark.parametrize(("cfg", "sees"), [
    ("home = /usr/bin\n", False),
    ("home = /usr/bin\ninclude-system-site-packages = false\n", False),
    ("home = /usr/bin\nInclude-System-Site-Packages = True\n", True),
    (None, None),  # no pyvenv.cfg: not known (the fast path reads it itself and says why it cannot)
])
def test_ready_at_reads_whether_the_environment_sees_the_system_site_packages(
    tmp_path: Path, cfg: str | None, sees: bool | None,
) -> None:
    env = tmp_path / "env"
    env.mkdir()
    if cfg is not None:
        (env / "pyvenv.cfg").write_text(cfg)
    assert envs.ready_at(str(env)).system_site is sees


def _info(site: Path, name: str, record: bool = True) -> Path:
    info = site / f"{name}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.split('-', maxsplit=1)[0]}\nVersion: 1\n")
    if record:
        (info / "RECORD").write_text("")
    return info


def test_torn_finds_dist_infos_without_record_only(tmp_path: Path) -> None:
    site = tmp_path / "env" / "lib" / f"python{SYSTEM_XY}" / "site-packages"
    whole = _info(site, "whole-1.0")
    cut = _info(site, "cut-1.0", record=False)
    _info(site, "~tash-1.0", record=False)  # pip's stash of an uninstall in progress: pip's own
    (site / "not_a_dist").mkdir()
    assert envs.torn(str(tmp_path / "env")) == [str(cut)]
    said: list[str] = []
    assert envs.repair(str(tmp_path / "env"), said.append) == ["cut-1.0"]
    assert not cut.exists() and whole.exists() and (site / "~tash-1.0.dist-info").exists()
    assert len(said) == 1 and "cut-1.0" in said[0] and "no RECORD" in said[0]
    assert envs.repair(str(tmp_path / "env"), said.append) == [] and len(said) == 1


def test_what_a_killed_repair_left_is_swept(tmp_path: Path) -> None:
    site = tmp_path / "env" / "lib" / f"python{SYSTEM_XY}" / "site-packages"
    leftover = site / f"cut-1.0.dist-info{envs.TORN_INFIX}4242"
    leftover.mkdir(parents=True)
    (leftover / "METADATA").write_text("Name: cut\nVersion: 1.0\n")
    assert envs.torn(str(tmp_path / "env")) == []
    envs.repair(str(tmp_path / "env"), print)
    assert not leftover.exists()


def test_locating_an_environment_checks_its_path_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from safepip.commands.target import locate
    from safepip.decide import PROJECT_VENV, Plan
    from safepip.paths import Dirs

    env_dir = tmp_path / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {SYSTEM_XY}.0\n")
    (env_dir / "bin" / "python").symlink_to(SYSTEM_PYTHON)
    checked: list[str] = []
    real_check = envs.check_path

    def check_path(path: str, *, dirs: Dirs | None = None) -> tuple[str, bool]:
        checked.append(path)
        return real_check(path, dirs=dirs)

    monkeypatch.setattr(envs, "check_path", check_path)
    plan = Plan(PROJECT_VENV, "externally managed", ("install", "x"), env_dir=str(env_dir))
    dirs = Dirs({"SAFEPIP_DATA_DIR": str(tmp_path / "data"), "SAFEPIP_CACHE_DIR": str(tmp_path / "cache")})
    target = locate(SimpleNamespace(), plan, dirs=dirs)  # type: ignore[arg-type]
    assert target.exists and target.problem is None and target.python == str(env_dir / "bin" / "python")
    assert checked == [str(env_dir)]  # the path, its tree and whether it is whole: each looked at once
    # What broken() says of it, the same.
    assert envs.broken(str(env_dir), dirs=dirs) is None and checked == [str(env_dir)] * 2


def test_locating_an_environment_looks_at_its_path_and_pyvenv_cfg_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safepip.commands.target import locate
    from safepip.decide import PROJECT_VENV, Plan
    from safepip.paths import Dirs

    env_dir = tmp_path / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {SYSTEM_XY}.0\n")
    (env_dir / "bin" / "python").symlink_to(SYSTEM_PYTHON)
    looks: list[tuple[str, str]] = []
    watched = {str(env_dir), str(env_dir / "pyvenv.cfg")}
    for name in ("stat", "lstat"):
        real = getattr(os, name)

        def counted(path: object, *rest: object, _real: object = real, _name: str = name, **kw: object) -> object:
            if path in watched:
                looks.append((_name, str(path)))
            return _real(path, *rest, **kw)  # type: ignore[operator]

        monkeypatch.setattr(os, name, counted)
    # What the environment's own records say is another check's (venv.state): left out here.
    monkeypatch.setattr(envs, "tree_broken", lambda work, whole, *, dirs=None: None)
    plan = Plan(PROJECT_VENV, "externally managed", ("install", "x"), env_dir=str(env_dir))
    dirs = Dirs({"SAFEPIP_DATA_DIR": str(tmp_path / "data"), "SAFEPIP_CACHE_DIR": str(tmp_path / "cache")})
    target = locate(SimpleNamespace(), plan, dirs=dirs)  # type: ignore[arg-type]
    assert target.exists and target.problem is None
    # A link? What it leads to? An environment? Each asked once (were: 3, 3 and 2 looks).
    assert sorted(looks) == [("lstat", str(env_dir)), ("stat", str(env_dir)), ("stat", str(env_dir / "pyvenv.cfg"))]
