"""Run ``safepip.cli.main([...])`` in-process with a runner that records what it would start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pytest

from safepip.cli import main
from safepip.runner import Runner


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


class Live(Recorder):
    """Records each exec and call, and runs it for real as a child whose output goes to this
    process's ``sys.stdout`` and ``sys.stderr`` (so that ``capsys`` sees pip's output beside
    safepip's): safepip's decisions in-process, pip's real work in its own process.
    """

    def exec(self, argv: Sequence[str], env: Mapping[str, str]) -> int:
        super().exec(argv, env)
        return self._child(argv, env)

    def call(self, argv: Sequence[str], env: Mapping[str, str] | None) -> int:
        super().call(argv, env)
        return self._child(argv, env)

    @staticmethod
    def _child(argv: Sequence[str], env: Mapping[str, str] | None) -> int:
        done = subprocess.run(
            list(argv), env=None if env is None else dict(env), stdin=subprocess.DEVNULL, capture_output=True,
            text=True, encoding="utf-8", errors="replace", check=False,
        )
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        return done.returncode


def run_main(
    args: Sequence[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str] | None = None,
    live: bool = False,
) -> tuple[int, Recorder]:
    """``main(args)`` in ``cwd`` with ``env`` set on top of the test's (undone afterwards);
    ``live``: the programs it starts really run (see :class:`Live`).
    """
    recorder = Live() if live else Recorder()
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


@dataclass
class Done:
    """What an in-process ``safepip ARGS`` did: exit code, stdout, stderr, what it would have started."""

    returncode: int
    stdout: str
    stderr: str
    started: list[tuple[str, list[str]]]


class Cli:
    """``safepip ARGS`` in-process (the ``cli`` fixture): like ``helpers.run_safepip``, but
    nothing is exec'd; ``env`` is set on top of the test's environment, ``unset`` removed.
    With ``live`` (the ``live`` fixture) what safepip starts really runs, as a child.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], live: bool = False) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.live = live

    def __call__(
        self, *args: str, cwd: Path | str, env: Mapping[str, str] | None = None, unset: Sequence[str] = ()
    ) -> Done:
        self.capsys.readouterr()
        with self.monkeypatch.context() as patch:
            for name in unset:
                patch.delenv(name, raising=False)
            code, recorder = run_main(args, Path(cwd), patch, env, live=self.live)
        out, err = self.capsys.readouterr()
        return Done(code, out, err, recorder.started)

    def json(self, verb: str, *args: str, cwd: Path | str, env: Mapping[str, str] | None = None) -> dict[str, object]:
        """``safepip VERB --json ARGS`` in-process: its report, checked against the schema
        docs/commands.md documents for VERB; a report-only verb starts nothing."""
        from jsonshape import documented_schema, errors

        done = self(verb, "--json", *args, cwd=cwd, env=env)
        assert done.returncode == 0, done.stderr
        assert done.started == []
        data = json.loads(done.stdout)
        problems = errors(data, documented_schema(verb))
        assert not problems, problems
        return dict(data)
