"""Build dist/safepip_VERSION-1_all.deb: safepip.pyz as a Debian package, for ``apt install ./safepip_*.deb``.

The package holds the archive (``/usr/lib/safepip/safepip.pyz``, which carries every
dependency), a ``/usr/bin/safepip`` that runs it on Debian's own ``/usr/bin/python3``, a man
page and the copyright file. It depends on ``python3`` alone (the archive needs neither pip
nor venv; ``python3-venv`` is recommended, for pipx's application environments) and has no
maintainer scripts: installing it runs nothing and writes nothing but its files, and
``apt remove`` takes them all away.

Built offline with ``dpkg-deb --build`` from a tree staged here, reproducibly: every
timestamp is SOURCE_DATE_EPOCH, owners root, gzip without names or times.

Usage: python tools/build_deb.py --pyz dist/safepip.pyz [--outdir dist]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The Debian revision of every build (the package is made from the release, unchanged).
REVISION = "1"
ARCHIVE = "/usr/lib/safepip/safepip.pyz"
#: The control file's one-line description (under 80 characters, as Debian asks).
SYNOPSIS = "drop-in pip for externally managed Pythons: installs go where they belong"

# -I: neither PYTHON* variables nor the user's site-packages change the system's command.
WRAPPER = f'''\
#!/usr/bin/python3 -I
"""safepip, from the Debian package: runs {ARCHIVE} on Debian's python3."""
import sys

sys.path.insert(0, "{ARCHIVE}")
from safepip.cli import main

