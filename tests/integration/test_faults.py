"""One line for every fault: each configuration source and path input fed each fault.

Every case must end in exactly one ``safepip: error:`` line on stderr, a documented exit
code of safepip's own (never 70, "internal error"), no traceback, and nothing changed in the
project (no environment created). The faults: nesting 10,000 deep, NUL bytes, invalid UTF-8
contents and file names, undecodable or non-ASCII paths under ``PYTHONIOENCODING=ascii`` and
``LANG=C``, a 50 MB pyproject, a probe that never answers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from helpers import SAFEPIP, SYSTEM_PYTHON, needs_managed, run_safepip, running, safepip_env

pytestmark = [needs_managed]

DOCUMENTED = {64, 65, 69, 73, 75, 77, 78}
DEEP = "x = " + "[" * 10_000 + "]" * 10_000 + "\n"
DEEP_TABLE = "x = " + "{a = " * 10_000 + "1" + "}" * 10_000 + "\n"


@dataclass(frozen=True)
class Fault:
    """One row: how to lay the fault out (in the project root and the user's config
    directory), the command, extra environment, and the exit code expected."""

    name: str
    lay: Callable[[Path, Path], None]
    argv: tuple[str, ...] = ("install", "lib-a")
    env: dict[str, str] = field(default_factory=dict)
    code: int = 78
    project: bytes = b"proj"


def _pyproject(text: str | bytes) -> Callable[[Path, Path], None]:
    def lay(root: Path, _config: Path) -> None:
        data = text.encode() if isinstance(text, str) else text
        (root / "pyproject.toml").write_bytes(data)

    return lay


def _user(text: str | bytes) -> Callable[[Path, Path], None]:
    def lay(_root: Path, config: Path) -> None:
        config.mkdir(parents=True, exist_ok=True)
        data = text.encode() if isinstance(text, str) else text
        (config / "config.toml").write_bytes(data)

    return lay


def _nothing(_root: Path, _config: Path) -> None:
    pass


def _big(root: Path, _config: Path) -> None:
    with open(root / "pyproject.toml", "w") as handle:
        handle.write("[tool.safepip]\nvenv = '.venv'\n")
        line = "# " + "x" * 1022 + "\n"
        for _ in range(50 * 1024):
            handle.write(line)


FAULTS = [
    Fault("pyproject nested arrays", _pyproject("[tool.safepip]\n" + DEEP)),
    Fault("pyproject nested tables", _pyproject("[tool.safepip]\n" + DEEP_TABLE)),
    Fault("user file nested arrays", _user(DEEP)),
    Fault("user file nested tables", _user(DEEP_TABLE)),
    Fault("pyproject NUL in venv", _pyproject('[tool.safepip]\nvenv = "a\\u0000b"\n')),
    Fault("pyproject NUL in python", _pyproject('[tool.safepip]\npython = "py\\u0000thon"\n')),
    Fault("user file NUL in trusted", _user('trusted = ["/a\\u0000b"]\n')),
    Fault("user file NUL in venv", _user('venv = "\\u0000"\n')),
    Fault("pyproject raw NUL byte", _pyproject(b"[tool.safepip]\nvenv = 'a\x00b'\n")),
    Fault("pyproject invalid UTF-8", _pyproject(b"[tool.safepip]\nvenv = '\xff\xfe'\n")),
    Fault("user file invalid UTF-8", _user(b"venv = '\xff'\n")),
    Fault("pyproject 50 MB", _big),
    Fault("SAFEPIP_VENV undecodable", _nothing, env={"SAFEPIP_VENV": os.fsdecode(b"/nonexistent/\xff/\x01")}, code=73),
    Fault("SAFEPIP_PROBE_TIMEOUT not a number", _nothing, env={"SAFEPIP_PROBE_TIMEOUT": "soon"}),
    Fault("flag NUL-free but undecodable venv", _nothing, argv=("install", "--safepip-venv=" + os.fsdecode(b"\xff/\x00"[:2]) + "/f", "x"),
          code=73),
    Fault("project dir not UTF-8: install", _nothing, project=b"proj-\xff", code=73),
    Fault("project dir not UTF-8: install, LANG=C", _nothing, project=b"proj-\xff", env={"LANG": "C", "LC_ALL": "C"}, code=73),
    Fault("project dir not UTF-8: list", _nothing, argv=("list",), project=b"proj-\xff", code=73),
    Fault("non-ASCII project, ascii output: explain", _nothing, argv=("explain", "install", "--no-index", "zz-missing"),
          project="proj-é-рт".encode(), env={"PYTHONIOENCODING": "ascii"}, code=0),
    Fault("non-ASCII project, ascii output: which", _nothing, argv=("which", "env"),
          project="proj-é-рт".encode(), env={"PYTHONIOENCODING": "ascii"}, code=69),
    Fault("undecodable project, ascii output: which", _nothing, argv=("which", "env"),
          project=b"proj-\xff", env={"PYTHONIOENCODING": "ascii", "LANG": "C"}, code=69),
]


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_every_fault_is_one_line(fault: Fault, tmp_path: Path, hermetic: dict[str, str]) -> None:
    root = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), fault.project)))
    root.mkdir()
    if not (root / "pyproject.toml").exists():
        (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    config = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip"
    fault.lay(root, config)
    before = _tree(root)
    done = run_safepip(*fault.argv, cwd=root, env=safepip_env(**fault.env), timeout=300)
    lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == fault.code, done.stderr[-2000:]
    if fault.code:
        assert done.returncode in DOCUMENTED
        assert len(lines) == 1 and lines[0].startswith("safepip: error: ") and len(lines[0]) < 1000, done.stderr[-2000:]
    assert _tree(root) == before


def test_a_probe_that_never_answers_is_killed_with_its_children(tmp_path: Path) -> None:
    # The child is found by its command line (a duration no other process has), not by a pid
    # the script would write: on a loaded machine the 1 s limit may pass before it writes one.
    marker = f"300.{os.getpid()}{time.monotonic_ns()}"
    hang = tmp_path / "python3"
    hang.write_text(f"#!/bin/sh\nsleep {marker} &\nwait\n")
    hang.chmod(0o755)
    env = safepip_env(SAFEPIP_PYTHON=str(hang), SAFEPIP_PROBE_TIMEOUT="1")
    done = run_safepip("install", "x", cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 69, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and str(hang) in lines[0] and "within 1 s" in lines[0] and len(lines[0]) < 300, done.stderr
    deadline = time.monotonic() + 60  # the group was killed: the child goes (a zombie reaped by init at worst)
    while (left := running(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "the probe's child was left running"


def _as_nobody(argv: list[str], cwd: Path, tmp_path: Path, pyz: Path) -> subprocess.CompletedProcess[str]:
    """Run safepip.pyz with Debian's python3 as the user nobody (root reads every directory:
    the fault needs another user), with a home of its own."""
    import pwd
    import shutil

    archive = tmp_path / "safepip.pyz"
    shutil.copy(pyz, archive)
    archive.chmod(0o644)

    nobody = pwd.getpwnam("nobody")
    home = tmp_path / "nobody-home"
    home.mkdir()
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    env = safepip_env(HOME=str(home), XDG_CACHE_HOME=str(home / "c"), XDG_CONFIG_HOME=str(home / "cf"),
                      XDG_DATA_HOME=str(home / "d"), XDG_STATE_HOME=str(home / "s"))
    return subprocess.run(
        [SYSTEM_PYTHON, str(archive), *argv], cwd=cwd, env=env, capture_output=True, text=True, user=nobody.pw_uid,
        group=nobody.pw_gid, extra_groups=[], timeout=300, check=False,
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the walk as another user")
@pytest.mark.parametrize("marker", ["setup.py", "requirements.txt"])
def test_an_unreadable_project_root(marker: str, traversable: Path, pyz: Path) -> None:
    tmp_path = traversable
    root = tmp_path / "proj"
    (root / "sub").mkdir(parents=True)
    (root / marker).write_text("")
    os.chmod(root, 0o311)  # searchable, not readable
    try:
        done = _as_nobody(["which", "env"], root / "sub", tmp_path, pyz)
    finally:
        os.chmod(root, 0o755)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("safepip: error:"), done.stderr
    assert "per-user" not in done.stderr
    if marker == "setup.py":  # found by name although the directory cannot be listed
        assert done.returncode == 69 and f"would create {root}/.venv" in done.stderr, done.stderr
    else:  # cannot tell: stop, never fall through to "outside a project"
        assert done.returncode == 77 and f"cannot read {root}" in done.stderr, done.stderr


def test_a_working_directory_deeper_than_path_max_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    deep = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(20):  # 20 x 250 characters: past PATH_MAX (4096)
            os.mkdir("d" * 250, dir_fd=deep)
            inner = os.open("d" * 250, os.O_RDONLY, dir_fd=deep)
            os.close(deep)
            deep = inner
        done = subprocess.run([SAFEPIP, "which", "env"], cwd=f"/proc/self/fd/{deep}", env=safepip_env(),
                              capture_output=True, text=True, timeout=300, check=False, pass_fds=(deep,))
    finally:
        os.close(deep)
    lines = done.stderr.splitlines()
    assert done.returncode in (69, 77), done.stderr[:500]
    assert len(lines) == 1 and lines[0].startswith("safepip: error:") and len(lines[0]) < 1000, done.stderr[:500]
