"""The EXTERNALLY-MANAGED markers of the field, byte for byte, and their layouts emulated on a real CPython.

Each :class:`Layout` is one distribution's Python: where its prefix is, where its marker sits
(Gentoo's is a symbolic link, openSUSE's standard library is under ``lib64``), the marker's bytes
as the distribution writes them, and what safepip must decide for it. ``source`` says where each
text came from; "reconstructed" marks a text rebuilt from what pip printed for users (the
indentation and line breaks of the file itself were not seen), "synthetic" one made for the test.

:func:`emulate` makes one: pyenv's CPython binary copied under a prefix laid out as that
distribution's, its standard library a farm of symbolic links to pyenv's (nothing of pyenv's
is written to), an empty site-packages of its own, and the marker written as the distribution
writes it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

PYENV = Path("/root/.pyenv/versions")
MINOR = "3.12"

DEBIAN_12 = (
    b"[externally-managed]\n"
    b"Error=To install Python packages system-wide, try apt install\n"
    b" python3-xyz, where xyz is the package you are trying to\n"
    b" install.\n"
    b"\n"
    b" If you wish to install a non-Debian-packaged Python package,\n"
    b" create a virtual environment using python3 -m venv path/to/venv.\n"
    b" Then use path/to/venv/bin/python and path/to/venv/bin/pip. Make\n"
    b" sure you have python3-full installed.\n"
    b"\n"
    b" If you wish to install a non-Debian packaged Python application,\n"
    b" it may be easiest to use pipx install xyz, which will manage a\n"
    b" virtual environment for you. Make sure you have pipx installed.\n"
    b"\n"
    b" See /usr/share/doc/python3.11/README.venv for more information.\n"
)

MARKERS: dict[str, bytes | None] = {
    # Debian 12's python3.11 (/usr/lib/python3.11/EXTERNALLY-MANAGED, 645 bytes), read on Debian 12 itself.
    "debian": DEBIAN_12,
    # Debian's text with translations as PEP 668 describes them (Error-<lang>_<COUNTRY>, Error-<lang>):
    # synthetic, Debian ships none; it exercises pip's locale lookup.
    "debian-localized": DEBIAN_12
    + b"Error-de_DE=Um Python-Pakete systemweit zu installieren, nutzen Sie apt install\n python3-xyz.\n"
    + b"Error-fr=Pour installer des paquets Python pour tout le syst\xc3\xa8me, utilisez apt install\n python3-xyz.\n",
    # Ubuntu 24.04's python3.12 carries Debian's text with its own README path (the first lines as
    # users' `cat /usr/lib/python3.12/EXTERNALLY-MANAGED` shows them; the rest as Debian's).
    "ubuntu": DEBIAN_12.replace(b"python3.11/README.venv", b"python3.12/README.venv"),
    # Raspberry Pi OS (bookworm): Debian's first two paragraphs, then its link (reconstructed from
    # pip's output as users posted it: "For more information visit http://rptl.io/venv").
    "rpi-os": DEBIAN_12.split(b" If you wish to install a non-Debian packaged Python application")[0]
    + b" For more information visit http://rptl.io/venv\n",
    # Arch's python package (reconstructed from pip's output as Arch users posted it).
    "arch": (
        b"[externally-managed]\n"
        b"Error=To install Python packages system-wide, try 'pacman -S\n"
        b" python-xyz', where xyz is the package you are trying to\n"
        b" install.\n"
        b"\n"
        b" If you wish to install a non-Arch-packaged Python package,\n"
        b" create a virtual environment using 'python -m venv path/to/venv'.\n"
        b" Then use path/to/venv/bin/python and path/to/venv/bin/pip.\n"
        b"\n"
        b" If you wish to install a non-Arch packaged Python application,\n"
        b" it may be easiest to use 'pipx install xyz', which will manage a\n"
        b" virtual environment for you. Make sure you have python-pipx\n"
        b" installed via pacman.\n"
    ),
    # Alpine 3.19+: aports main/python3/externally-managed, installed by its APKBUILD; the message
    # starts on the line after "Error=".
    "alpine": (
        b"[externally-managed]\n"
        b"Error=\n"
        b"  The system-wide Python installation in Alpine is managed\n"
        b"  by using the system package manager (apk).\n"
        b"  It appears you are installing to this system-wide location using\n"
        b"  a different package manager. Please use a virtualenv instead:\n"
        b"    python3 -m venv /path/to/venv\n"
        b"    . /path/to/venv/bin/activate\n"
        b"    pip install mypackage\n"
    ),
    # Gentoo: dev-lang/python-common's ebuild writes /usr/lib/python/EXTERNALLY-MANAGED (a <<-EOF
    # here-document: its tabs stripped); each dev-lang/python links ../python/EXTERNALLY-MANAGED.
    "gentoo": (
        b"[externally-managed]\n"
        b"Error=\n"
        b" The system-wide Python installation in Gentoo should be maintained\n"
        b" using the system package manager (e.g. emerge).\n"
        b"\n"
        b" If the package in question is not packaged for Gentoo, please\n"
        b" consider installing it inside a virtual environment, e.g.:\n"
        b"\n"
        b"   python -m venv /path/to/venv\n"
        b"   . /path/to/venv/bin/activate\n"
        b"   pip install mypackage\n"
        b"\n"
        b" To exit the virtual environment, run:\n"
        b"\n"
        b"   deactivate\n"
        b"\n"
        b" The virtual environment is not deleted, and can be re-entered by\n"
        b" re-sourcing the activate file.\n"
    ),
    # openSUSE Tumbleweed: the first line ends in a space (as the survey of its spec file
    # found it); the text is reconstructed.
    "opensuse": (
        b"[externally-managed] \n"
        b"Error=To install Python packages system-wide, try\n"
        b" zypper install python3XY-xyz, where xyz is the package\n"
        b" you are trying to install.\n"
        b"\n"
        b" If you wish to install a non-rpm packaged Python package,\n"
        b" create a virtual environment using python3.X -m venv path/to/venv.\n"
        b" Then use path/to/venv/bin/python and path/to/venv/bin/pip.\n"
    ),
    # Homebrew: the python@3.x formula's post_install writes it into the Cellar's standard library
    # (a <<~EOS here-document: its common indentation stripped).
    "homebrew": (
        b"[externally-managed]\n"
        b"Error=To install Python packages system-wide, try brew install\n"
        b" xyz, where xyz is the package you are trying to\n"
        b" install.\n"
        b"\n"
        b" If you wish to install a Python library that isn't in Homebrew,\n"
        b" use a virtual environment:\n"
        b"\n"
        b"   python3 -m venv path/to/venv\n"
        b"   source path/to/venv/bin/activate\n"
        b"   python3 -m pip install xyz\n"
        b"\n"
        b" If you wish to install a Python application that isn't in Homebrew,\n"
        b" it may be easiest to use 'pipx install xyz', which will manage a\n"
        b" virtual environment for you. You can install pipx with\n"
        b"\n"
        b"   brew install pipx\n"
        b"\n"
        b" You may restore the old behavior of pip by passing\n"
        b" the '--break-system-packages' flag to pip, or by adding\n"
        b" 'break-system-packages = true' to your pip.conf file. The latter\n"
        b" will permanently disable this error.\n"
        b"\n"
        b" If you disable this error, we STRONGLY recommend that you additionally\n"
        b" pass the '--user' flag to pip, or set 'user = true' in your pip.conf\n"
        b" file. Failure to do this can result in a broken Homebrew installation.\n"
        b"\n"
        b" Read more about this behavior here: <https://peps.python.org/pep-0668/>\n"
    ),
    # nixpkgs: no install hint at all (reconstructed: a marker with no Error key, so pip shows its
    # own default message).
    "nixos": b"[externally-managed]\n",
    # MSYS2's MINGW Pythons: the text holds a literal $MINGW_PACKAGE_PREFIX (reconstructed).
    "msys2-mingw": (
        b"[externally-managed]\n"
        b"Error=To install Python packages system-wide, try 'pacman -S\n"
        b" $MINGW_PACKAGE_PREFIX-python-xyz', where xyz is the package you\n"
        b" are trying to install.\n"
        b"\n"
        b" If you wish to install a non-MSYS2-packaged Python package,\n"
        b" create a virtual environment using 'python -m venv path/to/venv'.\n"
        b" Then use path/to/venv/bin/python and path/to/venv/bin/pip.\n"
    ),
    # uv: crates/uv-python/src/managed.rs, written into every Python uv installs.
    "uv": b"[externally-managed]\nError=This Python installation is managed by uv and should not be modified.\n",
    # conda-forge's opt-in conda-managed-env package (reconstructed).
    "conda-marked": (
        b"[externally-managed]\n"
        b"Error=To install Python packages into this conda environment, use\n"
        b" conda install xyz, where xyz is the package you are trying to\n"
        b" install.\n"
    ),
    # A conda environment without that package, and Fedora: no marker at all.
    "conda": None,
    "fedora": None,
}


@dataclass(frozen=True)
class Layout:
    """One distribution's Python, as :func:`emulate` lays it out."""

    name: str
    #: The prefix, relative to the test's directory.
    prefix: str
    #: Whether pip refuses there (PEP 668): a marker, outside a venv.
    managed: bool
    #: Who safepip names as its manager (None: a Python outside /usr is not the OS's).
    distributor: str | None = None
    #: The standard library directory under the prefix (openSUSE: lib64, as its platlibdir says).
    libdir: str = "lib"
    #: Gentoo: the marker is a link to ../python/EXTERNALLY-MANAGED.
    symlink: bool = False
    conda: bool = False
    #: What "fully emulated" leaves out: said in docs/safety.md's table.
    not_emulated: str = ""

    @property
    def marker(self) -> bytes | None:
        return MARKERS[self.name]