sys.exit(main())
'''

MAN = r""".TH SAFEPIP 1 "" "safepip {version}" "User Commands"
.SH NAME
safepip \- a drop\-in pip that sends installs on externally managed Pythons where they belong
.SH SYNOPSIS
.B safepip
.RI [ pip\-command ]
.RI [ options ]
.br
.B safepip
.BR explain | which | run | doctor | trust | repair | shell\-init
.RI [ options ]
.SH DESCRIPTION
On a Python the distribution manages (PEP 668: Debian 12 and later, Ubuntu 23.04 and later),
.B pip install
is refused with "externally\-managed\-environment".
.B safepip
takes pip's command line unchanged and runs pip where the install belongs: inside a project, the
project's virtual environment (made on first use, \fI.venv\fR); outside any project,
applications go to pipx and libraries to a per\-user environment. Inside an active virtual
environment, and on a Python that is not externally managed, it runs pip unchanged.
.PP
.B safepip explain
shows what an install would do and why;
.B safepip doctor
shows everything safepip sees here.
.SH SHELL
For
.B pip
typed in the shell (and in make and scripts started from it) to run safepip, add to
.I ~/.bashrc
the line
.B safepip shell\-init \-\-rc bash
prints (zsh:
.IR ~/.zshrc ;
fish:
.IR ~/.config/fish/config.fish ).
.SH FILES
.TP
.I ~/.config/safepip/config.toml
the user configuration
.TP
.I ~/.local/share/safepip
the per\-user environment and safepip's own data
.TP
.I {archive}
safepip itself, with its dependencies
.SH EXIT STATUS
pip's own exit codes pass through; safepip's own failures use 64 (usage), 65 (bad data),
69 (unavailable), 73 (cannot create), 77 (permission) and 78 (configuration).
.SH SEE ALSO
.BR pip (1),
.BR pipx (1),
.I /usr/share/doc/safepip/
and {homepage}
"""

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: safepip
Source: {homepage}

Files: *
Copyright: {holder}
License: MIT
 {license}
"""


def _project() -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    assert isinstance(project, dict)
    return project


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


def python_floor(project: dict[str, object]) -> str:
    """The oldest Python ``requires-python`` admits (``3.9``)."""
    found = re.search(r">=\s*(\d+\.\d+)", str(project.get("requires-python", "")))
    if not found:
        raise SystemExit("pyproject.toml: requires-python must give a lower bound (>=3.X)")
    return found.group(1)


def archive_version(pyz: Path) -> str:
    """The version of safepip inside ``pyz``."""
    import zipfile

    with zipfile.ZipFile(pyz) as archive:
        init = archive.read("safepip/__init__.py").decode("utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', init, re.MULTILINE)
    if not found:
        raise SystemExit(f"{pyz}: no safepip version inside")
    return found.group(1)


def _gzip(data: bytes, path: Path, epoch: int) -> None:
    # gzip -9n: no name, a fixed time (Debian policy 12.3; the same bytes each build).
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=epoch) as out:
        out.write(data)


def homepage(project: dict[str, object]) -> str:
    """pyproject's Homepage URL ('' without one)."""
    urls = project.get("urls", {})
    return str(urls.get("Homepage", "")) if isinstance(urls, dict) else ""


def maintainer(project: dict[str, object]) -> str:
    """``Name <address>``: DEBFULLNAME and DEBEMAIL as Debian's tools read them, else the
    project's name for its authors and its issue tracker (the project publishes no address)."""
    name = os.environ.get("DEBFULLNAME") or "safepip developers"
    contact = os.environ.get("DEBEMAIL") or (f"{homepage(project)}/issues" if homepage(project) else "")
    return f"{name} <{contact}>"


def control(project: dict[str, object], version: str, installed_kib: int) -> str:
    """The package's control file."""
    long = (
        "pip refuses to install into a Python the distribution manages (PEP 668:\n"
        "\"externally-managed-environment\"). safepip takes pip's command line\n"
        "unchanged and runs pip where the install belongs: inside a project, the\n"
        "project's virtual environment (made on first use); outside any project,\n"
        "applications go to pipx and libraries to a per-user environment.\n"
        ".\n"
        "This package holds safepip.pyz, which carries safepip's dependencies\n"
        "(virtualenv, packaging, platformdirs, pipx and a pip wheel): it needs\n"
        "neither python3-pip nor python3-venv."
    )
    fields = {
        "Package": "safepip",
        "Version": version,
        "Architecture": "all",
        "Maintainer": maintainer(project),
        "Installed-Size": str(installed_kib),
        "Depends": f"python3 (>= {python_floor(project)})",
        "Recommends": "python3-venv",
        "Section": "python",
        "Priority": "optional",
        "Homepage": homepage(project),
        "Description": f"{SYNOPSIS}\n" + "\n".join(f" {line}" for line in long.splitlines()),
    }
    return "".join(f"{key}: {value}\n" for key, value in fields.items() if value)


def stage(tree: Path, pyz: Path, epoch: int) -> str:
    """Lay the package's files out under ``tree``; return its Debian version."""
    project = _project()
    version = debian_version(archive_version(pyz))
    home = homepage(project)
    doc = tree / "usr" / "share" / "doc" / "safepip"
    for directory in (tree / "usr" / "bin", tree / "usr" / "lib" / "safepip", doc,
                      tree / "usr" / "share" / "man" / "man1", tree / "DEBIAN"):
        directory.mkdir(parents=True, exist_ok=True)
    (tree / "usr" / "bin" / "safepip").write_text(WRAPPER, encoding="utf-8")
    shutil.copyfile(pyz, tree / ARCHIVE.lstrip("/"))
    lines = (ROOT / "LICENSE").read_text(encoding="utf-8").strip().splitlines()
    # LICENSE: a title, the copyright line, then the licence's own text.
    at = next(i for i, line in enumerate(lines) if line.startswith("Copyright"))
    holder = re.sub(r"^Copyright\s*(\(c\))?\s*", "", lines[at])
    text = "\n".join(lines[at + 1:]).strip()
    body = "\n ".join(line if line.strip() else "." for line in text.splitlines())
    (doc / "copyright").write_text(COPYRIGHT.format(homepage=home, holder=holder, license=body), encoding="utf-8")
    changelog = (f"safepip ({version}) unstable; urgency=medium\n\n  * Release {archive_version(pyz)}: "
                 f"safepip.pyz packaged for Debian.\n\n -- {maintainer(project)}  {_rfc2822(epoch)}\n")
    _gzip(changelog.encode(), doc / "changelog.Debian.gz", epoch)
    man = MAN.format(version=archive_version(pyz), archive=ARCHIVE, homepage=home)
    _gzip(man.encode(), tree / "usr" / "share" / "man" / "man1" / "safepip.1.gz", epoch)
    files = sorted(p for p in tree.rglob("*") if p.is_file() and "DEBIAN" not in p.relative_to(tree).parts)
    sums = "".join(f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.relative_to(tree)}\n" for p in files)  # noqa: S324 - dpkg's format
    (tree / "DEBIAN" / "md5sums").write_text(sums, encoding="utf-8")
    kib = sum((p.stat().st_size + 1023) // 1024 for p in files)
    (tree / "DEBIAN" / "control").write_text(control(project, version, kib), encoding="utf-8")
    for path in [tree, *tree.rglob("*")]:
        executable = path.is_dir() or path == tree / "usr" / "bin" / "safepip"
        path.chmod(0o755 if executable else 0o644)
        os.utime(path, (epoch, epoch), follow_symlinks=False)
    return version


def _rfc2822(epoch: int) -> str:
    from email.utils import formatdate

    return formatdate(epoch, usegmt=False).replace("-0000", "+0000")


def build(pyz: Path, outdir: Path, epoch: int) -> Path:
    """Write ``safepip_VERSION_all.deb`` for ``pyz`` into ``outdir``; return its path."""
    dpkg_deb = shutil.which("dpkg-deb")
    if dpkg_deb is None:
        raise SystemExit("dpkg-deb not found (on Debian and Ubuntu: apt-get install dpkg)")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="safepip-deb-") as tmp:
        tree = Path(tmp) / "tree"
        version = stage(tree, pyz, epoch)
        output = outdir / f"safepip_{version.split(':')[-1]}_all.deb"
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
        subprocess.run([dpkg_deb, "--root-owner-group", "-Zxz", "--build", str(tree), str(output)], check=True,
                       env=env, stdout=subprocess.DEVNULL)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyz", type=Path, default=ROOT / "dist" / "safepip.pyz", help="the archive to package")
    parser.add_argument("--outdir", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or 315532800)
    print(build(args.pyz, args.outdir, epoch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
