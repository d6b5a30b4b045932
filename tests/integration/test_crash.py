"""kill -9 at random instants, during creation and during install: the next run always works.

Each trial kills the process (safepip, or pip once safepip has exec'd into it) with SIGKILL
at an instant drawn uniformly over the length of an uninterrupted run measured in the same
test (the shortest seen so far: a trial that ended before its instant is one, when the machine's
load dropped), then runs ``safepip install`` again and checks that it succeeds and leaves a working
environment (its python runs, pip runs, the package imports, ``pip check`` passes). The seed
is in every failure message; set SAFEPIP_CRASH_SEED to replay one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers import SAFEPIP, needs_managed, offline, run_safepip, safepip_env, venv_python
from wheels import make_wheel

pytestmark = [needs_managed, pytest.mark.slow]

TRIALS = 12  # per test: 24 in all


def _seed() -> int:
    return int(os.environ.get("SAFEPIP_CRASH_SEED") or int.from_bytes(os.urandom(4), "big"))


def _kill_after(argv: list[str], cwd: Path, delay: float) -> tuple[bool, str, float | None]:
    """Start safepip, SIGKILL it after ``delay`` seconds; return (was it still running, stderr,
    how long it took when it ended on its own, successfully)."""
    start = time.monotonic()
    proc = subprocess.Popen([SAFEPIP, *argv], cwd=cwd, env=safepip_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate()
    took = time.monotonic() - start if proc.returncode == 0 else None
    return proc.returncode == -signal.SIGKILL, err.decode(errors="replace"), took


def _timed(argv: list[str], cwd: Path) -> float:
    start = time.monotonic()
    done = run_safepip(*argv, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - start


def _assert_works(env_dir: Path, module: str, version: str, context: str) -> None:
    python = venv_python(env_dir)
    code = f"import {module}; assert {module}.VERSION == {version!r}, {module}.VERSION"
    ran = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, f"{context}: {ran.stderr}"
    check = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, f"{context}: pip check: {check.stdout}{check.stderr}"
    leftovers = [p.name for p in env_dir.parent.iterdir() if ".safepip-old-" in p.name]
    assert not leftovers, f"{context}: {leftovers}"


def _bulky(house: Path, name: str, version: str) -> None:
    """A wheel with many files, so that pip spends a while writing it (more instants to hit)."""
    files = {f"{name.replace('-', '_')}_data/part{i}.py": (f"X = {i}\n" * 200).encode() for i in range(150)}
    make_wheel(house, name, version, files=files, requires=["crash-dep"])


def test_kill_during_creation(tmp_path: Path) -> None:
    seed = _seed()
    rng = random.Random(seed)
    house = tmp_path / "house"
    _bulky(house, "crash-lib", "1.0")
    make_wheel(house, "crash-dep", "1.0")
    argv = ["install", *offline(house), "crash-lib"]

    def fresh(name: str) -> Path:
        root = tmp_path / name
        root.mkdir()
        (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
        return root

    # Uninterrupted runs (creation and install) give the span to draw instants from: the
    # shorter of two, since the first can be slowed by cold caches or a loaded machine.
    span = min(_timed(argv, fresh("measure")), _timed(argv, fresh("measure-again")))
    hits = 0
    for trial in range(TRIALS):
        context = f"seed {seed}, trial {trial}"
        root = fresh(f"p{trial}")
        delay = rng.uniform(0, span)
        killed, _err, ran = _kill_after(argv, root, delay)
        hits += killed
        if ran is not None:  # a whole run, shorter than the span (the machine's load dropped): aim within it
            span = min(span, ran)
        again = run_safepip(*argv, cwd=root)
        assert again.returncode == 0, f"{context} (killed after {delay:.2f}s): {again.stderr}"
        assert "Traceback" not in again.stderr
        _assert_works(root / ".venv", "crash_lib", "1.0", context)
        state = (root / ".venv" / ".safepip.json").read_text()
        assert '"complete"' in state, context
    assert hits >= TRIALS // 2, f"seed {seed}: only {hits} of {TRIALS} kills hit a running process"


def test_kill_during_install(project: Path, tmp_path: Path) -> None:
    seed = _seed()
    rng = random.Random(seed)
    house = tmp_path / "house"
    make_wheel(house, "crash-dep", "1.0")
    for trial in range(TRIALS + 1):
        _bulky(house, "crash-lib", f"1.{trial}")
    first = ["install", *offline(house), "crash-lib==1.0"]
    assert run_safepip(*first, cwd=project).returncode == 0
    # An upgrade: pip stashes the old version, writes the new one, then drops the stash.
    span = min(_timed(["install", *offline(house), f"crash-lib=={v}"], project) for v in ("1.1", "1.0"))
    hits = 0
    for trial in range(2, TRIALS + 1):
        context = f"seed {seed}, trial {trial}"
        wanted = f"1.{trial}"
        delay = rng.uniform(0, span)
        killed, _, ran = _kill_after(["install", *offline(house), f"crash-lib=={wanted}"], project, delay)
        hits += killed
        if ran is not None:  # a whole run, shorter than the span (the machine's load dropped): aim within it
            span = min(span, ran)
        # The user's next step after a crash: run the same install again.
        again = run_safepip("install", *offline(house), f"crash-lib=={wanted}", cwd=project)
        assert again.returncode == 0, f"{context} (killed after {delay:.2f}s): {again.stderr}"
        assert "Traceback" not in again.stderr
        _assert_works(project / ".venv", "crash_lib", wanted, context)
    assert hits >= (TRIALS - 1) // 2, f"seed {seed}: only {hits} kills hit a running process"
