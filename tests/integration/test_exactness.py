"""The fast path and the remembered answers against pip itself, over random sequences of
changes to the environment between calls.

Each step changes the environment behind safepip's back (pip uninstalls or installs, a
METADATA edited in place, a ``.pth`` switched to another directory with its size and
modification time kept, pip.conf changed, the target interpreter switched: ``python3`` on
PATH is a wrapper that runs either Debian's managed python3, whose installs go to the
project's ``.venv``, or another environment's python, whose installs go to it, rewritten
with its modification time kept), ages every file (so that the memo may answer),
then asks pip ``install --dry-run --report`` whether anything would be installed, and runs
``safepip install``: when pip would install something, safepip must not answer "satisfied"
(from the fast path or from memory). The seed is in every failure message;
EXACT_SEED replays one.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from helpers import SYSTEM_PYTHON, age_tree, needs_managed, offline, run_safepip, safepip_env, venv_python
from wheels import make_wheel

pytestmark = [needs_managed, pytest.mark.slow]

STEPS = 6  # as many as there are kinds of change


def _would_install(python: str, house: Path, req: str, cwd: Path) -> list[str] | None:
    """What pip would install (None: pip would fail, e.g. nothing provides it)."""
    done = subprocess.run(
        [python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-", *offline(house), req],
        capture_output=True, text=True, check=False, cwd=cwd,
    )
    if done.returncode != 0:
        return None
    return [item["metadata"]["name"] for item in json.loads(done.stdout)["install"]]


def _set_version(info: Path, version: str) -> None:
    meta = info / "METADATA"
    stamp = meta.stat()
    lines = [f"Version: {version}" if line.startswith("Version:") else line for line in meta.read_text().splitlines()]
    meta.write_text("\n".join(lines) + "\n")
    os.utime(meta, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))


def test_answers_agree_with_pip_over_random_changes(project: Path, tmp_path: Path) -> None:  # noqa: PLR0915 - one sequence
    seed = int(os.environ.get("EXACT_SEED") or int.from_bytes(os.urandom(4), "big"))
    rng = random.Random(seed)
    house = tmp_path / "house"
    for version in ("1.0", "2.0"):
        make_wheel(house, "lib-a", version)
    make_wheel(house, "lib-b", "1.0", requires=["lib-a>=1.0"])
    assert run_safepip("install", *offline(house), "lib-b", cwd=project).returncode == 0
    env_dir = project / ".venv"
    python = venv_python(env_dir)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    # A directory a .pth can point at, holding lib-z; and one holding nothing.
    with_z, empty = project / "with-z", project / "empty1"
    empty.mkdir()
    info = with_z / "lib_z-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lib-z\nVersion: 1.0\n")
    (info / "RECORD").write_text("")
    pth = site / "zz-extra.pth"
    pth.write_text(f"{with_z}\n")
    conf = Path(os.environ["PIP_CONFIG_FILE"])
    conf.parent.mkdir(parents=True, exist_ok=True)
    # The other target: an environment of its own (not externally managed: pip installs there).
    other = tmp_path / "other"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-setuptools", "-p", SYSTEM_PYTHON,
                    str(other)], check=True, capture_output=True)
    subprocess.run([venv_python(other), "-m", "pip", "install", "-q", *offline(house), "lib-a==1.0"], check=True)
    switch = tmp_path / "switch" / "python3"
    switch.parent.mkdir()
    targets = {SYSTEM_PYTHON: python, venv_python(other): venv_python(other)}  # target -> where pip installs
    current = [SYSTEM_PYTHON]
    switch.write_text(f"#!/bin/sh\nexec {SYSTEM_PYTHON} \"$@\"\n")
    switch.chmod(0o755)
    env = safepip_env(PATH=f"{switch.parent}:/usr/bin:/bin")

    def pip(*args: str) -> str:
        where = offline(house) if args[0] == "install" else []
        subprocess.run([python, "-m", "pip", *args, *where], capture_output=True, check=False)
        return " ".join(args[:1])

    def pip_conf() -> str:
        conf.write_text(rng.choice(["", "[install]\nupgrade = true\n", "[global]\nquiet = 0\n", "[:env:]\nupgrade = true\n"]))
        return "pip.conf changed"

    def switch_pth() -> str:
        stamp = pth.stat()
        now = pth.read_text()
        pth.write_text(f"{empty}\n" if str(with_z) in now else f"{with_z}\n")  # the same length
        os.utime(pth, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        return "switched the .pth"

    def switch_python() -> str:
        stamp = switch.stat()
        current[0] = venv_python(other) if current[0] == SYSTEM_PYTHON else SYSTEM_PYTHON
        switch.write_text(f"#!/bin/sh\nexec {current[0]} \"$@\"\n")
        os.utime(switch, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        return f"python3 runs {current[0]}"

    def metadata() -> str:
        found = sorted(site.glob("lib_a-*.dist-info"))
        if not found:
            return "no lib-a to edit"
        version = rng.choice(["0.5", "1.0", "2.0"])
        _set_version(found[0], version)
        return f"lib-a's METADATA says {version}"

    changes: dict[str, Callable[[], str]] = {
        "uninstall": lambda: pip("uninstall", "-y", "-q", rng.choice(["lib-a", "lib-b"])),
        "install": lambda: pip("install", "-q", rng.choice(["lib-a==1.0", "lib-a==2.0", "lib-b"])),
        "metadata": metadata,
        "pth": switch_pth,
        "pip.conf": pip_conf,
        "interpreter": switch_python,
    }
    history: list[str] = []
    kinds = sorted(changes)
    rng.shuffle(kinds)  # every kind of change at least once, in a random order
    for step in range(STEPS):
        req = rng.choice(["lib-a", "lib-a>=2", "lib-b", "lib-z"])
        for phase in ("before", "after"):
            if phase == "after":  # the same command line again, once the environment changed
                history.append(changes[kinds[step] if step < len(kinds) else rng.choice(kinds)]())
            age_tree(project)
            age_tree(conf.parent)
            age_tree(switch.parent)
            wanted = _would_install(targets[current[0]], house, req, project)
            for _ in range(2):  # the second call may be answered from memory
                done = run_safepip("install", *offline(house), req, cwd=project, env=env)
                context = f"seed {seed}, step {step} {phase}, {req}, after {history}: pip would install {wanted}"
                if wanted is None:  # lib-z is nowhere else: pip fails, and safepip must not say "satisfied"
                    assert done.returncode != 0 and "already satisfied" not in done.stdout, f"{context}: {done.stdout}"
                    continue
                assert done.returncode == 0, f"{context}: {done.stderr}"
                if wanted:
                    assert "Successfully installed" in done.stdout, f"{context}: {done.stdout}"
                    wanted = _would_install(targets[current[0]], house, req, project)
                    assert wanted == [], f"{context}: safepip installed, yet where the target installs pip still would"
                else:
                    assert "Successfully installed" not in done.stdout, f"{context}: {done.stdout}"
