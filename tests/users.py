"""Playing another local user: run code as them, give them files, a repository they wrote.

The attacker's code runs as the other user with its working directory already inside the
test's tmp_path (set before the user id changes), so nothing outside tmp_path needs to be
opened to it. Every planted program only leaves a trace file if it is ever executed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Mapping, Protocol

from helpers import SYSTEM_PYTHON

User = tuple[str, int, int]


def as_user(user: User, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run Python ``code`` as ``user`` in ``cwd`` (entered before the switch)."""
    return subprocess.run(
        [SYSTEM_PYTHON, "-I", "-c", code], cwd=str(cwd), user=user[1], group=user[2], extra_groups=[],
        env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=300, check=False,
    )


def give(path: Path, user: User) -> None:
    """``chown -R`` to ``user``, links themselves and not their targets."""
    for item in [path, *path.rglob("*")]:
        os.chown(item, user[1], user[2], follow_symlinks=False)


def tracer(path: Path, trace: Path) -> Path:
    """A program that only leaves a trace, then runs Debian's python."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "ran $0 $*" >> "{trace}"\nexec {SYSTEM_PYTHON} "$@"\n')
    path.chmod(0o755)
    return path


class Ended(Protocol):
    """A finished safepip call: a subprocess's ``CompletedProcess`` or an in-process ``Done``."""

    @property
    def returncode(self) -> int: ...
    @property
    def stderr(self) -> str: ...


def one_line(done: Ended, code: int, *parts: str) -> str:
    """The call ended with ``code`` and exactly one ``safepip:`` line holding ``parts``."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("safepip:")]
    assert len(ours) == 1, done.stderr
    for part in parts:
        assert part in ours[0], done.stderr
    return ours[0]


def says(done: subprocess.CompletedProcess[str], code: int, *parts: str) -> str:
    """The call ended with ``code`` and one of its ``safepip:`` lines holds ``parts``."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, done.stderr
    found = [line for line in done.stderr.splitlines() if line.startswith("safepip:") and all(p in line for p in parts)]
    assert len(found) == 1, done.stderr
    return found[0]


def make_project(where: Path) -> Path:
    """A project directory (it holds a pyproject.toml) at ``where``."""
    where.mkdir(parents=True)
    (where / "pyproject.toml").write_text(f'[project]\nname = "{where.name}"\nversion = "0"\n')
    return where


GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "safe.directory=*",
       "-c", "init.defaultBranch=main"]


def their_repository(tmp_path: Path, user: User, files: dict[str, str], executable: tuple[str, ...] = (),
                     links: dict[str, str] | None = None) -> Path:
    """A repository whose files (and symbolic links: path -> target) the other user wrote (as
    that user), committed, and its clone beside it (``tmp_path/clone``)."""
    upstream = tmp_path / "upstream"
    upstream.mkdir(parents=True)
    os.chown(upstream, user[1], user[2])
    made = as_user(user, f"""
import os
for name, text in {files!r}.items():
    os.makedirs(os.path.dirname(name) or '.', exist_ok=True)
    open(name, 'w').write(text)
for name in {executable!r}:
    os.chmod(name, 0o755)
for name, target in {links or {}!r}.items():
    os.symlink(target, name)
""", upstream)
    assert made.returncode == 0, made.stderr
    # git itself cannot run as that user here (it resolves every directory above tmp_path).
    return _commit_and_clone(upstream, tmp_path / "clone")


def committed_clone(upstream: Path, clone: Path, files: Mapping[str, str], executable: tuple[str, ...] = (),
                    links: Mapping[str, str] | None = None) -> Path:
    """A repository written at ``upstream`` by this process (``files``: path -> text, the
    ``executable`` ones mode 0755; ``links``: path -> link target), committed, and its clone at ``clone``."""
    for name, text in files.items():
        (upstream / name).parent.mkdir(parents=True, exist_ok=True)
        (upstream / name).write_text(text)
    for name in executable:
        (upstream / name).chmod(0o755)
    for name, target in (links or {}).items():
        (upstream / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, upstream / name)
    return _commit_and_clone(upstream, clone)


def _commit_and_clone(upstream: Path, clone: Path) -> Path:
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bait"]):
        subprocess.run([*GIT, *step], cwd=upstream, check=True, capture_output=True)
    subprocess.run([*GIT, "clone", "-q", str(upstream), str(clone)], check=True, capture_output=True)
    return clone


def script(trace: Path) -> str:
    """A shell script that leaves a trace when it runs, then runs Debian's python."""
    return f'#!/bin/sh\necho "ran $*" >> "{trace}"\nexec {SYSTEM_PYTHON} "$@"\n'
