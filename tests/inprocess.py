"""Run ``safepip.cli.main([...])`` in-process with a runner that records what it would start."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping, Sequence

import pytest

from safepip.act.run import Runner
from safepip.cli import main


class Recorder(Runner):
    """Records each exec and call (returning 0) instead of starting it; captures run for real."""

    def __init__(self) -> None:
        self.started: list[tuple[str, list[str]]] = []

    def exec(self, argv: Sequence[str], env: Mapping[str, str]) -> int:
        self.started.append(("exec", list(argv)))
        return 0

    def call(self, argv: Sequence[str], env: Mapping[str, str] | None) -> int:
        self.started.append(("call", list(argv)))
        return 0


def run_main(
    args: Sequence[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str] | None = None
) -> tuple[int, Recorder]:
    """``main(args)`` in ``cwd`` with ``env`` set on top of the test's (undone afterwards)."""
    recorder = Recorder()
    with monkeypatch.context() as patch:
        patch.chdir(cwd)
        patch.setenv("PATH", "/usr/bin:/bin")
        for key, value in (env or {}).items():
            patch.setenv(key, value)
        code = main(list(args), runner=recorder)
    return code, recorder


def explain_json(
    args: Sequence[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    env: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """``safepip explain --json ARGS`` in-process: the parsed report."""
    capsys.readouterr()
    code, recorder = run_main(["explain", "--json", *args], cwd, monkeypatch, env)
    out = capsys.readouterr().out
    assert code == 0, out
    assert recorder.started == []  # explain starts nothing but probes and downloads
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def same_scratch(argv: Sequence[str]) -> list[str]:
    """``argv`` with the classification scratch directory (a fresh name each run) made equal."""
    out = []
    for arg in argv:
        parts = arg.split(os.sep)
        out.append(os.sep.join("classify-*" if p.startswith("classify-") else p for p in parts))
    return out
