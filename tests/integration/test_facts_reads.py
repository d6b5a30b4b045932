"""Each fact-gatherer reports what it read (``Context.reads``), and the memo signs exactly
that: changing such a file makes a remembered answer stale."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON
from safepip.facts.gather import gather
from safepip.facts.interpreter import Reads
from safepip.facts.pipargs import scan
from safepip.paths import Dirs
from safepip.remembered import store as memo


def _age(root: Path) -> None:
    """Every path under ``root`` (and ``root``) out of the memo's racy window."""
    past = time.time() - 30
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past), follow_symlinks=False)


def _environ(tmp_path: Path, path: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "PATH": path, "SAFEPIP_CACHE_DIR": str(tmp_path / "cache"),
            "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"), "SAFEPIP_NO_PROBE_CACHE": "1"}


def _remembered(reads: Reads, environ: dict[str, str], cwd: Path) -> None:
    argv = ["install", "x"]
    assert memo.remember(argv, environ, str(cwd), reads.paths, "answer\n", "", owned=reads.owned)
    assert memo.replay(argv, environ) == 0, "remembered, and still valid"


def test_the_walk_reports_the_markers_it_looked_for_above_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "home" / "repo"
    (repo / ".git").mkdir(parents=True)
    pkg = repo / "pkg"
    pkg.mkdir()
    (pkg / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    monkeypatch.chdir(pkg)
    environ = _environ(tmp_path, os.path.dirname(SYSTEM_PYTHON))
    ctx = gather(scan(["install", "x"]), environ, {}, cwd=str(pkg), dirs=Dirs(environ))
    assert ctx.project is not None and ctx.project.root == str(pkg)
    # The walk went on to the repository root (.git) and read there only what it looks for.
    assert str(pkg) in ctx.reads.paths and str(pkg / "pyproject.toml") in ctx.reads.paths
    assert str(repo / ".venv" / "pyvenv.cfg") in ctx.reads.paths and str(repo) not in ctx.reads.paths
    assert str(repo) in ctx.reads.owned and str(tmp_path) in ctx.reads.owned
    _age(tmp_path)
    _remembered(ctx.reads, environ, pkg)
    capsys.readouterr()
    (repo / ".venv").mkdir()
    (repo / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")  # the root is now the repository
    assert memo.replay(["install", "x"], environ) is None
    assert capsys.readouterr().out == ""


def test_the_target_reports_what_chose_a_pyenv_shims_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shims = tmp_path / "home" / ".pyenv" / "shims"
    shims.mkdir(parents=True)
    shim = shims / "python3"
    shim.write_text(f'#!/bin/sh\nexec {SYSTEM_PYTHON} "$@"\n')
    shim.chmod(0o755)
    work = tmp_path / "home" / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    environ = _environ(tmp_path, str(shims))
    ctx = gather(scan(["install", "x"]), environ, {}, cwd=str(work), dirs=Dirs(environ))
    assert ctx.interp.path == str(shim) and ctx.interp.how == "PATH"
    assert str(work / ".python-version") in ctx.reads.paths
    assert str(tmp_path / "home" / ".pyenv" / "version") in ctx.reads.paths
    assert str(shims) in ctx.reads.paths  # found on PATH: a new python3 there changes the target
    _age(tmp_path)
    _remembered(ctx.reads, environ, work)
    capsys.readouterr()
    (work / ".python-version").write_text("3.12\n")  # pyenv now runs another interpreter
    assert memo.replay(["install", "x"], environ) is None
