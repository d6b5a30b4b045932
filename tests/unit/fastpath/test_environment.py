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
from safepip.fastpath.options import Fallback, canonical
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
    assert decision._installed(str(prefix), listed) == {"lib-a", "lib-b", "old"}
    named: list[str] = []
    def counted(name: str) -> str:
        named.append(name)
        return canonical(name)

    monkeypatch.setattr(environment, "canonical", counted)
    env = Environment(str(prefix), [str(site)], {"python_version": "3.11"}, listed)
    assert named == []  # the scan took the look's reading
    assert env.info_dir("LIB-B") == os.path.join(site, "Lib.B-2.0.dist-info")
    assert env.info_dir("lib_a") == os.path.join(site, "lib_a-1.0.dist-info")


def test_a_new_listing_is_read_again_and_a_legacy_editable_install_is_named(tmp_path: Path) -> None:
    from safepip.fastpath.environment import distributions

    prefix, site = _venv(tmp_path, "lib_a-1.0.dist-info", "b.egg-link", "a.egg-link")
    first, legacy = distributions(str(site), {})
    assert sorted(first) == ["lib-a"]
    assert legacy == next(n for n in os.listdir(site) if n.endswith(".egg-link"))  # the first, as the scan met it
    (site / "lib_c-3.0.dist-info").mkdir()
    again, _ = distributions(str(site), {})  # another call's listing: read again
    assert sorted(again) == ["lib-a", "lib-c"]
    with pytest.raises(Fallback, match="legacy editable install"):
        Environment(str(prefix), [str(site)], {"python_version": "3.11"}, {})


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
