"""The Debian package (tools/build_deb.py): built offline from safepip.pyz with dpkg-deb, looked at
with dpkg-deb as apt would see it. Installing it is tested in the Debian chroots
(tests/distro: ``apt install ./safepip_*.deb``), never on this machine."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import ROOT
from helpers import SYSTEM_PYTHON

sys.path.insert(0, str(ROOT / "tools"))
import build_deb
import build_zipapp

pytestmark = [pytest.mark.slow]

EPOCH = 1700000000


@pytest.fixture(scope="module")
def deb(pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed")
    out = tmp_path_factory.mktemp("deb")
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_deb.py"), "--pyz", str(pyz), "--outdir", str(out)],
                   check=True, capture_output=True, env={**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)})
    return out / os.listdir(out)[0]


def dpkg_deb(*args: str) -> str:
    return subprocess.run(["dpkg-deb", *args], check=True, capture_output=True, text=True).stdout


def test_name_and_control_fields(deb: Path) -> None:
    from safepip import __version__

    assert deb.name == f"safepip_{__version__}-1_all.deb"
    floor = build_zipapp.floor_of(build_zipapp._project())
    fields = {name: dpkg_deb("-f", str(deb), name).strip() for name in
              ("Package", "Version", "Architecture", "Depends", "Maintainer", "Description", "Section", "Homepage")}
    assert fields["Package"] == "safepip"
    assert fields["Version"] == f"{__version__}-1"
    assert fields["Architecture"] == "all"
    assert fields["Depends"] == f"python3 (>= {floor[0]}.{floor[1]})"  # pyproject's requires-python
    assert fields["Maintainer"] and fields["Section"] == "python" and fields["Homepage"].startswith("https://")
    synopsis = fields["Description"].splitlines()[0]
    assert 0 < len(synopsis) < 80
    assert "externally-managed-environment" in fields["Description"]


def test_contents_no_maintainer_scripts_and_sums(deb: Path, pyz: Path, tmp_path: Path) -> None:
    listing = {}
    for line in dpkg_deb("-c", str(deb)).splitlines():
        mode, owner, _size, _day, _time, path = line.split(None, 5)
        listing[path] = (mode, owner)
    files = {p: m for p, (m, _) in listing.items() if not m.startswith("d")}
    assert files == {
        "./usr/bin/safepip": "-rwxr-xr-x",
        "./usr/lib/safepip/safepip.pyz": "-rw-r--r--",
        "./usr/share/doc/safepip/copyright": "-rw-r--r--",
        "./usr/share/doc/safepip/changelog.Debian.gz": "-rw-r--r--",
        "./usr/share/man/man1/safepip.1.gz": "-rw-r--r--",
    }
    assert {owner for _, owner in listing.values()} == {"root/root"}
    # Nothing runs when it is installed or removed: the control archive is control and md5sums alone.
    control = subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(deb)], check=True, capture_output=True).stdout
    (tmp_path / "control.tar").write_bytes(control)
    with tarfile.open(tmp_path / "control.tar") as tar:
        assert sorted(n for n in tar.getnames() if n != ".") == ["./control", "./md5sums"]
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    assert (root / "usr/lib/safepip/safepip.pyz").read_bytes() == pyz.read_bytes()
    for line in dpkg_deb("--info", str(deb), "md5sums").splitlines():
        digest, path = line.split(None, 1)
        assert hashlib.md5((root / path).read_bytes()).hexdigest() == digest, path  # noqa: S324 - dpkg's format
    copyright_text = (root / "usr/share/doc/safepip/copyright").read_text()
    assert copyright_text.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
    assert "License: MIT" in copyright_text and "SOFTWARE.\n" in copyright_text


def test_the_command_runs_the_packaged_archive(deb: Path, tmp_path: Path) -> None:
    from safepip import __version__

    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    command = root / "usr/bin/safepip"
    text = command.read_text()
    assert text.startswith("#!/usr/bin/python3 -I\n")
    # The command as installed, pointed at the extracted archive (this machine's /usr stays untouched).
    moved = tmp_path / "safepip"
    moved.write_text(text.replace(build_deb.ARCHIVE, str(root / build_deb.ARCHIVE.lstrip("/"))))
    done = subprocess.run([SYSTEM_PYTHON, "-I", str(moved), "--version"], capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"safepip {__version__} from {root / 'usr/lib/safepip/safepip.pyz'}")
    man = subprocess.run(["man", "-l", str(root / "usr/share/man/man1/safepip.1.gz")], capture_output=True, text=True,
                         check=False, env={"PATH": "/usr/bin:/bin", "MANWIDTH": "80", "LANG": "C.UTF-8"})
    if man.returncode == 0:  # man may be missing; when present the page must render
        assert "NAME" in man.stdout and "safepip shell-init --rc bash" in man.stdout.replace("\u2010", "-")


def test_build_is_reproducible(deb: Path, pyz: Path, tmp_path: Path) -> None:
    again = build_deb.build(pyz, tmp_path, EPOCH)
    assert again.read_bytes() == deb.read_bytes()


@pytest.mark.parametrize(("pep440", "debian"), [
    ("0.1.0", "0.1.0-1"), ("1.0rc1", "1.0~rc1-1"), ("1.0.dev3", "1.0~~dev3-1"), ("1.0a1.dev2", "1.0~a1~dev2-1"),
    ("1.0.post2", "1.0+post2-1"), ("1!2.0", "1:2.0-1"),
])
def test_versions_sort_as_debian_sorts_them(pep440: str, debian: str) -> None:
    assert build_deb.debian_version(pep440) == debian


def test_prereleases_sort_before_the_release() -> None:
    order = ["1.0.dev1", "1.0a1.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1.dev1"]
    for older, newer in zip(order, order[1:]):
        done = subprocess.run(["dpkg", "--compare-versions", build_deb.debian_version(older), "lt",
                               build_deb.debian_version(newer)], check=False)
        assert done.returncode == 0, (older, newer)
