"""Build the release files into dist/: the sdist, the wheel, safepip.pyz, the Debian package
(safepip_VERSION-1_all.deb, built from the sdist with dpkg-buildpackage by tools/build_deb.py:
needs Debian's build tools) and SHA256SUMS.

Reproducible: every timestamp comes from SOURCE_DATE_EPOCH (default: the last commit's
time, else 1980-01-01), so the same source and inputs give the same bytes. ``nox -s build``
runs this with the index reachable (the build backend in an isolated environment; the
archive from wheels for the oldest supported Python) and then ``twine check``;
``--offline`` uses the backend and the distributions installed beside this interpreter
instead (the test suite does that).

Usage: python tools/build_dist.py [--offline] [--outdir dist]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What dist/ holds after a build (anything else there is left alone).
PATTERNS = ("safepip-*.tar.gz", "safepip-*.whl", "safepip.pyz", "safepip_*_all.deb", "SHA256SUMS")


def source_date_epoch() -> str:
    """SOURCE_DATE_EPOCH as given, else the last commit's time, else the zip format's first day."""
    given = os.environ.get("SOURCE_DATE_EPOCH")
    if given:
        return given
    done = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True,
                          check=False)
    stamp = done.stdout.strip()
    return stamp if done.returncode == 0 and stamp.isdigit() else "315532800"


def sums(files: list[Path]) -> str:
    """SHA256SUMS in the format ``sha256sum -c`` reads."""
    return "".join(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n" for f in sorted(files))


def build(outdir: Path, offline: bool) -> list[Path]:
    """Write the release files into ``outdir``; return them (SHA256SUMS last)."""
    outdir.mkdir(parents=True, exist_ok=True)
    for pattern in PATTERNS:
        for old in outdir.glob(pattern):
            old.unlink()
    env = {**os.environ, "SOURCE_DATE_EPOCH": source_date_epoch(), "PYTHONHASHSEED": "0"}
    isolation = ["--no-isolation"] if offline else []
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", *isolation, "--outdir", str(outdir), str(ROOT)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    source = ["--from-installed", "--wheels", str(outdir.parent / f".{outdir.name}-wheels")] if offline else ["--fetch"]
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_zipapp.py"), *source, "-o", str(outdir / "safepip.pyz")],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    sdist = next(outdir.glob("safepip-*.tar.gz"))
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_deb.py"), "--sdist", str(sdist), "--outdir",
                    str(outdir)], check=True, env=env, stdout=subprocess.DEVNULL)
    files = sorted([*outdir.glob("safepip-*.tar.gz"), *outdir.glob("safepip-*.whl"), outdir / "safepip.pyz",
                    *outdir.glob("safepip_*_all.deb")])
    (outdir / "SHA256SUMS").write_text(sums(files), encoding="utf-8")
    return [*files, outdir / "SHA256SUMS"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true", help="no index: installed backend and distributions")
    parser.add_argument("--outdir", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    for path in build(args.outdir, args.offline):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
