"""Outside a project, a metapackage (jupyter: a distribution with no module and no command of
its own) exposes the commands of what it brings in: ``pip install jupyter`` gives ``jupyter``,
``jupyter-lab`` and ``jupyter-notebook`` on PATH.

Run as a real second user (root links into pipx's global directory instead), offline, with
small wheels: ``meta`` requires ``tool-a`` (the command ``tool-a``), which requires
``tool-b`` (the command ``tool-b``, brought in two levels down) and ``lib-a``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_python_shims import Machine

from helpers import needs_managed, offline
from users import User, give
from wheels import make_wheel

pytestmark = [pytest.mark.slow, needs_managed,
              pytest.mark.skipif(os.geteuid() != 0, reason="runs safepip as another user")]


def test_a_metapackage_exposes_the_commands_of_what_it_brings_in(traversable: Path, other_user: User,
                                                                  pyz: Path) -> None:
    machine = Machine(traversable, other_user, pyz)
    make_wheel(machine.house, "tool-b", "2.0", scripts={"tool-b": "tool_b:main"})
    make_wheel(machine.house, "tool-a", "1.5", scripts={"tool-a": "tool_a:main"}, requires=["tool-b", "lib-a"])
    make_wheel(machine.house, "meta", "3.0", requires=["tool-a>=1"], module=False)
    for wheel in machine.house.iterdir():
        wheel.chmod(0o644)
    elsewhere = machine.home / "downloads"
    elsewhere.mkdir()
    give(elsewhere, machine.user)

    done = machine.run("pip", "install", *offline(machine.house), "meta", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "linked tool-a, tool-b into ~/.local/bin" in done.stderr, done.stderr
    for command, version in (("tool-a", "1.5"), ("tool-b", "2.0")):
        ran = machine.run(command, cwd=elsewhere)  # found on the user's PATH (~/.local/bin first)
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.strip() == f"{command} {version}"
        assert (machine.bin / command).is_symlink()

    done = machine.run("pip", "uninstall", "-y", "meta", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert not (machine.bin / "tool-a").exists() and not (machine.bin / "tool-a").is_symlink()
    assert not (machine.bin / "tool-b").is_symlink()
