"""The environment's distributions as the fast path finds them: one reading of each
site-packages listing per call, shared by the front door's look for names not installed at
all (:mod:`safepip.remembered.decision`) and the scan.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.fastpath import environment
from safepip.fastpath.environment import Environment
from safepip.fastpath.options import Fallback
from safepip.remembered import decision


def _venv(tmp_path: Path, *infos: str) -> tuple[Path, Path]:
    """A virtual environment's prefix and site-packages holding these metadata directories."""
    prefix = tmp_path / "env"
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (prefix / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    for name in (*infos, "lib_a", "module.py"):
        (site / name).mkdir()
    return prefix, site


def test_the_front_doors_look_and_the_scan_read_one_listing_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix, site = _venv(tmp_path, "lib_a-1.0.dist-info", "Lib.B-2.0.dist-info", "old-1.0-py3.11.egg-info")
    listed: dict[str, list[str]] = {}
    assert decision._missing(str(prefix), ["lib-a", "lib-b", "old"], listed) is False
    assert decision._missing(str(prefix), ["lib-a", "lib-c"], listed) is True
    made: list[str] = []
    real = environment.Index

    def counted(directory: str, names: list[str]) -> environment.Index:
        made.append(directory)
        return real(directory, names)

    monkeypatch.setattr(environment, "Index", counted)
    env = Environment(str(prefix), [str(site)], {"python_version": "3.11"}, listed)
    assert made == []  # the scan took the look's reading
    assert env.info_dir("LIB-B") == os.path.join(site, "Lib.B-2.0.dist-info")
    assert env.info_dir("lib_a") == os.path.join(site, "lib_a-1.0.dist-info")
    assert env.info_dir("OLD") == os.path.join(site, "old-1.0-py3.11.egg-info")
    with pytest.raises(KeyError):
        env.info_dir("lib-c")


def test_a_new_listing_is_read_again_and_a_legacy_editable_install_is_named(tmp_path: Path) -> None:
    from safepip.fastpath.environment import distributions

    prefix, site = _venv(tmp_path, "lib_a-1.0.dist-info", "b.egg-link", "a.egg-link")
    first = distributions(str(site), {})
    assert first.every().keys() == {"lib-a"}
    assert first.legacy == next(n for n in os.listdir(site) if n.endswith(".egg-link"))  # the first, as the scan met it
    (site / "lib_c-3.0.dist-info").mkdir()
    again = distributions(str(site), {})  # another call's listing: read again
    assert again.every().keys() == {"lib-a", "lib-c"}
    assert again.get("lib-c") == [os.path.join(site, "lib_c-3.0.dist-info")]
    with pytest.raises(Fallback, match="legacy editable install"):
        Environment(str(prefix), [str(site)], {"python_version": "3.11"}, {})


#: Names of metadata directories (and other entries) to find distributions among: every way
#: of writing a name that folds to another's, entries that only look like one, other scripts.
_ENTRIES = [
    "lib_a-1.0.dist-info", "Lib.A-2.0.dist-info", "LIB__A-3.0.dist-info", "lib-a.dist-info", "lib_a",
    "lib_a-1.0.data", "lib_ab-1.0.dist-info", "lib-a-b-1.0.dist-info", "lib_a_b.dist-info", "a-1.0-py3.11.egg-info",
    "A.egg-info", "a_-1.0.dist-info", "_a-1.0.dist-info", "-.dist-info", ".dist-info", "x.egg-link", "zz-9.pth",
    "Über-1.0.dist-info", "über-2.0.dist-info", "\u0391\u03a3.dist-info", "\u0391\u03a3-1.0.dist-info", "Kelvin-1.0.dist-info",
    "\u212aelvin-2.0.dist-info", "lib-a-1.0-1.0.dist-info", "lib.a.b-1.dist-info", "ns-1.0-py3.11-nspkg.pth",
]


@pytest.mark.parametrize("ascii_only", [True, False])
def test_the_folded_search_finds_what_reading_every_entry_finds(tmp_path: Path, ascii_only: bool) -> None:
    names = [n for n in _ENTRIES if n.isascii() or not ascii_only]
    index = environment.Index(str(tmp_path), names)
    every = index.every()
    asked = {*every, "lib-a", "lib-ab", "a", "-", "", "a-", "-a", "über", "\u03b1\u03c2", "\u03b1\u03c3", "kelvin", "lib-a-b", "lib-a-1-0"}
    for key in sorted(asked):
        assert index.get(key) == every.get(key, []), key
    assert index.legacy == "x.egg-link"


def test_what_the_caller_read_of_pyvenv_cfg_is_used_for_that_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix, site = _venv(tmp_path)
    read: list[str] = []

    def counted(env_dir: str) -> bool:
        read.append(env_dir)
        return False

    monkeypatch.setattr(environment, "system_site_packages", counted)
    probed = (str(prefix), str(site), str(site), {"python_version": "3.11"})
    Environment.of("python", {}, probed=probed, known=(str(prefix), False))
    assert read == []  # the pip flow read it with the environment (Ready): not read again
    with pytest.raises(Fallback, match="sees the system site-packages"):
        Environment.of("python", {}, probed=probed, known=(str(prefix), True))
    Environment.of("python", {}, probed=probed, known=(str(tmp_path / "another"), True))
    Environment.of("python", {}, probed=probed, known=(str(prefix), None))  # not known: read here
    assert read == [str(prefix), str(prefix)]


def test_the_pth_files_of_a_listing_are_the_entries_ending_in_pth_sorted(tmp_path: Path) -> None:
    names = ["zz.pth", "lib_a-1.0.dist-info", "a.pth", "a.pth.bak", "pth", "b.PTH", "x-nspkg.pth"]
    assert environment.Index(str(tmp_path), names).pth() == ["a.pth", "x-nspkg.pth", "zz.pth"]
    assert environment.Index(str(tmp_path), ["lib_a-1.0.dist-info", "a.pth.bak"]).pth() == []
