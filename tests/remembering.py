"""What the tests of remembered answers share: paths aged out of the racy window, and a count
of the ``stat`` calls a step makes (a signature just checked must not be read again)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import NamedTuple

import pytest


class Aged(NamedTuple):
    """A file and a directory older than the racy window, and a path that does not exist."""

    there: Path
    gone: Path
    mine: Path


def aged_paths(tmp_path: Path) -> Aged:
    """:class:`Aged` paths, made in ``tmp_path``."""
    there, gone, mine = tmp_path / "there", tmp_path / "gone", tmp_path / "mine"
    there.write_text("x")
    mine.mkdir()
    old = time.time() - 10
    for path in (there, mine):
        os.utime(path, (old, old))
    return Aged(there, gone, mine)


def count_stats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, every path ``os.stat`` is asked for, in the list returned."""
    calls: list[str] = []
    real_stat = os.stat

    def counted(path: str, *rest: object, **kw: object) -> os.stat_result:
        calls.append(os.fspath(path))
        return real_stat(path, *rest, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counted)
    return calls
