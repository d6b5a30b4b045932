"""Each fact-gatherer reports what it read (``Context.reads``), and the memo signs exactly
that: changing such a file makes a remembered answer stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON
from safepip.facts.gather import gather
from safepip.facts.pipargs import scan
from safepip.paths import Dirs


def _environ(tmp_path: Path, path: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "PATH": path, "SAFEPIP_CACHE_DIR": str(tmp_path / "cache"),
            "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"), "SAFEPIP_NO_PROBE_CACHE": "1"}


def test_a_named_venv_is_decided_without_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / "v"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / "bin" / "python").symlink_to(SYSTEM_PYTHON)
    (tmp_path / "home").mkdir(exist_ok=True)
    monkeypatch.chdir(tmp_path / "home")
    environ = {**_environ(tmp_path, ""), "VIRTUAL_ENV": str(env)}
    ctx = gather(scan(["install", "x"]), environ, {}, cwd=str(tmp_path / "home"), dirs=Dirs(environ))
    assert ctx.reads.owned == ()  # no walk: no directory's owner counts
    assert str(env / "bin" / "python") in ctx.reads.paths and str(tmp_path / "home") not in ctx.reads.paths
