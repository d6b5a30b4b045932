"""Helpers for tests that run safepip and look at what it did."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import IO, Any

import pytest

#: The tests folder (support modules, data/) and the repository root, wherever a test file lives.
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

SYSTEM_PYTHON = "/usr/bin/python3"


def safepip_modules() -> dict[str, Path]:
    """Every module of safepip's source tree by its dotted name (a package by its ``__init__``)."""
    src = ROOT / "src"
    found = {}
    for path in sorted((src / "safepip").rglob("*.py")):
        name = ".".join(path.relative_to(src).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


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


def age_tree(root: Path, seconds: float = 30) -> None:
    """Set back the times of ``root`` and of everything under it (links themselves aside) by
    ``seconds``: out of the racy window in which safepip remembers nothing."""
    past = time.time() - seconds
    for directory, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(directory, name)
            if not path.is_symlink():
                os.utime(path, (past, past))
    os.utime(root, (past, past))


#: Modules only the full path imports (the front door imports neither): one of them in a
#: call's ``-X importtime`` lines says the call was decided afresh, not answered from memory.
FULL_PATH_MODULES = frozenset({"safepip.facts.gather", "safepip.act.flow"})


def run_importtime(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -m safepip`` with ``-X importtime``: the result (its stderr without the
    import lines) and every module it imported. What ran is read from imports, never from timings."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "safepip", *args], cwd=cwd,
                          env=env or safepip_env(), capture_output=True, text=True, check=False)
    lines = done.stderr.splitlines()
    imported = {ln.rsplit("|", 1)[1].strip() for ln in lines if ln.startswith("import time:")}
    stderr = "".join(f"{ln}\n" for ln in lines if not ln.startswith("import time:"))
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout, stderr), imported


def run_full_path(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], bool]:
    """Run safepip as :func:`run_importtime` does: the result and whether the full path ran."""
    done, imported = run_importtime(*args, cwd=cwd, env=env)
    return done, not FULL_PATH_MODULES.isdisjoint(imported)


def install_and_age(project: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """``safepip install ARGS`` in ``project`` (which makes its environment), then every file
    there aged: what the next call reads is old enough to be remembered."""
    done, _ = run_importtime("install", *args, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    age_tree(project)


def pipx_from_pypi(where: Path, version: str) -> Path:
    """A directory (``where/bin``) whose one command is pipx ``version``, installed from PyPI into a
    venv of the system python3 made at ``where/venv``: a test using it has the ``network`` marker."""
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(where / "venv")], check=True, capture_output=True)
    subprocess.run([str(where / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", f"pipx=={version}"],
                   check=True, capture_output=True)
    (where / "bin").mkdir()
    (where / "bin" / "pipx").symlink_to(where / "venv" / "bin" / "pipx")
    return where / "bin"


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


def read_until(stream: IO[str] | None, needle: str, proc: subprocess.Popen[str]) -> str:
    """What ``proc`` wrote to ``stream`` (one of its pipes) up to the line holding ``needle``:
    fails when the stream ends first (the process exited without saying it)."""
    assert stream is not None
    seen = ""
    while needle not in seen:
        line = stream.readline()
        if not line:
            raise AssertionError(f"{needle!r} never came; exit {proc.wait()}; got {seen!r}")
        seen += line
    return seen


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


def count_opens(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """How often each path is opened from now on, by ``os.open`` or ``open`` (the counter fills
    as the test runs; ``monkeypatch`` undoes the wrapping)."""
    import builtins

    opened: collections.Counter[str] = collections.Counter()
    for module, name in ((os, "open"), (builtins, "open")):
        real = getattr(module, name)

        def counted(path: object, *args: object, _real: object = real, **kw: object) -> object:
            opened[str(path)] += 1
            return _real(path, *args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(module, name, counted)
    return opened
