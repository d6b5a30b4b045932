"""Choosing the target interpreter, and the probe cache."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from helpers import MANAGED, SYSTEM_PYTHON
from safepip.errors import InterpreterError
from safepip.facts import interpreter
from safepip.facts.interpreter import probe


def exe(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The interpreters probed (each a process started), in order."""
    calls: list[str] = []
    real = interpreter.run_probe

    def counting(path: str) -> dict[str, Any]:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(interpreter, "run_probe", counting)
    return calls


@pytest.mark.skipif(not MANAGED, reason="needs Debian's managed python3")
def test_probe_is_cached_and_marker_rechecked(tmp_path: Path, probes: list[str]) -> None:
    env = dict(os.environ)
    first = probe(SYSTEM_PYTHON, "PATH", env)
    second = probe(SYSTEM_PYTHON, "PATH", env)
    assert first == second
    assert first.managed
    assert probes == [SYSTEM_PYTHON]


def test_scripts_are_not_cached(tmp_path: Path, probes: list[str]) -> None:
    shim = exe(tmp_path / "shim", f"#!/bin/sh\nexec {SYSTEM_PYTHON} \"$@\"\n")
    probe(str(shim), "PATH", dict(os.environ))
    probe(str(shim), "PATH", dict(os.environ))
    assert len(probes) == 2


def test_python2_is_refused_clearly() -> None:
    py2 = "/root/.pyenv/versions/2.7.18/bin/python"
    if not os.path.exists(py2):
        pytest.skip("no Python 2 on this machine")
    with pytest.raises(InterpreterError, match=r"is Python 2\.7\.\d+; safepip drives CPython 3.8 or newer"):
        probe(py2, "--python", dict(os.environ))


def test_a_non_python_program_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InterpreterError, match="not a working Python interpreter"):
        probe("/bin/true", "--python", dict(os.environ))
