"""The hand-over's reading of pip command lines (safepip.runner): which interpreter's
environment a command line made by pip_argv works on."""

from __future__ import annotations

from typing import Mapping, Sequence

import pytest

from safepip.runner import Runner, call, module_argv, pip_argv, pip_python
from safepip.session import Session


def test_pip_python_is_the_interpreter_that_runs_pip() -> None:
    assert pip_python(pip_argv("/env/bin/python", ["install", "x"])) == "/env/bin/python"


def test_pip_python_is_the_one_own_pip_drives() -> None:
    # safepip's own pip driving an environment without one: --python before the command.
    argv = pip_argv("/usr/bin/python3", ["--python", "/env/bin/python", "install", "x"])
    assert pip_python(argv) == "/env/bin/python"


def test_pip_python_of_another_command_line_is_none() -> None:
    assert pip_python(["/usr/bin/python3", "-m", "pip", "install", "x"]) is None
    assert pip_python(module_argv("/usr/bin/python3", "pip", ["install"])) is None


def test_a_program_that_cannot_start_is_said_the_session_s_way(capsys: pytest.CaptureFixture[str]) -> None:
    """runner.call says it with the say the session hands to the runner block it enters (the
    runner, below the session, imports none of it): one line, exit code 127."""

    class Missing(Runner):
        def call(self, argv: Sequence[str], env: Mapping[str, str] | None) -> int:
            raise FileNotFoundError(2, "No such file or directory")

    with Session({}, runner=Missing()):
        assert call(["/no/such/program", "x"], {}) == 127
    assert capsys.readouterr().err == "safepip: error: cannot run /no/such/program: No such file or directory\n"
