"""Outside a project, what the redirect removes never reaches pip: ``--user`` and ``--python``
(which shell-init's ``python3 -m pip`` adds) leave the system Python and the user's site
directory untouched, and the library lands in the per-user environment.

Run as a real second user: root has no user site that Debian's python3 reads the way a
user's is, and pipx as root would work in its --global mode (/usr/local/bin). The user has its
own HOME in a directory it can reach, ``safepip`` on PATH (safepip.pyz, run by Debian's
python3), and pip's, pipx's and safepip's directories at their defaults under that HOME.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, SYSTEM_XY, installed, needs_managed, offline, safepip_env, venv_python
from users import User, give
from wheels import make_wheel

pytestmark = [needs_managed, pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="runs safepip as another user")]


class Home:
    """The user's machine: its HOME, a directory outside any project, ``safepip`` on PATH, wheels."""

    def __init__(self, tmp: Path, user: User, pyz: Path) -> None:
        self.user = user
        self.home = tmp / "home-of-user"
        self.elsewhere = self.home / "downloads"
        self.elsewhere.mkdir(parents=True)
        self.bin = tmp / "bin"
        self.bin.mkdir()
        shutil.copy(pyz, self.bin / "safepip")
        (self.bin / "safepip").chmod(0o755)
        self.house = tmp / "house"
        for name in ("lib-a", "lib-b", "lib-c", "lib-d"):
            make_wheel(self.house, name, "1.0")
        make_wheel(self.house, "app-e", "0.5", scripts={"app-e": "app_e:main"})
        for item in [self.bin, self.house, *self.house.iterdir()]:
            item.chmod(0o755 if item.is_dir() else 0o644)
        give(self.home, user)

    def env(self, **extra: str) -> dict[str, str]:
        env = safepip_env(HOME=str(self.home), PATH=f"{self.bin}:{self.home}/.local/bin:/usr/bin:/bin", **extra)
        for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "PIP_CONFIG_FILE"):
            env.pop(name, None)  # the user's own defaults, under HOME
        return env

    def run(self, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv], cwd=self.elsewhere, env=self.env(**extra), capture_output=True, text=True, user=self.user[1],
            group=self.user[2], extra_groups=[], timeout=600, check=False,
        )

    def user_env(self) -> Path:
        return self.home / ".local" / "share" / "safepip" / "envs" / f"py{SYSTEM_XY}"

    def user_site(self) -> Path:
        """The user site directory Debian's python3 reads for this user."""
        done = self.run(SYSTEM_PYTHON, "-m", "site", "--user-site")
        assert done.returncode == 0, done.stderr
        site = Path(done.stdout.strip())
        assert site.is_relative_to(self.home), site
        return site

    def untouched(self, module: str) -> None:
        """Nothing new for Debian's python3: ``module`` cannot be imported, the user site holds nothing."""
        site = self.user_site()
        assert not site.exists() or not any(site.iterdir()), sorted(p.name for p in site.iterdir())
        imported = self.run(SYSTEM_PYTHON, "-c", f"import {module}")
        assert imported.returncode != 0, f"{SYSTEM_PYTHON} imports {module}"

    def landed(self, distribution: str) -> None:
        """``distribution`` is in the per-user environment and importable there."""
        assert distribution in installed(self.user_env())
        module = distribution.replace("-", "_")
        done = self.run(venv_python(self.user_env()), "-c", f"import {module}")
        assert done.returncode == 0, done.stderr

    def app_runs(self, name: str) -> None:
        """pipx installed application ``name`` (its own environment, its command in ~/.local/bin)."""
        assert (self.home / ".local" / "share" / "pipx" / "venvs" / name).is_dir()
        done = self.run(str(self.home / ".local" / "bin" / name))
        assert done.returncode == 0, done.stderr
        assert name not in installed(self.user_env())


def _names(argv: list[str], python: str) -> bool:
    """Whether ``argv`` hands ``--python python`` on (also inside pipx's ``--pip-args``)."""
    words = [w for a in argv for w in (shlex.split(a.partition("=")[2]) if a.startswith("--pip-args=") else [a])]
    return f"--python={python}" in words or any(a == "--python" and b == python for a, b in zip(words, words[1:]))


@pytest.fixture
def home(traversable: Path, other_user: User, pyz: Path) -> Home:
    return Home(traversable, other_user, pyz)


def test_user_is_dropped_and_never_reaches_pip(home: Home) -> None:
    done = home.run("safepip", "install", "--user", *offline(home.house), "lib-a")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "--user dropped" in done.stderr, done.stderr
    home.untouched("lib_a")
    home.landed("lib-a")


def test_python_of_the_system_is_dropped_and_never_reaches_pip(home: Home) -> None:
    done = home.run("safepip", "--python", SYSTEM_PYTHON, "install", *offline(home.house), "lib-b")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    home.untouched("lib_b")
    home.landed("lib-b")


def test_python3_m_pip_typed_after_shell_init_installs_into_the_user_env(home: Home) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = f'set -e; eval "$(safepip shell-init bash)"; python3 -m pip install {shlex.join(offline(home.house))} lib-c'
    done = home.run(bash, "-c", script)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    home.untouched("lib_c")
    home.landed("lib-c")


def test_a_mixed_install_hands_user_to_neither_pip_nor_pipx(home: Home) -> None:
    shown = home.run("safepip", "explain", "--json", "--python", SYSTEM_PYTHON, "install", "--user",
                     *offline(home.house), "lib-d", "app-e")
    assert shown.returncode == 0, shown.stderr
    steps = json.loads(shown.stdout)["steps"]
    assert [s["where"].endswith("pipx") for s in steps] == [False, True], steps
    pip_run, pipx_run = steps[0]["run"], steps[1]["run"]
    assert not any("--user" in word for word in pip_run + pipx_run), steps
    assert not _names(pip_run, SYSTEM_PYTHON), pip_run
    at = pipx_run.index("install")
    assert pipx_run[at + 1:at + 3] == ["--python", SYSTEM_PYTHON], pipx_run  # pipx's own: the target
    assert not _names(pipx_run[at + 3:], SYSTEM_PYTHON), pipx_run
    done = home.run("safepip", "install", "--user", *offline(home.house), "lib-d", "app-e")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    home.untouched("lib_d")
    home.untouched("app_e")
    home.landed("lib-d")
    home.app_runs("app-e")


def test_pipx_gets_no_pip_python(home: Home) -> None:
    """``PIP_PYTHON`` is the target, as for pip; pipx makes the application's environment for it,
    and the pip there must not run again under another interpreter."""
    done = home.run("safepip", "install", *offline(home.house), "lib-d", "app-e", PIP_PYTHON=SYSTEM_PYTHON)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    home.untouched("app_e")
    home.landed("lib-d")
    home.app_runs("app-e")
