"""Every test file is collected: no folder of tests is one pytest skips by name (its default
``norecursedirs`` held ``venv``, the name of tests/unit/venv/).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def test_no_folder_of_tests_is_skipped_by_name(pytestconfig: pytest.Config) -> None:
    skipped = pytestconfig.getini("norecursedirs")
    folders = {path.parent for path in TESTS.rglob("test_*.py")}
    hidden = sorted(str(f.relative_to(TESTS)) for f in folders for part in f.relative_to(TESTS).parts
                    if any(fnmatch.fnmatch(part, pattern) for pattern in skipped))
    assert hidden == []
    assert (TESTS / "unit" / "venv") in folders
