"""Output conventions: safepip's lines go to stderr, prefixed ``safepip:``, coloured only on
a TTY, never with NO_COLOR, always with FORCE_COLOR; quiet silences notices, not errors."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from helpers import SAFEPIP, needs_managed, safepip_env
from inprocess import Cli


def _on_a_tty(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run safepip with stderr on a pseudo-terminal; return what it wrote there."""
    main, sub = pty.openpty()
    with subprocess.Popen(
        [SAFEPIP, *args], cwd=str(cwd), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sub
    ) as proc:
        os.close(sub)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode()


def test_colour_on_a_tty_unless_no_color(tmp_path: Path) -> None:
    assert "\033[1;31msafepip: error:" in _on_a_tty(["which", "nonsense"], tmp_path, safepip_env())
    plain = _on_a_tty(["which", "nonsense"], tmp_path, safepip_env(NO_COLOR="1"))
    assert plain.startswith("safepip: error:")
    assert "\033[" not in plain


@needs_managed
@pytest.mark.slow
def test_quiet_silences_the_creation_notice_of_run(project: Path, cli: Cli) -> None:
    done = cli("run", "python", "-c", "pass", cwd=project, env={"SAFEPIP_QUIET": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.started[-1] == ("exec", [str(project / ".venv" / "bin" / "python"), "-c", "pass"])
    assert (project / ".venv").is_dir()
