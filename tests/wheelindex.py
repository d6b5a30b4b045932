"""A wheel house with one big wheel, served over HTTP with and without range requests: the
fixtures of the wheel-facts tests, in-process (``tests/unit/facts/test_wheelmeta.py``) and
through pip (``tests/integration/test_facts_wheelmeta.py``).

The fixtures are registered for every test by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from httpindex import Served, serve
from wheels import make_wheel

#: The big wheel's data, which reading its facts must not download.
PADDING = 3 * 1024 * 1024


def big_app(directory: Path) -> Path:
    """A wheel with a command named after it and 3 MiB of data the classification must not read."""
    return make_wheel(directory, "big-app", "1.0", scripts={"big-app": "big_app:main"},
                      gui_scripts={"big-app-gui": "big_app:main"},
                      files={"big_app_data/blob.bin": os.urandom(PADDING),
                             "big_app-1.0.data/scripts/big-tool": b"#!/bin/sh\necho tool\n"})


@pytest.fixture
def big_house(tmp_path: Path) -> Path:
    """big-app and plain-lib (no command)."""
    root = tmp_path / "index"
    big_app(root)
    make_wheel(root, "plain-lib", "2.0")
    return root


@pytest.fixture
def ranged(big_house: Path) -> Iterator[tuple[str, Served]]:
    """The house served with range requests: (base URL, what was served)."""
    yield from serve(big_house, ranges=True)


@pytest.fixture
def unranged(big_house: Path) -> Iterator[tuple[str, Served]]:
    """The house served by a server that ignores ranges."""
    yield from serve(big_house, ranges=False)
