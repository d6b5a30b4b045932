"""A machine whose python3 is upgraded under its user, outside any project: the base of the
tests of what an upgrade leaves behind (``tests/integration/test_outside_upgrade.py``, with
pyenv's CPython; ``tests/integration/test_pipx_repair_as_user.py``, as a real second user).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from wheels import make_wheel


class Upgradable:
    """Wheels in ``tmp/house`` (lib-a; lib-b, needing lib-a; app-c, a command, needing lib-a)
    and a python3 at ``tmp/python-N`` that :meth:`upgrade` replaces. A subclass says how a
    copy of the interpreter is made (:meth:`copy_python`)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.house = tmp / "house"
        make_wheel(self.house, "lib-a", "1.0")
        make_wheel(self.house, "lib-b", "2.0", requires=["lib-a>=1.0"])
        make_wheel(self.house, "app-c", "0.5", scripts={"app-c": "app_c:main"}, requires=["lib-a"])
        self.generation = 0
        self.python = self.upgrade()

    def copy_python(self, dest: Path) -> Path:
        """A copy of the interpreter at ``dest`` (its prefix): its ``bin/python3``."""
        raise NotImplementedError

    def upgrade(self) -> Path:
        """A new copy of python3 at a new path; the old one is removed, so that every
        ``bin/python`` made from it dangles."""
        old = self.tmp / f"python-{self.generation}"
        if old.exists():
            shutil.rmtree(old)
        self.generation += 1
        self.python = self.copy_python(self.tmp / f"python-{self.generation}")
        return self.python
