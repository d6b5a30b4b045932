"""Helpers for tests that run safepip and look at what it did."""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
SAFEPIP = os.path.join(sysconfig.get_path("scripts"), "safepip")


def _system_python_is_managed() -> bool:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    done = subprocess.run(
        [SYSTEM_PYTHON, "-I", "-c", "import sysconfig,os;print(os.path.isfile(os.path.join(sysconfig.get_path('stdlib'),'EXTERNALLY-MANAGED')))"],
        capture_output=True, text=True, check=False,
    )
    return done.stdout.strip() == "True"


MANAGED = _system_python_is_managed()
needs_managed = pytest.mark.skipif(not MANAGED, reason="/usr/bin/python3 is not an externally managed Python here")


def safepip_env(**extra: str) -> dict[str, str]:
    """The environment for a safepip subprocess: the test's, with PATH such that python3 is
    Debian's /usr/bin/python3 (and safepip's own bin directory is not on it)."""
    env = dict(os.environ)
    env["PATH"] = "/usr/bin:/bin"
    env.update(extra)
    return env


def run_safepip(
    *args: str, cwd: Path | str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``safepip`` console script in a subprocess."""
    return subprocess.run(
        [SAFEPIP, *args], cwd=str(cwd), env=env if env is not None else safepip_env(),
        capture_output=True, text=True, input=input, timeout=timeout, check=False,
    )


def offline(house: Path) -> list[str]:
    """pip options for an offline install from ``house``."""
    return ["--no-index", "--find-links", str(house)]


def venv_python(env_dir: Path) -> str:
    return str(env_dir / "bin" / "python")


def installed(env_dir: Path) -> dict[str, str]:
    """name -> version of what is installed in a virtual environment."""
    code = "import importlib.metadata as m, json; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    done = subprocess.run([venv_python(env_dir), "-I", "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))
