"""Helpers for tests that run safepip and look at what it did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

#: The tests folder (support modules, data/) and the repository root, wherever a test file lives.
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

SYSTEM_PYTHON = "/usr/bin/python3"


def system_base() -> Any:
    """The system interpreter as an environment's base (:class:`safepip.venv.layout.Base`):
    probed, so this starts a process (integration tests only).
    """
    from safepip.facts.interpreter import probe

    return probe(SYSTEM_PYTHON, "the tests", os.environ)
SAFEPIP = os.path.join(sysconfig.get_path("scripts"), "safepip")


_FACTS_CODE = """
import json, os, site, sys, sysconfig
stdlib = sysconfig.get_path('stdlib')
sites = [*site.getsitepackages(), sysconfig.get_path('purelib'), sysconfig.get_path('platlib')]
print(json.dumps({
    'version': list(sys.version_info[:3]),
    'stdlib': stdlib,
    'managed': os.path.isfile(os.path.join(stdlib, 'EXTERNALLY-MANAGED')),
    'sites': sorted(set(sites)),
    'purelib': sysconfig.get_path('purelib'),
}))
"""


def _system_facts() -> dict[str, object]:
    """What the host's own /usr/bin/python3 is (Debian 12: 3.11, Debian 13: 3.13), asked of it."""
    if os.access(SYSTEM_PYTHON, os.X_OK):
        done = subprocess.run([SYSTEM_PYTHON, "-I", "-c", _FACTS_CODE], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return dict(json.loads(done.stdout))
    return {
        "version": list(sys.version_info[:3]), "stdlib": sysconfig.get_path("stdlib"), "managed": False, "sites": [],
        "purelib": sysconfig.get_path("purelib"),
    }


_SYSTEM = _system_facts()
#: The system Python's version, e.g. (3, 11, 2), and "3.11"; its stdlib; its site directories.
SYSTEM_VERSION: tuple[int, int, int] = tuple(_SYSTEM["version"])  # type: ignore[assignment,arg-type]
SYSTEM_XY = f"{SYSTEM_VERSION[0]}.{SYSTEM_VERSION[1]}"
SYSTEM_STDLIB = str(_SYSTEM["stdlib"])
SYSTEM_SITE_DIRS: list[str] = list(_SYSTEM["sites"])  # type: ignore[call-overload]
SYSTEM_PURELIB = str(_SYSTEM["purelib"])
MANAGED = bool(_SYSTEM["managed"])
#: pip's configuration isolated, for oracles that run pip's own code outside a test's fixture.
ISOLATED_PIP = {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

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


def running(marker: str) -> list[int]:
    """The processes (zombies aside) with the argument ``marker`` in their command line (Linux's
    /proc): finds a child that was cut short before it could say its pid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if marker.encode() in argv and state != "Z":
            found.append(int(entry))
    return found
