"""A project and the user's own config file: the fixtures of the placement tests, in-process
(``tests/unit/facts/test_placement.py``) and with processes (``tests/integration/test_facts_placement.py``).

The fixtures are registered for every test by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project (a pyproject.toml) at ``tmp_path/proj``."""
    where = tmp_path / "proj"
    where.mkdir()
    (where / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    return where


def write_user_config(hermetic: dict[str, str], text: str) -> Path:
    """The user's safepip config file (under the test's XDG_CONFIG_HOME), holding ``text``."""
    path = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