LAYOUTS = [
    Layout("debian", "usr", True),
    Layout("debian-localized", "usr", True),
    Layout("ubuntu", "usr", True),
    Layout("rpi-os", "usr", True),
    Layout("arch", "usr", True),
    Layout("alpine", "usr", True),
    Layout("gentoo", "usr", True, symlink=True),
    Layout("opensuse", "usr", True, libdir="lib64"),
    Layout("homebrew", "opt/homebrew/Cellar/python@3.12/3.12.1/Frameworks/Python.framework/Versions/3.12", True,
           distributor="Homebrew", not_emulated="the formula's sysconfig patch (packages under HOMEBREW_PREFIX)"),
    Layout("nixos", "nix/store/0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-python3-3.12.1", True, distributor="Nix",
           not_emulated="NixOS itself (the read-only store is emulated by test_nixos_read_only_store_is_never_written)"),
    Layout("msys2-mingw", "ucrt64", True,
           not_emulated="Windows, and MSYS2's pip patch that only warns under CI (safepip redirects with CI set too)"),
    Layout("uv", "home/.local/share/uv/python/cpython-3.12.1-linux-x86_64-gnu", True, distributor="uv"),
    Layout("conda-marked", "miniforge3/envs/work", True, distributor="conda", conda=True),
    Layout("conda", "miniforge3/envs/plain", False, conda=True),
    Layout("fedora", "usr", False, not_emulated="Fedora's rpm_prefix scheme (sudo pip writes to /usr/local)"),
]


