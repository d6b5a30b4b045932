"""The suite's own machinery: ``--dist loadgroup`` keeps an ``xdist_group`` on one worker.

The network groups (the tools from PyPI installed once into ``.tools``, the release builds)
rely on it: split over two workers, two of them install one environment at once and pip
reads a half-written distribution. pytest 9.2 with pytest-xdist 3.8 split them (noxfile.py
pins pytest below 9.2 for that reason).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

GROUPED = """\
import pytest

pytestmark = pytest.mark.xdist_group("one")


@pytest.mark.parametrize("i", range(8))
def test_grouped(i):
    pass
"""


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workers = set(re.findall(r"\[(gw\d+)\].*PASSED", done.stdout))
    assert len(re.findall(r"PASSED", done.stdout)) == 8, done.stdout
    assert len(workers) == 1, done.stdout
