"""Output conventions: safepip's lines go to stderr, prefixed ``safepip:``, coloured only on
a TTY, never with NO_COLOR, always with FORCE_COLOR; quiet silences notices, not errors."""

from __future__ import annotations

import io
import os
import pty
import subprocess
from pathlib import Path

import pytest

from helpers import SAFEPIP, needs_managed, safepip_env
from inprocess import Cli
from safepip import ui


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environ", "tty", "expected"),
    [
        ({}, False, False),
        ({}, True, True),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: only a non-empty value counts
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": ""}, False, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    ],
)
def test_when_to_colour(environ: dict[str, str], tty: bool, expected: bool) -> None:
    stream = _Tty() if tty else io.StringIO()
    assert ui.use_colour(stream, environ) is expected


def test_lines_are_prefixed_and_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    ui.say("hello", "notice", {})
    ui.say("careful", "warning", {})
    ui.say("broken", "error", {"FORCE_COLOR": "1"})
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "safepip: hello",
        "safepip: warning: careful",
        "\033[1;31msafepip: error:\033[0m broken",
    ]


def test_an_error_off_a_tty_is_uncoloured_unless_forced(tmp_path: Path, cli: Cli) -> None:
    done = cli("which", "nonsense", cwd=tmp_path)
    assert done.returncode == 64
    assert done.stderr.startswith("safepip: error: ")
    assert "\033[" not in done.stderr
    forced = cli("which", "nonsense", cwd=tmp_path, env={"FORCE_COLOR": "1"})
    assert forced.stderr.startswith("\033[1;31msafepip: error:\033[0m ")


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
