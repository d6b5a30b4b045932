"""New environments get the newest pip safepip has offline: the wheel safepip.pyz carries, or
the pip installed beside safepip, when newer than virtualenv's embedded wheel and able to run
on the target."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT
from safepip.venv import seedpip

sys.path.insert(0, str(ROOT / "tools"))

def test_the_newest_candidate_that_runs_on_the_target_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = [seedpip.Candidate("30.0", ">=3.12", wheel="/w/pip-30.0-py3-none-any.whl"),
              seedpip.Candidate("27.0", ">=3.9", wheel="/w/pip-27.0-py3-none-any.whl")]
    monkeypatch.setattr(seedpip, "bundled", lambda: wheels)
    monkeypatch.setattr(seedpip, "installed", lambda: seedpip.Candidate("26.3", ">=3.10", installed=True))
    assert seedpip.choose((3, 13, 0), "25.3") == wheels[0]
    assert seedpip.choose((3, 11, 2), "25.3") == wheels[1]  # 30.0 does not run on 3.11
    assert seedpip.choose((3, 11, 2), "27.0") is None  # virtualenv's own is as new: it seeds
    assert seedpip.choose((3, 11, 2), None) == wheels[1]
    monkeypatch.setattr(seedpip, "bundled", list)
    assert seedpip.choose((3, 11, 2), "25.3") == seedpip.Candidate("26.3", ">=3.10", installed=True)
    assert seedpip.choose((3, 9, 18), "25.3") is None  # nothing newer runs on 3.9
