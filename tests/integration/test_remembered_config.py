"""A remembered no-op answer is never replayed once pip's configuration changes in any file
pip reads, whatever the section (``[:env:]`` included): the memo holds the signature of
every such file, present or absent."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpers import installed, needs_managed, offline, run_safepip, safepip_env
from safepip.remembered import store as memo
from wheels import make_wheel


@needs_managed
@pytest.mark.slow
@pytest.mark.parametrize("where", ["env", "user", "machine", "site"])
def test_an_env_section_written_anywhere_pip_reads_stops_the_replay(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str,
) -> None:
    house = tmp_path / "house"
    make_wheel(house, "lib-a", "1.0")
    args = ["install", *offline(house), "lib-a"]
    env = safepip_env()
    assert run_safepip(*args, cwd=project, env=env).returncode == 0
    make_wheel(house, "lib-a", "2.0")  # what an upgrade would take
    time.sleep(memo.RACY + 0.2)  # out of the racy window
    first = run_safepip(*args, cwd=project, env=env)
    assert "Requirement already satisfied: lib-a" in first.stdout, first.stderr
    monkeypatch.chdir(project)
    assert memo.replay(args, env) == 0, "the no-op answer was not remembered"
    capsys.readouterr()
    conf = {
        "env": Path(env["PIP_CONFIG_FILE"]),
        "user": Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf",
        "machine": Path(env["XDG_CONFIG_DIRS"]) / "pip" / "pip.conf",
        "site": project / ".venv" / "pip.conf",
    }[where]
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text("[:env:]\nupgrade = true\n")
    past = time.time() - 30
    os.utime(conf, (past, past))
    assert memo.replay(args, env) is None
    done = run_safepip(*args, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert installed(project / ".venv")["lib-a"] == "2.0"  # pip upgraded, as the section says
