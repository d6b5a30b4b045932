"""The hand-over's reading of pip command lines (safepip.runner): which interpreter's
environment a command line made by pip_argv works on."""

from __future__ import annotations

from safepip.runner import module_argv, pip_argv, pip_python


def test_pip_python_is_the_interpreter_that_runs_pip() -> None:
    assert pip_python(pip_argv("/env/bin/python", ["install", "x"])) == "/env/bin/python"


def test_pip_python_is_the_one_own_pip_drives() -> None:
    # safepip's own pip driving an environment without one: --python before the command.
    argv = pip_argv("/usr/bin/python3", ["--python", "/env/bin/python", "install", "x"])
    assert pip_python(argv) == "/env/bin/python"


def test_pip_python_of_another_command_line_is_none() -> None:
    assert pip_python(["/usr/bin/python3", "-m", "pip", "install", "x"]) is None
    assert pip_python(module_argv("/usr/bin/python3", "pip", ["install"])) is None
