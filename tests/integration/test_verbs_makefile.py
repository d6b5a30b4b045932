"""examples/Makefile, run as a user would: ``make -j8`` against Debian's /usr/bin/python3,
offline from a local wheelhouse holding the real ``packaging``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import ROOT, SAFEPIP, installed, needs_managed, safepip_env
from wheels import wheel_from_installed

EXAMPLE = ROOT / "examples"

pytestmark = [needs_managed, pytest.mark.slow]


def _make(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed (apt-get install make)")
    return subprocess.run(
        ["make", *args], cwd=cwd, env=safepip_env(), capture_output=True, text=True, check=False, timeout=600
    )


@pytest.fixture
def example(tmp_path: Path) -> tuple[Path, list[str]]:
    """A copy of the example project, and make's variables for an offline safepip (packaging's
    wheel, made from the installed one, in a house of its own)."""
    house = tmp_path / "wheels"
    wheel_from_installed(house, "packaging")
    work = tmp_path / "example"
    shutil.copytree(EXAMPLE, work)
    return work, [f"SAFEPIP={SAFEPIP}", f"PIP_OPTIONS=--no-index --find-links {house}"]


def test_example_makefile_in_parallel(example: tuple[Path, list[str]]) -> None:
    work, options = example
    for attempt in range(3):  # from scratch each time: the race between install and run differs
        done = _make(work, "-j8", *options)
        assert done.returncode == 0, f"attempt {attempt}:\n{done.stdout}\n{done.stderr}"
        venv = work / ".venv"
        assert "packaging" in installed(venv)
        assert f"hello from {venv}\n" in done.stdout
        assert f"python is {venv / 'bin' / 'python'}\n" in done.stdout
        assert "Ran 2 tests" in done.stderr and "\nOK\n" in done.stderr
        assert done.stderr.count("(created)") == 1
        assert "error" not in done.stderr.lower()
        assert _make(work, "clean", *options).returncode == 0
        assert not venv.exists()


def test_second_make_reuses_the_environment(example: tuple[Path, list[str]]) -> None:
    work, options = example
    assert _make(work, "-j8", *options).returncode == 0
    again = _make(work, "-j8", *options)
    assert again.returncode == 0, again.stderr
    assert "safepip install" not in again.stdout  # the stamp is up to date: no second install
    assert "(created)" not in again.stderr