def pyenv_python() -> Path | None:
    """pyenv's CPython 3.12 prefix, if this machine has one."""
    found = sorted(PYENV.glob(f"{MINOR}.*")) if PYENV.is_dir() else []
    return found[-1] if found and (found[-1] / "bin" / f"python{MINOR}").is_file() else None


def emulate(layout: Layout, root: Path) -> Path:
    """``layout``'s Python under ``root``; returns its ``bin/python3``."""
    source = pyenv_python()
    assert source is not None
    prefix = root / layout.prefix
    (prefix / "bin").mkdir(parents=True)
    shutil.copy2(source / "bin" / f"python{MINOR}", prefix / "bin" / f"python{MINOR}")
    (prefix / "bin" / "python3").symlink_to(f"python{MINOR}")
    lib = prefix / "lib" / f"python{MINOR}"
    lib.mkdir(parents=True)
    for entry in os.scandir(source / "lib" / f"python{MINOR}"):
        if entry.name not in ("site-packages", "dist-packages", "EXTERNALLY-MANAGED"):
            (lib / entry.name).symlink_to(entry.path)
    (lib / "site-packages").mkdir()
    stdlib = prefix / layout.libdir / f"python{MINOR}"
    if layout.libdir != "lib":
        # openSUSE builds its CPython with platlibdir = lib64: sysconfig's stdlib (where pip looks
        # for the marker) is then /usr/lib64/python3.X. A copy cannot be rebuilt; its startup says so.
        stdlib.mkdir(parents=True)
        (lib / "site-packages" / "sitecustomize.py").write_text(f"import sys\nsys.platlibdir = {layout.libdir!r}\n")
    if layout.conda:
        (prefix / "conda-meta").mkdir()
        (prefix / "conda-meta" / "history").write_text("==> 2026-01-01 00:00:00 <==\n")
    marker = layout.marker
    if marker is not None:
        if layout.symlink:
            shared = prefix / "lib" / "python" / "EXTERNALLY-MANAGED"
            shared.parent.mkdir()
            shared.write_bytes(marker)
            (stdlib / "EXTERNALLY-MANAGED").symlink_to("../python/EXTERNALLY-MANAGED")
        else:
            (stdlib / "EXTERNALLY-MANAGED").write_bytes(marker)
    return prefix / "bin" / "python3"
