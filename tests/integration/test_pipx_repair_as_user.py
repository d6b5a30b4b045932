"""pipx's applications after a Python upgrade, in the ordinary flow: outside a project, an
install from a requirements file that names an application reinstalls first, one by one,
the applications whose interpreter vanished.

Run as a real second user (root would use pipx's ``--global`` mode and /usr/local/bin), with
its own HOME in a directory it can reach, Debian's python3 running safepip.pyz, and pipx's default
directories under that HOME. The upgrade is simulated with copies of Debian's python3 (the
binary copied, its standard library a farm of links to /usr/lib/python3.X, so that the copy's
directory is its prefix): the first copy makes the applications, then it is removed and
another copy at another path is ``python3`` on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_rebuild import python_tree

from helpers import SYSTEM_PYTHON, SYSTEM_XY, offline, safepip_env
from upgrades import Upgradable
from users import User, give

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="runs safepip as another user")]


def _python_copy(dest: Path) -> Path:
    """Debian's python3 at ``dest`` (readable by a test user, unlike pyenv's under /root)."""
    return python_tree(os.path.realpath(SYSTEM_PYTHON), f"/usr/lib/python{SYSTEM_XY}", SYSTEM_XY, dest)


class Box(Upgradable):
    """The user's machine: its HOME, safepip.pyz, wheels, and a python3 that can be upgraded."""

    def __init__(self, tmp: Path, user: User, pyz: Path) -> None:
        self.user = user
        super().__init__(tmp)
        self.home = tmp / "home-of-user"
        self.elsewhere = self.home / "downloads"
        self.elsewhere.mkdir(parents=True)
        self.archive = tmp / "safepip.pyz"
        shutil.copy(pyz, self.archive)
        for item in [self.house, *self.house.iterdir(), self.archive]:
            item.chmod(0o755 if item.is_dir() else 0o644)
        give(self.home, user)

    def copy_python(self, dest: Path) -> Path:
        return _python_copy(dest)

    def env(self) -> dict[str, str]:
        env = safepip_env(HOME=str(self.home), PATH=f"{self.python.parent}:/usr/bin:/bin")
        for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            env.pop(name, None)  # the user's own defaults, under HOME
        return env

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv], cwd=self.elsewhere, env=self.env(), capture_output=True, text=True, user=self.user[1],
            group=self.user[2], extra_groups=[], timeout=600, check=False,
        )

    def safepip(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(SYSTEM_PYTHON, str(self.archive), *args)

    def app_runs(self) -> bool:
        try:  # a dangling interpreter: the launcher cannot be executed at all
            return self.run(str(self.home / ".local" / "bin" / "app-c")).stdout.strip() == "app-c 0.5"
        except OSError:
            return False

    def app_python(self) -> str:
        return os.path.realpath(self.home / ".local" / "share" / "pipx" / "venvs" / "app-c" / "bin" / "python")


def test_an_install_from_a_requirements_file_first_reinstalls_the_apps_whose_python_vanished(
        traversable: Path, other_user: User, pyz: Path) -> None:
    tmp_path = traversable  # the other user reaches it
    box = Box(tmp_path, other_user, pyz)
    done = box.safepip("install", *offline(box.house), "app-c", "lib-a==1.0")
    assert done.returncode == 0, done.stderr
    assert box.app_runs(), done.stderr
    assert box.app_python().startswith(str(tmp_path / "python-1")), box.app_python()
    gone = box.python
    box.upgrade()
    assert not box.app_runs()  # the upgrade broke it
    requirements = box.elsewhere / "req.txt"
    requirements.write_text("app-c\nlib-b\n")
    give(requirements, box.user)

    done = box.safepip("install", *offline(box.house), "-r", str(requirements))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert f"pipx's app-c cannot run (its interpreter {gone} no longer exists): reinstalling it for" in done.stderr
    assert box.app_runs(), done.stderr
    assert box.app_python().startswith(str(box.python.parent.parent)), box.app_python()
    listed = box.safepip("list")
    assert listed.returncode == 0, listed.stderr
    assert "lib-b" in listed.stdout and "cannot run" not in listed.stderr, listed.stderr
    theirs = [str(p) for p in box.home.rglob("*") if p.lstat().st_uid != other_user[1]]
    assert not theirs, theirs
