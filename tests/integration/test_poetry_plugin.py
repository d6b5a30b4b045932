"""The issue's plugin flow with the real tools from PyPI: Poetry installed with pipx, then
``safepip install poetry-plugin-export`` outside a project injects the plugin into Poetry's
pipx environment, where ``poetry export`` finds it; ``safepip uninstall`` uninjects it.

Twice: with the pipx on PATH (else safepip's own), and with Debian 12's pipx 1.1.0 on PATH,
which has no ``uninject`` (the plugin leaves by that pipx's ``runpip``).

Run as a real second user (root would use pipx's ``--global`` mode, which writes
/usr/local/bin), with its own HOME in a directory it can reach, and Debian's python3 running
safepip.pyz (whose own pipx does the work: no pipx on PATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import MANAGED, SYSTEM_PYTHON, pipx_from_pypi, safepip_env
from users import User, give

pytestmark = [pytest.mark.network, pytest.mark.slow,
              pytest.mark.skipif(not (os.geteuid() == 0 and MANAGED), reason="runs safepip as another user")]


@pytest.fixture
def pipx_1_1(traversable: Path) -> Path:
    """A directory whose pipx is pipx 1.1.0 (Debian 12's, which has no ``uninject``), from PyPI."""
    return pipx_from_pypi(traversable / "pipx-1.1.0", "1.1.0")


@pytest.mark.parametrize("which", ["pipx on PATH or safepip's own", "pipx 1.1.0"])
def test_a_poetry_plugin_goes_into_poetrys_pipx_environment_and_out_again(
    traversable: Path, other_user: User, pyz: Path, which: str, request: pytest.FixtureRequest
) -> None:
    home = traversable / "home"
    elsewhere = home / "downloads"
    elsewhere.mkdir(parents=True)
    archive = traversable / "safepip.pyz"
    shutil.copy(pyz, archive)
    archive.chmod(0o644)
    give(home, other_user)
    first = f"{request.getfixturevalue('pipx_1_1')}:" if which == "pipx 1.1.0" else ""
    env = safepip_env(HOME=str(home), PATH=f"{first}{home / '.local' / 'bin'}:/usr/bin:/bin")
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "PIPX_HOME", "PIPX_BIN_DIR"):
        env.pop(name, None)  # the user's own defaults, under HOME

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*argv], cwd=elsewhere, env=env, capture_output=True, text=True, user=other_user[1],
                              group=other_user[2], extra_groups=[], timeout=900, check=False)

    poetry = str(home / ".local" / "bin" / "poetry")
    done = run(SYSTEM_PYTHON, str(archive), "install", "poetry")
    assert done.returncode == 0, done.stderr
    assert "poetry -> pipx" in done.stderr, done.stderr
    before = run(poetry, "export", "--help")
    assert before.returncode != 0, before.stdout  # Poetry 2 ships no export command of its own

    done = run(SYSTEM_PYTHON, str(archive), "install", "poetry-plugin-export")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [ln for ln in done.stderr.splitlines() if ln.startswith("safepip: poetry-plugin-export")]
    assert "-> pipx" in line and "pipx inject poetry" in line and "plugin of poetry" in line, line
    after = run(poetry, "export", "--help")
    assert after.returncode == 0, after.stdout + after.stderr
    assert "export" in after.stdout.lower()
    assert not (home / ".local" / "share" / "safepip" / "envs").exists() or "poetry_plugin_export" not in str(
        list((home / ".local" / "share" / "safepip" / "envs").rglob("poetry_plugin_export*")))

    gone = run(SYSTEM_PYTHON, str(archive), "uninstall", "-y", "poetry-plugin-export")
    assert gone.returncode == 0, gone.stderr
    if which == "pipx 1.1.0":
        assert "has no uninject: uninstalling it with pipx runpip poetry" in gone.stderr, gone.stderr
    else:
        assert "pipx uninject" in gone.stderr or "uninjecting" in gone.stderr, gone.stderr
    assert run(poetry, "export", "--help").returncode != 0
    assert run(poetry, "--version").returncode == 0  # the application stays
