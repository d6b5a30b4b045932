"""A Python upgrade outside any project: the per-user environment and pipx's applications
whose interpreter vanished are reported by read-only commands and repaired, without loss, by
``safepip repair`` and before an install.

The upgrade is simulated as in test_rebuild: a CPython copied from pyenv (externally managed
like a distribution's) makes the per-user environment and a pipx application, then is removed
and replaced by another copy at another path (a patch upgrade, or pyenv's version directory
renamed): every ``bin/python`` made from it dangles. pipx's directories are all in tmp_path
(as root, its --global ones: nothing is written to /usr/local/bin).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_rebuild import copied_python, needs_pyenv

from helpers import installed, offline, run_safepip, safepip_env
from outsidedirs import ROOT, commands_dir, pipx_dirs_in, pipx_home
from upgrades import Upgradable

pytestmark = [needs_pyenv, pytest.mark.slow]


class Machine(Upgradable):
    """A user's machine outside any project: its python3 (pyenv's 3.11) can be upgraded under it."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.elsewhere = tmp / "home" / "downloads"
        self.elsewhere.mkdir(parents=True)
        self.pipx_dirs = pipx_dirs_in(tmp)
        self.home = pipx_home(self.pipx_dirs)
        self.bin = commands_dir(self.pipx_dirs)
        self.user_env = tmp / "xdg-data" / "safepip" / "envs" / "py3.11"

    def copy_python(self, dest: Path) -> Path:
        return copied_python("3.11", dest)

    def safepip(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = safepip_env(PATH=f"{self.python.parent}:/usr/bin:/bin", **self.pipx_dirs)
        return run_safepip(*args, cwd=self.elsewhere, env=env)

    def app_runs(self) -> bool:
        try:
            done = subprocess.run([str(self.bin / "app-c")], capture_output=True, text=True, check=False)
        except OSError:
            return False
        return done.returncode == 0 and done.stdout.strip() == "app-c 0.5"

    def app_python(self) -> str:
        return os.path.realpath(self.home / "venvs" / "app-c" / "bin" / "python")


def test_read_only_commands_report_and_repair_restores_the_user_env_and_the_apps(tmp_path: Path) -> None:
    box = Machine(tmp_path)
    done = box.safepip("install", *offline(box.house), "app-c", "lib-b")
    assert done.returncode == 0, done.stderr
    assert box.app_runs(), done.stderr
    assert set(installed(box.user_env)) >= {"lib-a", "lib-b"}
    gone = box.python
    box.upgrade()
    assert not box.app_runs()  # the upgrade broke both
    before = sorted(str(p.relative_to(tmp_path)) for p in (*box.user_env.rglob("*"), *(box.home / "venvs").rglob("*")))

    listed = box.safepip("list")
    assert listed.returncode == 69, listed.stderr
    lines = [line for line in listed.stderr.splitlines() if "error" in line or "warning" in line]
    assert any(f"{box.user_env} cannot be used: its interpreter {gone}" in line and "safepip repair" in line
               for line in lines), listed.stderr
    apps = next(line for line in lines if "pipx's application cannot run" in line)
    assert "app-c: its interpreter" in apps and "`safepip repair` reinstalls it" in apps
    assert f"reinstall {'--global ' if ROOT else ''}--python {box.python} app-c" in apps
    assert "no applications installed with pipx" not in listed.stderr  # pipx's own list fails then
    for argv in (["freeze"], ["show", "lib-a"], ["check"], ["inspect"]):
        done = box.safepip(*argv)
        assert done.returncode == 69, (argv, done.stderr)
        assert "safepip repair" in done.stderr, (argv, done.stderr)
        assert not [line for line in done.stderr.splitlines() if "Traceback" in line]
    after = sorted(str(p.relative_to(tmp_path)) for p in (*box.user_env.rglob("*"), *(box.home / "venvs").rglob("*")))
    assert after == before  # nothing was changed by a read-only command

    repaired = box.safepip("repair", *offline(box.house))
    assert repaired.returncode == 0, repaired.stderr
    assert set(installed(box.user_env)) >= {"lib-a", "lib-b"}
    assert "include-system-site-packages = true" in (box.user_env / "pyvenv.cfg").read_text()
    assert box.app_runs(), repaired.stderr
    assert box.app_python().startswith(str(box.python.parent.parent))
    assert "reinstalling it for" in repaired.stderr
    again = box.safepip("repair", *offline(box.house))
    assert again.returncode == 0 and again.stderr.count("nothing to repair") == 2, again.stderr


def test_an_install_outside_a_project_first_repairs_the_user_env_and_the_apps(tmp_path: Path) -> None:
    box = Machine(tmp_path)
    done = box.safepip("install", *offline(box.house), "app-c", "lib-a==1.0")
    assert done.returncode == 0, done.stderr
    box.upgrade()
    done = box.safepip("install", *offline(box.house), "lib-b")
    assert done.returncode == 0, done.stderr
    assert installed(box.user_env).get("lib-a") == "1.0" and "lib-b" in installed(box.user_env)
    assert "rebuilt" in done.stderr
    assert box.app_runs(), done.stderr
    assert box.app_python().startswith(str(box.python.parent.parent))
