"""Development sessions: ``nox -s tests``, ``nox -s lint``, ``nox -s zipapp``, ``nox -s bench``,
``nox -s distro``.

The tests run against the real interpreters of this machine: Debian's externally managed
/usr/bin/python3 above all. They never write to it (a session-wide check proves it).
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

#: Debian's externally managed Python: the tests' and the benchmark's target.
SYSTEM_PYTHON = "/usr/bin/python3"
#: What the release build needs; the tests build the same files offline, so they need it too.
BUILD_DEPS = ["build>=1", "twine>=5", "hatchling>=1.27", "packaging>=23", "pip>=22.3", "tomli>=1.1; python_version < '3.11'"]
# pytest 9.2 made a test's node id a property of its own: pytest-xdist (3.8) still renames the
# node to put a test of an xdist_group on one worker, which then no longer takes, and the
# groups (the tools from PyPI installed once, the release builds) ran on two workers at once.
TEST_DEPS = ["pytest>=8,<9.2", "pytest-xdist>=3", "hypothesis>=6", "coverage[toml]>=7", *BUILD_DEPS]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pass pytest options after --)."""
    session.install(".", *TEST_DEPS)
    args = session.posargs or ["-n", "auto", "--dist", "loadgroup"]
    session.run("pytest", *args)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy (strict), on the sources and on the tests."""
    # Pinned: a new release's new rules must not turn CI red without a change here.
    session.install(".", "ruff==0.17.5", "mypy==2.4.1", "pytest", "hypothesis")
    session.run("ruff", "check", "src", "tests")
    session.run("mypy")


@nox.session
def zipapp(session: nox.Session) -> None:
    """Build dist/safepip.pyz from wheels downloaded for the oldest supported Python.

    ``nox -s zipapp -- --from-installed`` builds offline instead, from this session's own
    installed packages (the archive then needs this session's Python version or newer).
    """
    session.install("packaging>=23", "pip>=22.3", "tomli>=1.1; python_version < '3.11'")
    if "--from-installed" in session.posargs:
        session.install(".")
        session.run("python", "tools/build_zipapp.py", *session.posargs)
    else:
        session.run("python", "tools/build_zipapp.py", "--fetch", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against pip (and uv, as a reference): writes BENCHMARKS.md. Not run by default.

    Options after -- go to benchmarks/bench.py (--runs N, --first-runs N, --output FILE, --keep,
    --configs isolated,realistic, --cases 7,8 to run only some cases).
    """
    session.install(".", "uv")  # uv from PyPI: a reference point, not a dependency
    # safepip as the users who hit the error have it: installed with the system's python3
    # (pipx, or the README's venv route), in an environment of its own holding safepip and its
    # dependencies alone, byte code compiled by pip. Not in this session's environment: that
    # runs the driver's Python (here a pyenv build, without PGO) and carries setuptools' .pth.
    under_test = f"{session.create_tmp()}/safepip-under-test"
    session.run("python", "-m", "virtualenv", "-q", "--clear", "--no-setuptools", "--no-wheel", "-p", SYSTEM_PYTHON,
                under_test)
    session.run(f"{under_test}/bin/python", "-m", "pip", "install", "-q", "--disable-pip-version-check", ".",
                external=True)
    session.run(
        "python", "benchmarks/bench.py",
        "--safepip", f"{under_test}/bin/safepip", "--uv", f"{session.bin}/uv", "--output", "BENCHMARKS.md",
        *session.posargs,
    )


@nox.session
def distro(session: nox.Session) -> None:
    """safepip.pyz and the Debian package end to end in a minimal Debian chroot: ``nox -s distro -- trixie``
    (or bookworm; both by default). Also login shells with the suite's stock dotfiles.

    Needs root and debootstrap. The bases are built once into .cache/distro/ from the mirror of the host's
    apt sources; options after -- go to tests/distro/run.py (--variants bare,pip,pipx, --cache DIR).
    Not run by default.
    """
    session.install(".")
    tmp = session.create_tmp()
    pyz = f"{tmp}/safepip.pyz"
    # Offline, from this session's packages; 3.11 is the oldest python3 of the suites tested (bookworm's).
    session.run("python", "tools/build_zipapp.py", "--from-installed", "--floor", "3.11", "--wheels", f"{tmp}/wheels",
                "-o", pyz, silent=True)
    # The Debian package, built from the sdist with dpkg-buildpackage (Debian's own build tools, offline),
    # installed with apt in each chroot.
    session.install("build>=1", "hatchling>=1.27")
    session.run("python", "-m", "build", "--sdist", "--no-isolation", "--outdir", f"{tmp}/sdist", ".", silent=True)
    sdist = next(Path(tmp, "sdist").glob("safepip-*.tar.gz"))
    session.run("python", "tools/build_deb.py", "--sdist", str(sdist), "--outdir", f"{tmp}/deb", silent=True)
    deb = next(Path(tmp, "deb").glob("safepip_*_all.deb"))
    session.run("python", "tests/distro/run.py", "--pyz", pyz, "--deb", str(deb), *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """The release files in dist/: sdist, wheel, safepip.pyz, safepip_VERSION-1_all.deb (dpkg-buildpackage,
    from the sdist: packaging/debian) and SHA256SUMS, then ``twine check``.

    Reproducible (SOURCE_DATE_EPOCH: the last commit's time). ``nox -s build -- --offline``
    builds without the index, from this session's installed packages.
    """
    session.install(*BUILD_DEPS)
    if "--offline" in session.posargs:
        session.install(".")
    session.run("python", "tools/build_dist.py", *session.posargs)
    session.run("twine", "check", "--strict", *(str(p) for p in sorted(Path("dist").glob("safepip-*"))))
