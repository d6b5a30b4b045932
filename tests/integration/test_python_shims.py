"""The ``python`` and ``python3`` shims, as an ordinary user who installed safepip with
``self-install --shims`` (or uses shell-init): what ``python3`` runs follows the directory.

In a project whose environment safepip would use, ``python3`` is that environment's; outside
any project it is the per-user environment's once there is one, else the system's.
``python3 -m pip`` reaches safepip. Scripts naming ``/usr/bin/python3`` are never affected,
and ``python`` stays missing where the system has none.

Run as a real second user (root's own rules differ), with its HOME in a directory it can
reach, Debian's python3 running safepip.pyz.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, SYSTEM_XY, needs_managed, offline, safepip_env
from users import User, committed_clone, give, make_project, script
from wheels import make_wheel

pytestmark = [pytest.mark.slow, needs_managed,
              pytest.mark.skipif(os.geteuid() != 0, reason="runs safepip as another user")]

PREFIX = "import sys; print(sys.prefix)"


class Machine:
    """The user's HOME, wheels, and safepip installed with its launchers in ~/.local/bin."""

    def __init__(self, tmp: Path, user: User, pyz: Path) -> None:
        self.tmp, self.user = tmp, user
        self.home = tmp / "home-of-user"
        self.home.mkdir()
        self.house = tmp / "house"
        make_wheel(self.house, "lib-a", "1.0")
        archive = tmp / "safepip.pyz"
        shutil.copy(pyz, archive)
        for item in [self.house, *self.house.iterdir(), archive]:
            item.chmod(0o755 if item.is_dir() else 0o644)
        give(self.home, user)
        self.bin = self.home / ".local" / "bin"
        done = self.run(SYSTEM_PYTHON, str(archive), "self-install", "--shims", cwd=self.home)
        assert done.returncode == 0, done.stderr

    def env(self, path: str | None = None) -> dict[str, str]:
        env = safepip_env(HOME=str(self.home), PATH=path or f"{self.bin}:/usr/bin:/bin")
        for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            env.pop(name, None)  # the user's own defaults, under HOME
        return env

    def run(self, *argv: str, cwd: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv], cwd=cwd, env=self.env(path), capture_output=True, text=True, user=self.user[1],
            group=self.user[2], extra_groups=[], timeout=600, check=False,
        )

    def sh(self, line: str, cwd: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
        """``line`` run by sh, which finds commands on PATH as make and scripts do."""
        return self.run("/bin/sh", "-c", line, cwd=cwd, path=path)

    def prefix(self, name: str, cwd: Path, path: str | None = None) -> str:
        done = self.run(name, "-c", PREFIX, cwd=cwd, path=path)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def project(self, name: str) -> Path:
        root = make_project(self.home / name)
        (root / "src").mkdir()
        give(root, self.user)
        return root


@pytest.fixture
def machine(traversable: Path, other_user: User, pyz: Path) -> Machine:
    return Machine(traversable, other_user, pyz)


def _settle() -> None:
    """Let what was just made age past the memo's racy window, so the next answer is remembered."""
    time.sleep(2.2)


def test_python3_in_a_project_runs_its_environment_and_follows_changes(machine: Machine) -> None:
    root = machine.project("proj")
    _settle()
    # No environment yet: the system's python3 (and that answer is remembered).
    assert machine.prefix("python3", root / "src") == "/usr"
    memos = list((machine.home / ".cache" / "safepip" / "pyshim").rglob("@python3"))
    assert memos, "the shim's answer was not remembered"
    done = machine.run("pip", "install", *offline(machine.house), "lib-a", cwd=root / "src")
    assert done.returncode == 0, done.stderr
    # The remembered answer no longer holds: the project's environment now runs.
    assert machine.prefix("python3", root / "src") == str(root / ".venv")
    _settle()
    for _ in range(2):  # decided, then remembered: the same
        assert machine.prefix("python3", root / "src") == str(root / ".venv")
        assert machine.prefix("python", root) == str(root / ".venv")
    imported = machine.sh("python3 -c 'import lib_a; print(lib_a.VERSION)'", root)
    assert imported.stdout.strip() == "1.0", imported.stderr


def test_outside_a_project_the_per_user_environment_once_it_exists(machine: Machine) -> None:
    elsewhere = machine.home / "downloads"
    elsewhere.mkdir()
    give(elsewhere, machine.user)
    _settle()
    assert machine.prefix("python3", elsewhere) == "/usr"
    done = machine.run("pip", "install", *offline(machine.house), "lib-a", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    user_env = machine.home / ".local" / "share" / "safepip" / "envs"
    (env_dir,) = user_env.iterdir()
    assert machine.prefix("python3", elsewhere) == str(env_dir)
    imported = machine.sh("python3 -c 'import lib_a; print(lib_a.VERSION)'", elsewhere)
    assert imported.stdout.strip() == "1.0", imported.stderr


def test_python3_dash_m_pip_reaches_safepip(machine: Machine) -> None:
    root = machine.project("made")
    (root / "Makefile").write_text(f"deps:\n\tpython3 -m pip install {' '.join(offline(machine.house))} lib-a\n")
    give(root, machine.user)
    done = machine.run("make", "-s", "deps", cwd=root)
    assert done.returncode == 0, done.stderr
    assert f"using {root / '.venv'} (created)" in done.stderr or "using ~/made/.venv (created)" in done.stderr, done.stderr
    assert "externally-managed-environment" not in done.stderr
    assert machine.prefix("python3", root) == str(root / ".venv")


def test_scripts_naming_usr_bin_python3_are_not_affected(machine: Machine) -> None:
    root = machine.project("scripts")
    done = machine.run("pip", "install", *offline(machine.house), "lib-a", cwd=root)
    assert done.returncode == 0, done.stderr
    tool = root / "tool.py"
    tool.write_text("#!/usr/bin/python3\nimport os, sys\nprint(sys.prefix, sorted(k for k in os.environ if k.startswith('PYTHON')))\n")
    tool.chmod(0o755)
    give(root, machine.user)
    assert machine.prefix("python3", root) == str(root / ".venv")
    given = sorted(k for k in machine.env() if k.startswith("PYTHON"))
    shown = machine.run(str(tool), cwd=root)
    assert shown.stdout.strip() == f"/usr {given}", shown.stderr
    # Through the shim, nothing is set that the interpreter (or a /usr/bin/python3 it starts) sees.
    code = "import os; print(sorted(k for k in os.environ if k.startswith(('PYTHON', 'VIRTUAL_ENV', '_safepip'))))"
    for _ in range(2):  # decided, then remembered
        seen = machine.run("python3", "-c", code, cwd=root)
        assert seen.stdout.strip() == str(given), seen.stderr
        _settle()


def test_python_is_python3_where_the_system_has_no_python(machine: Machine) -> None:
    only3 = machine.tmp / "only-python3"
    only3.mkdir()
    (only3 / "python3").symlink_to(SYSTEM_PYTHON)
    path = f"{machine.bin}:{only3}"  # no python anywhere on it, as on Debian
    root = machine.project("django")
    done = machine.run("pip", "install", *offline(machine.house), "lib-a", cwd=root)
    assert done.returncode == 0, done.stderr
    # ./manage.py's `#!/usr/bin/env python` works in the project...
    assert machine.prefix("python", root, path=path) == str(root / ".venv")
    # ...and where no environment is used, `python` is the python3 PATH has: a tool that finds
    # the launcher before python3 (Poetry asks `python -I -c ...` for sys.executable in a new
    # project) goes on as it would without the launcher, instead of stopping at a 127.
    fresh = machine.project("fresh")  # a project whose environment does not exist yet
    elsewhere = machine.home / "elsewhere"
    elsewhere.mkdir()
    give(elsewhere, machine.user)
    for where in (fresh, elsewhere):
        for _ in range(2):  # decided, then remembered
            probe = machine.run("python", "-I", "-c", "import sys; print(sys.executable)", cwd=where, path=path)
            assert probe.returncode == 0, probe.stderr
            assert probe.stdout.strip() == str(only3 / "python3"), probe.stdout
            _settle()
    # With no python3 either, the shell's answer: command not found.
    nothing = machine.tmp / "nothing"
    nothing.mkdir()
    for _ in range(2):
        missing = machine.run("python", "-c", "pass", cwd=elsewhere, path=f"{machine.bin}:{nothing}")
        assert missing.returncode == 127, missing.stderr
        assert missing.stderr.strip() == "python: command not found", missing.stderr
        _settle()


def test_an_environment_that_came_with_the_repository_runs_only_once_trusted(machine: Machine) -> None:
    trace = machine.home / "TRACE"  # the user's own: a planted interpreter that runs leaves it
    files = {
        "pyproject.toml": '[project]\nname = "bait"\nversion = "0"\n',
        ".venv/pyvenv.cfg": "home = /usr/bin\ninclude-system-site-packages = false\n",
        ".venv/bin/python": script(trace),
        f".venv/lib/python{SYSTEM_XY}/site-packages/pip/__init__.py": "",
    }
    clone = committed_clone(machine.tmp / "upstream", machine.home / "clone", files, executable=(".venv/bin/python",))
    give(clone, machine.user)
    _settle()
    for _ in range(2):  # decided, then remembered: never the committed interpreter
        assert machine.prefix("python3", clone) == "/usr"
        assert not trace.exists()
        _settle()
    trusted = machine.run("safepip", "trust", str(clone), cwd=clone)
    assert trusted.returncode == 0, trusted.stderr
    assert machine.run("python3", "-c", "pass", cwd=clone).returncode == 0
    assert trace.read_text().startswith("ran -c pass"), "the trusted environment's interpreter did not run"
