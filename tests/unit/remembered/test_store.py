"""Remembered answers as the front door writes them after the fast path's check of a new
command line: the signatures the recalled decision has just checked are taken, not read again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import pytest

from remembering import aged_paths, count_stats
from safepip import paths
from safepip.remembered import store


def test_signatures_just_checked_are_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    there, gone, mine = aged_paths(tmp_path)
    paths, owned = [str(there), str(gone)], [str(mine)]
    argv, cwd = ["install", "lib-a"], str(tmp_path)
    assert store.remember(argv, dict(os.environ), cwd, paths, "out", "err", owned=owned)
    read_first = store.recall(argv, dict(os.environ), cwd)
    assert read_first is not None
    known = {str(there): store.signature(str(there)), str(gone): None, str(mine): store.signature(str(mine))}
    asked = count_stats(monkeypatch)
    assert store.remember(argv, dict(os.environ), cwd, paths, "out", "err", owned=owned, known=known)
    assert sorted(set(asked) & {*paths, *owned}) == []
    assert store.recall(argv, dict(os.environ), cwd) == read_first  # the same memo


class _Counted(dict):  # type: ignore[type-arg]
    """An environment that counts how often it is gone through (each key's variables)."""

    walks = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        type(self).walks += 1
        return super().__iter__()


def _project_and_below(tmp_path: Path) -> tuple[Path, Path, Path, _Counted]:
    """``base``, a project there and a directory below it, and an environment whose walks are counted."""
    base = tmp_path.resolve()
    project, below = base / "project", base / "project" / "sub"
    below.mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    environ = _Counted(PATH=os.environ.get("PATH", os.defpath), HOME=str(base), SAFEPIP_CACHE_DIR=str(base / "cache"))
    return base, project, below, environ


def test_a_decision_is_looked_up_here_then_at_the_anchor_with_one_key_and_one_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, project, below, environ = _project_and_below(tmp_path)
    route = (str(base / "bin"), None)
    assert store.remember([store.ANCHORED, store.RUN], environ, str(project), [], "", "", route=route)
    monkeypatch.chdir(below)
    worked_out: list[str] = []
    real_cache_dir = paths.cache_dir

    def cache_dir(env: Mapping[str, str]) -> str:
        worked_out.append("cache")
        return real_cache_dir(env)

    monkeypatch.setattr(paths, "cache_dir", cache_dir)
    _Counted.walks = 0
    found = store.recall_decision((store.RUN,), environ)
    assert found is not None and found[0][3] == route and found[1] == (str(below),)
    # Two lookups (here, then the anchor's): the environment's part of both keys, and where
    # they are kept, worked out once.
    assert (_Counted.walks, worked_out) == (1, ["cache"])
    # And with the call's directories, where the full path finds the cache directory already worked out.
    dirs = paths.Dirs(environ)
    assert store.recall_decision((store.RUN,), environ, dirs) == found
    assert dirs.linux_cache == str(base / "cache") and worked_out == ["cache", "cache"]


def test_a_failed_lookup_hands_on_its_key_and_anchor_to_what_the_call_remembers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from safepip.facts import walkup
    from safepip.remembered import record

    base, project, below, environ = _project_and_below(tmp_path)
    monkeypatch.chdir(below)
    found, looked = store.look_up_decision((store.RUN,), environ)
    assert found is None and looked is not None
    assert looked.cwd == str(below) and looked.spot == (str(project), (str(below),))
    walks: list[str] = []
    real_anchor = walkup.anchor

    def anchor(cwd: str, env: Mapping[str, str]) -> object:
        walks.append(cwd)
        return real_anchor(cwd, env)

    monkeypatch.setattr(walkup, "anchor", anchor)
    ctx = SimpleNamespace(project=object(), cwd=str(below), interp=SimpleNamespace(path="/usr/bin/python3"))
    # The anchor found by the lookup, not walked to again; the walk for another directory.
    assert record._anchor(ctx, environ, looked) == looked.spot and walks == []  # type: ignore[arg-type]
    ctx.cwd = str(project)
    assert record._anchor(ctx, environ, looked) == (str(project), ()) and walks == [str(project)]  # type: ignore[arg-type]
    # The environment's part of the key, as the lookup worked it out: not gone through again.
    route = (str(base / "bin"), None)
    _Counted.walks = 0
    assert store.remember([store.ANCHORED, store.RUN], environ, str(project), [], "", "", route=route, lookup=looked)
    assert _Counted.walks == 0
    found = store.recall_decision((store.RUN,), environ)
    assert found is not None and found[0][3] == route and found[1] == (str(below),)
