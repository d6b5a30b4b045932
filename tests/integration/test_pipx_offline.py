"""An application installed offline (``--no-index``) with Debian 13's pipx, 1.7.1, the real one from PyPI.

pipx 1.5 to 1.7 make their shared libraries once, then reinstall pip there from the install's own
sources (``--pip-args``); with ``--no-index`` those hold no pip, and pipx stops ("No matching
distribution found for pip>=23.1"): nothing installed. safepip offers its own pip wheel beside the
user's sources, so the first offline install works as the second would.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers import MANAGED, offline, pipx_from_pypi, run_safepip, safepip_env
from wheels import make_wheel

pytestmark = [
    pytest.mark.network,
    pytest.mark.slow,
    pytest.mark.skipif(not MANAGED, reason="Debian's externally managed python3"),
]


@pytest.fixture(scope="module")
def pipx_1_7(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory whose pipx is pipx 1.7.1 (Debian 13's version), installed from PyPI."""
    return pipx_from_pypi(tmp_path_factory.mktemp("pipx-1.7.1"), "1.7.1")


def test_a_first_offline_install_with_pipx_1_7(tmp_path: Path, pipx_1_7: Path, elsewhere: Path) -> None:
    house = tmp_path / "house"
    make_wheel(house, "app-c", "0.5", scripts={"app-c": "app_c:main"})
    pipx_home = tmp_path / "pipx"
    env = safepip_env(PATH=f"{pipx_1_7}:/usr/bin:/bin", PIPX_HOME=str(pipx_home), PIPX_BIN_DIR=str(tmp_path / "bin"),
                      PIPX_MAN_DIR=str(tmp_path / "man"), **({"SAFEPIP_ALLOW_ROOT": "1"} if os.geteuid() == 0 else {}))
    version = subprocess.run([str(pipx_1_7 / "pipx"), "--version"], capture_output=True, text=True, env=env)
    assert version.stdout.strip() == "1.7.1"
    assert not pipx_home.exists()  # its shared libraries are made by this install
    done = run_safepip("install", *offline(house), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "No matching distribution found for pip" not in done.stderr
    ran = subprocess.run([str(tmp_path / "bin" / "app-c")], capture_output=True, text=True, check=False)
    assert ran.stdout.strip() == "app-c 0.5", ran.stderr
    shared = subprocess.run([str(pipx_home / "shared" / "bin" / "python"), "-m", "pip", "--version"],
                            capture_output=True, text=True, check=False)
    assert shared.returncode == 0, shared.stderr
