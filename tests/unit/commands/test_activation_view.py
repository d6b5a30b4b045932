"""The environment safepip decides with when shell-init's activation is in effect: its own
activation taken away, anything else (a venv activated by hand, the user's PATH) kept."""

from __future__ import annotations

from safepip.commands.activation import own, without_own_activation

ENV = "/home/u/proj/.venv"


def test_own_activation_is_taken_away_and_the_view_of_a_view_is_itself() -> None:
    environ = {"VIRTUAL_ENV": ENV, "SAFEPIP_ACTIVATED": ENV, "PATH": f"/shims:{ENV}/bin:/usr/bin:{ENV}/bin", "X": "1"}
    view = without_own_activation(environ)
    assert dict(view) == {"SAFEPIP_ACTIVATED": ENV, "PATH": f"/shims:/usr/bin:{ENV}/bin", "X": "1"}
    assert own(environ) == ENV and own(view) is None
    assert without_own_activation(view) == view  # the user's own later entry stays
    assert environ["VIRTUAL_ENV"] == ENV  # the caller's mapping is not changed


def test_a_venv_activated_by_hand_and_no_activation_are_left_as_they_are() -> None:
    by_hand = {"VIRTUAL_ENV": "/home/u/mine", "SAFEPIP_ACTIVATED": ENV, "PATH": f"/home/u/mine/bin:{ENV}/bin:/usr/bin"}
    assert without_own_activation(by_hand) is by_hand
    plain = {"VIRTUAL_ENV": ENV, "PATH": f"{ENV}/bin:/usr/bin"}
    assert without_own_activation(plain) is plain
