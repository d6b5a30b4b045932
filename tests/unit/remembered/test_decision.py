"""What a replayed decision checks before pip installs: whether the fast path may answer (the
options it never answers under, without importing its table), and what an interrupted pip
left (it hands over to the full path's repair, :func:`safepip.venv.ensure.repair_made`, exactly
when that repair has something to remove, whatever site-packages holds that looks like metadata).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.facts import _pipoptions
from safepip.facts.pipargs import command_table
from safepip.fastpath.options import SAFE_OPTIONS
from safepip.remembered import decision
from safepip.venv import ensure


def test_the_options_pip_always_runs_for_are_pips_and_never_safe() -> None:
    assert not decision.PIP_RUNS & SAFE_OPTIONS.keys()
    for version in _pipoptions.VERSIONS:  # each an install option of every pip safepip reads
        named = {canonical for canonical, _, _ in command_table(version, "install").values()}
        assert named >= decision.PIP_RUNS, (version, decision.PIP_RUNS - named)


def _site(env_dir: Path) -> Path:
    site = env_dir / "lib" / "python3.99" / "site-packages"
    site.mkdir(parents=True)
    for name in ("ok-1.0", "other-2.0"):
        (site / f"{name}.dist-info").mkdir()
        (site / f"{name}.dist-info" / "RECORD").write_text("")
    (site / "ok").mkdir()
    (site / "module.py").write_text("")
    return site


#: Each layout added to a clean site-packages, and whether the repair has work there.
_LAYOUTS = {
    "clean": False,
    "torn": True,
    "pip's stash of an uninstall": False,
    "a file named like metadata": False,
    "a dangling RECORD link": False,
    "a RECORD directory": False,
    "a link to metadata without RECORD": True,
    "a dangling metadata link": False,
    "what a killed repair left": True,
    "an egg-info without RECORD": False,
}


def _make(site: Path, layout: str) -> None:
    def info(name: str) -> Path:
        path = site / name
        path.mkdir()
        return path

    if layout == "torn":
        info("cut-1.0.dist-info")
    elif layout == "pip's stash of an uninstall":
        info("~ut-1.0.dist-info")
    elif layout == "a file named like metadata":
        (site / "flat-1.0.dist-info").write_text("")
    elif layout == "a dangling RECORD link":
        (info("link-1.0.dist-info") / "RECORD").symlink_to(site / "nowhere")
    elif layout == "a RECORD directory":
        (info("dir-1.0.dist-info") / "RECORD").mkdir()
    elif layout == "a link to metadata without RECORD":
        (site.parent / "elsewhere.dist-info").mkdir()
        (site / "ln-1.0.dist-info").symlink_to(site.parent / "elsewhere.dist-info")
    elif layout == "a dangling metadata link":
        (site / "gone-1.0.dist-info").symlink_to(site / "nowhere")
    elif layout == "what a killed repair left":
        (info(f"cut-1.0.dist-info{ensure.TORN_INFIX}4242") / "RECORD").write_text("")
    elif layout == "an egg-info without RECORD":
        info("old-1.0.egg-info")


@pytest.mark.parametrize("layout", list(_LAYOUTS))
def test_the_check_hands_over_exactly_when_the_repair_has_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                layout: str) -> None:
    env_dir = tmp_path / "env"
    site = _site(env_dir)
    expected = _LAYOUTS[layout]
    _make(site, layout)
    # the full path's own reading of the same directory
    assert bool(ensure.torn(str(env_dir)) or ensure._leftovers(str(site))) == expected
    calls: list[str] = []
    monkeypatch.setattr(ensure, "repair_made", lambda env, environ: calls.append(env))
    decision._repair(str(env_dir), {})
    assert calls == ([str(env_dir)] if expected else [])


def test_an_unreadable_or_missing_site_packages_is_pips_to_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(ensure, "repair_made", lambda env, environ: calls.append(env))
    decision._repair(str(tmp_path / "none"), {})
    env_dir = tmp_path / "env"
    site = _site(env_dir)
    (site / "cut-1.0.dist-info").mkdir()
    if os.geteuid() != 0:  # root reads it anyway
        site.chmod(0)
        try:
            decision._repair(str(env_dir), {})
        finally:
            site.chmod(0o755)
        assert calls == []
    decision._repair(str(env_dir), {})
    assert calls == [str(env_dir)]
