"""Build safepip_VERSION-1_all.deb from the sdist, the Debian way: ``dpkg-buildpackage -us -uc -b``.

The sdist carries the Debian packaging (``packaging/debian/``: debhelper-compat 13, pybuild
with the pyproject plugin, source format 3.0 (quilt)). This unpacks the sdist in a temporary
directory, puts ``packaging/debian`` there as ``debian/``, checks that debian/changelog's
version is the sdist's, builds with Debian's own python3 and build tools (a clean PATH: no
other Python's ``build`` or hatchling takes part) and copies the .deb into ``--outdir``.
Nothing is written outside the temporary directory and ``--outdir``.

Needs the build dependencies debian/control names (on Debian: ``apt-get install dpkg-dev
debhelper dh-python pybuild-plugin-pyproject python3-all python3-hatchling``); dpkg-buildpackage
checks them and names any that is missing.

Usage: python tools/build_deb.py --sdist dist/safepip-X.Y.Z.tar.gz [--outdir dist]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The Debian revision of every build (the package is made from the release, unchanged).
REVISION = "1"
#: Debian's own tools and interpreters only.
CLEAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def debian_version(version: str) -> str:
    """A PEP 440 version as Debian orders it, with the revision: ``1.0rc1`` -> ``1.0~rc1-1``,
    ``1.0.dev1`` -> ``1.0~~dev1-1`` (pre-releases and development releases sort before their
    release, and in PEP 440's order, as ``~`` sorts in Debian)."""
    from packaging.version import Version

    parsed = Version(version)
    release = ".".join(str(part) for part in parsed.release)
    text = release if parsed.epoch == 0 else f"{parsed.epoch}:{release}"
    if parsed.pre:
        text += f"~{parsed.pre[0]}{parsed.pre[1]}"
    if parsed.dev is not None:  # 1.0.dev1 < 1.0a1: "~~" sorts before "~a"
        text += f"~dev{parsed.dev}" if parsed.pre else f"~~dev{parsed.dev}"
    if parsed.post is not None:
        text += f"+post{parsed.post}"
    if parsed.local:
        text += f"+{parsed.local.replace('_', '.')}"
    return f"{text}-{REVISION}"


def changelog_version(text: str) -> str:
    """The version of debian/changelog's newest entry (its first line: ``safepip (V) suite; ...``)."""
    found = re.match(r"safepip \(([^)\s]+)\) ", text)
    if not found:
        raise SystemExit("debian/changelog: the first line must read 'safepip (VERSION) SUITE; urgency=...'")
    return found.group(1)


def sdist_version(sdist: Path) -> str:
    """The version in an sdist's name (``safepip-1.2.3.tar.gz``)."""
    found = re.fullmatch(r"safepip-(.+)\.tar\.gz", sdist.name)
    if not found:
        raise SystemExit(f"{sdist}: not an sdist of safepip (safepip-VERSION.tar.gz)")
    return found.group(1)


def build(sdist: Path, outdir: Path, epoch: str | None = None) -> Path:
    """Build the .deb from ``sdist`` in a temporary directory; copy it into ``outdir``; return its path."""
    if shutil.which("dpkg-buildpackage", path=CLEAN_PATH) is None:
        raise SystemExit("dpkg-buildpackage not found (on Debian and Ubuntu: apt-get install dpkg-dev debhelper "
                         "dh-python pybuild-plugin-pyproject python3-all python3-hatchling)")
    version = sdist_version(sdist)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="safepip-deb-") as tmp:
        with tarfile.open(sdist) as archive:
            if sys.version_info >= (3, 12):
                archive.extractall(tmp, filter="data")
            else:  # pragma: no cover - the release's own sdist, built just before
                archive.extractall(tmp)  # noqa: S202
        source = Path(tmp) / f"safepip-{version}"
        packaging = source / "packaging" / "debian"
        if not packaging.is_dir():
            raise SystemExit(f"{sdist}: no packaging/debian inside")
        shutil.copytree(packaging, source / "debian", symlinks=True)
        want = debian_version(version)
        have = changelog_version((source / "debian" / "changelog").read_text(encoding="utf-8"))
        if have != want:
            raise SystemExit(f"packaging/debian/changelog is at {have}, the sdist at {version}: add a changelog "
                             f"entry for {want} (dch -v {want})")
        env = {"PATH": CLEAN_PATH, "HOME": tmp, "LANG": "C.UTF-8", "DEB_BUILD_OPTIONS": "nocheck"}
        if epoch:
            env["SOURCE_DATE_EPOCH"] = epoch
        log = Path(tmp) / "build.log"
        with log.open("w", encoding="utf-8") as out:
            done = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=source, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
            print("\n".join(tail), file=sys.stderr)
            raise SystemExit(f"dpkg-buildpackage failed (exit code {done.returncode})")
        built = Path(tmp) / f"safepip_{want.split(':')[-1]}_all.deb"
        output = outdir / built.name
        shutil.copyfile(built, output)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", type=Path, required=True, help="safepip-VERSION.tar.gz")
    parser.add_argument("--outdir", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    print(build(args.sdist.resolve(), args.outdir, os.environ.get("SOURCE_DATE_EPOCH")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
