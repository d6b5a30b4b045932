"""The Debian package: packaging/debian (read here, cheaply) and tools/build_deb.py (dpkg-buildpackage
from the sdist, when Debian's build tools are installed), looked at with dpkg-deb as apt would see it.
Installing it is tested in the Debian chroots (tests/distro: ``apt install ./safepip_*.deb``), never
on this machine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import build_deb

DEBIAN = ROOT / "packaging" / "debian"
EPOCH = "1700000000"


def _control_fields(text: str) -> list[dict[str, str]]:
    stanzas: list[dict[str, str]] = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line[:1] in (" ", "\t"):
                fields[key] += "\n" + line.strip()
            else:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        stanzas.append(fields)
    return stanzas


def _names(field: str) -> list[str]:
    return [re.split(r"[\s(]", item.strip(), maxsplit=1)[0] for item in field.split(",") if item.strip()]


def test_the_changelog_is_at_the_projects_version() -> None:
    from safepip import __version__

    text = (DEBIAN / "changelog").read_text(encoding="utf-8")
    assert build_deb.changelog_version(text) == build_deb.debian_version(__version__)


def test_control_and_source_format() -> None:
    source, package = _control_fields((DEBIAN / "control").read_text(encoding="utf-8"))
    assert (DEBIAN / "source" / "format").read_text().strip() == "3.0 (quilt)"
    build_depends = _names(source["Build-Depends"])
    assert {"debhelper-compat", "dh-sequence-python3", "pybuild-plugin-pyproject", "python3-all"} <= set(build_depends)
    assert "debhelper-compat (= 13)" in source["Build-Depends"]
    assert package["Package"] == "safepip" and package["Architecture"] == "all"
    # Debian's own packages, no upstream floor bookworm's versions miss (README.Debian says why).
    assert set(_names(package["Depends"])) == {"${misc:Depends}", "${python3:Depends}", "pipx", "python3-packaging",
                                               "python3-platformdirs", "python3-venv", "python3-virtualenv"}
    assert os.access(DEBIAN / "rules", os.X_OK)


def test_the_quilt_patch_applies_to_pyproject(tmp_path: Path) -> None:
    series = (DEBIAN / "patches" / "series").read_text().split()
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for name in series:
        done = subprocess.run(["patch", "-p1", "--dry-run", "-F0", "-i", str(DEBIAN / "patches" / name)], cwd=tmp_path,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_sdist_carries_the_packaging() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    with (ROOT / "pyproject.toml").open("rb") as handle:
        sdist = tomllib.load(handle)["tool"]["hatch"]["build"]["targets"]["sdist"]
    assert "/packaging" in sdist["include"]


@pytest.mark.parametrize(("pep440", "debian"), [
    ("0.1.0", "0.1.0-1"), ("1.0rc1", "1.0~rc1-1"), ("1.0.dev3", "1.0~~dev3-1"), ("1.0a1.dev2", "1.0~a1~dev2-1"),
    ("1.0.post2", "1.0+post2-1"), ("1!2.0", "1:2.0-1"),
])
def test_versions_sort_as_debian_sorts_them(pep440: str, debian: str) -> None:
    assert build_deb.debian_version(pep440) == debian


def test_prereleases_sort_before_the_release() -> None:
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg is not installed")
    order = ["1.0.dev1", "1.0a1.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1.dev1"]
    for older, newer in zip(order, order[1:]):
        done = subprocess.run(["dpkg", "--compare-versions", build_deb.debian_version(older), "lt",
                               build_deb.debian_version(newer)], check=False)
        assert done.returncode == 0, (older, newer)


def test_a_changelog_behind_the_sdist_is_refused(tmp_path: Path) -> None:
    from safepip import __version__

    if shutil.which("dpkg-buildpackage", path=build_deb.CLEAN_PATH) is None:
        pytest.skip("dpkg-buildpackage is not installed")
    newer = f"{__version__}.1"
    top = tmp_path / f"safepip-{newer}"
    shutil.copytree(DEBIAN, top / "packaging" / "debian")
    sdist = tmp_path / f"safepip-{newer}.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(top, arcname=top.name)
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_deb.py"), "--sdist", str(sdist), "--outdir",
                           str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert f"add a changelog entry for {newer}-1" in done.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.slow
def test_dpkg_buildpackage_builds_the_deb_from_the_sdist(tmp_path: Path) -> None:
    from safepip import __version__

    if shutil.which("dpkg-buildpackage", path=build_deb.CLEAN_PATH) is None:
        pytest.skip("dpkg-buildpackage is not installed (apt-get install dpkg-dev debhelper dh-python ...)")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, env=env)
    sdist = next(tmp_path.glob("safepip-*.tar.gz"))
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_deb.py"), "--sdist", str(sdist), "--outdir",
                           str(tmp_path / "out")], capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    deb = tmp_path / "out" / f"safepip_{__version__}-1_all.deb"
    assert deb.is_file()

    def field(name: str) -> str:
        return subprocess.run(["dpkg-deb", "-f", str(deb), name], check=True, capture_output=True, text=True).stdout.strip()

    assert field("Version") == f"{__version__}-1" and field("Architecture") == "all"
    assert set(_names(field("Depends"))) == {"python3:any", "pipx", "python3-packaging", "python3-platformdirs",
                                             "python3-venv", "python3-virtualenv"}
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], check=True, capture_output=True, text=True).stdout
    paths = {line.split()[-1] for line in listing.splitlines()}
    assert {"./usr/bin/safepip", "./usr/lib/python3/dist-packages/safepip/cli.py",
            "./usr/share/man/man1/safepip.1.gz", "./usr/share/doc/safepip/copyright"} <= paths
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    assert (root / "usr/bin/safepip").read_text().startswith("#! /usr/bin/python3\n")
