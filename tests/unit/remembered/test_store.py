"""Remembered answers as the front door writes them after the fast path's check of a new
command line: the signatures the recalled decision has just checked are taken, not read again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from remembering import aged_paths, count_stats
from safepip.remembered import store


def test_signatures_just_checked_are_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    there, gone, mine = aged_paths(tmp_path)
    paths, owned = [str(there), str(gone)], [str(mine)]
    argv, cwd = ["install", "lib-a"], str(tmp_path)
    assert store.remember(argv, dict(os.environ), cwd, paths, "out", "err", owned=owned)
    read_first = store.recall(argv, dict(os.environ), cwd)
    assert read_first is not None
    known = {str(there): store.signature(str(there)), str(gone): None, str(mine): store.signature(str(mine))}
    asked = count_stats(monkeypatch)
    assert store.remember(argv, dict(os.environ), cwd, paths, "out", "err", owned=owned, known=known)
    assert sorted(set(asked) & {*paths, *owned}) == []
    assert store.recall(argv, dict(os.environ), cwd) == read_first  # the same memo
