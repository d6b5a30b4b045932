"""safepip on purpose under hostile machine-wide pip settings, as many users' machines have.

The hermetic fixture moves every pip configuration source into tmp_path; these tests then
write, at machine level (``XDG_CONFIG_DIRS``, where pip looks for ``/etc/xdg/pip/pip.conf``)
and in ``PIP_*`` variables, the settings real machines carry: a global ``constraint``, a
global ``find-links``, ``PIP_REQUIRE_VIRTUALENV=1``, ``PIP_USER=1``. safepip must still decide
the same route, report it in one line, and honour the settings where pip would.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, installed, needs_managed, offline, run_safepip, safepip_env
from inprocess import Cli
from outsidedirs import commands_dir, user_env
from wheels import make_wheel

pytestmark = [needs_managed, pytest.mark.slow]


def machine_conf(text: str) -> Path:
    """Write the machine-wide pip.conf (the fixture's XDG_CONFIG_DIRS) and return it."""
    conf = Path(os.environ["XDG_CONFIG_DIRS"]) / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(text)
    return conf


def notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("safepip:")]


def explain(cwd: Path, *argv: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = run_safepip("explain", "--json", *argv, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.fixture
def two_versions(wheelhouse: Path) -> Path:
    make_wheel(wheelhouse, "lib-a", "2.0")
    return wheelhouse


def test_global_constraint_is_honoured_in_the_project_venv(project: Path, two_versions: Path, tmp_path: Path, live: Cli) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("lib-a==1.0\n")
    machine_conf(f"[global]\nconstraint = {constraints}\n")
    before = explain(project, "install", *offline(two_versions), "lib-a")
    done = live("install", *offline(two_versions), "lib-a", cwd=project)
    assert done.returncode == 0, done.stderr
    venv = project / ".venv"
    assert installed(venv)["lib-a"] == "1.0"  # pip in the project venv read the machine's constraint
    (line,) = notices(done.stderr)
    assert line.startswith(f"safepip: {SYSTEM_PYTHON} is externally managed (Debian); using {venv} (created)")
    assert before["decision"] == "project-venv"
    # The no-op is answered the same (by pip or by the fast path) and changes nothing.
    again = live("install", *offline(two_versions), "lib-a", cwd=project)
    assert again.returncode == 0, again.stderr
    assert installed(venv)["lib-a"] == "1.0"
    # Asking for a version outside the constraint fails as pip fails: pip's exit code, no .venv lost.
    outside = live("install", *offline(two_versions), "lib-a==2.0", cwd=project)
    assert outside.returncode == 1, outside.stderr
    assert installed(venv)["lib-a"] == "1.0"


def test_global_find_links_is_honoured(project: Path, wheelhouse: Path, live: Cli) -> None:
    machine_conf(f"[global]\nfind-links = {wheelhouse}\nno-index = true\n")
    done = live("install", "lib-b", cwd=project)  # no index options on the command line
    assert done.returncode == 0, done.stderr
    assert installed(project / ".venv")["lib-b"] == "2.0"
    assert len(notices(done.stderr)) == 1


def test_require_virtualenv_in_a_project(project: Path, wheelhouse: Path, live: Cli) -> None:
    env = {"PIP_REQUIRE_VIRTUALENV": "1"}
    assert explain(project, "install", "lib-a", env=env)["decision"] == "project-venv"
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert installed(project / ".venv")["lib-a"] == "1.0"


@pytest.mark.parametrize("setting", ["PIP_REQUIRE_VIRTUALENV", "PIP_USER"])
def test_outside_a_project_routes_stay_right(setting: str, elsewhere: Path, pipx_dirs: dict[str, str], tmp_path: Path,
                                             wheelhouse: Path, live: Cli) -> None:
    env = {**pipx_dirs, setting: "1"}
    lib = live("install", *offline(wheelhouse), "lib-b", cwd=elsewhere, env=env)
    assert lib.returncode == 0, lib.stderr
    per_user = user_env(tmp_path)
    assert installed(per_user)["lib-b"] == "2.0"
    app = live("install", *offline(wheelhouse), "app-c", cwd=elsewhere, env=env)
    assert app.returncode == 0, app.stderr
    assert "app-c -> pipx" in app.stderr and "an application: it has the command app-c" in app.stderr
    bin_dir = commands_dir(pipx_dirs)
    ran = subprocess.run([str(bin_dir / "app-c")], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "app-c 0.5"
    assert "app-c" not in installed(per_user)


def test_machine_settings_do_not_change_the_decision(project: Path, tmp_path: Path, wheelhouse: Path) -> None:
    """explain's decision with hostile machine settings equals the decision without them."""
    cases = [("install", "lib-a"), ("install", "-r", "requirements.txt"), ("list",), ("uninstall", "-y", "lib-a"),
             ("install", "--target", str(tmp_path / "t"), "lib-a")]
    plain = [explain(project, *argv)["decision"] for argv in cases]
    constraints = tmp_path / "c.txt"
    constraints.write_text("lib-a<5\n")
    machine_conf(f"[global]\nconstraint = {constraints}\nfind-links = {wheelhouse}\n[install]\nno-index = yes\n")
    env = safepip_env(PIP_REQUIRE_VIRTUALENV="1", PIP_FIND_LINKS=str(wheelhouse))
    hostile = [explain(project, *argv, env=env)["decision"] for argv in cases]
    assert hostile == plain
    assert plain[0] == "project-venv" and plain[-1] == "passthrough"
