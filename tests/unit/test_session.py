"""How a call speaks (safepip.session's say): safepip's lines go to stderr, prefixed
``safepip:``, coloured only on a TTY, never with NO_COLOR, always with FORCE_COLOR; quiet
silences notices, not errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from inprocess import Cli
from safepip import session


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
    assert session.use_colour(stream, environ) is expected


def test_lines_are_prefixed_and_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    session.say("hello", "notice", {})
    session.say("careful", "warning", {})
    session.say("broken", "error", {"FORCE_COLOR": "1"})
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


def test_a_session_keeps_the_directories_the_front_door_worked_out(tmp_path: Path) -> None:
    from safepip.paths import Dirs

    environ = {"SAFEPIP_CACHE_DIR": str(tmp_path / "cache")}
    dirs = Dirs(environ)
    assert dirs.cache == str(tmp_path / "cache")  # worked out (as the front door's recall does)
    assert session.Session(environ, dirs=dirs).dirs is dirs
    assert session.Session(environ).dirs is not dirs
