"""The release files, built offline as ``nox -s build`` builds them: reproducible, checked by
twine, and working as the README's Install section says: the wheel through
``pipx install safepip-*.whl`` in a fresh HOME, and safepip.pyz; both give new environments
the same pip."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from conftest import ROOT
from helpers import SYSTEM_PYTHON, installed, needs_managed, offline

sys.path.insert(0, str(ROOT / "tools"))
import build_dist
import build_zipapp

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("release")]


#: One timestamp for every build of the session (by default it is the last commit's, which a
#: commit made while the suite runs would change between two builds).
EPOCH = build_dist.source_date_epoch()


def _build(out: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_dist.py"), "--offline", "--outdir", str(out)],
                   check=True, capture_output=True, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/, built offline by tools/build_dist.py (the build behind ``nox -s build``)."""
    out = tmp_path_factory.mktemp("release") / "dist"
    _build(out)
    return out


def test_build_is_reproducible_summed_and_passes_twine_check(dist: Path, tmp_path: Path) -> None:
    from safepip import __version__

    names = sorted(p.name for p in dist.iterdir())
    assert names == sorted(["SHA256SUMS", f"safepip-{__version__}-py3-none-any.whl", f"safepip-{__version__}.tar.gz",
                            "safepip.pyz", f"safepip_{__version__}-1_all.deb"])
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 4
    again = tmp_path / "dist"
    _build(again)
    assert (again / "SHA256SUMS").read_text() == (dist / "SHA256SUMS").read_text()
    files = [str(p) for p in sorted(dist.glob("safepip-*"))]
    twine = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *files], capture_output=True, text=True,
                           check=False)
    assert twine.returncode == 0, twine.stdout + twine.stderr
    assert twine.stdout.count("PASSED") == 2


def test_one_version_in_one_place(dist: Path) -> None:
    from safepip import __version__

    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and not re.search(r"^version\s*=", text, re.MULTILINE)
    assert (dist / f"safepip-{__version__}-py3-none-any.whl").is_file()
    done = subprocess.run([sys.executable, str(dist / "safepip.pyz"), "--version"], capture_output=True, text=True,
                          check=False)
    assert done.stdout.startswith(f"safepip {__version__} ")


def _wheelhouse(directory: Path) -> Path:
    """safepip's dependencies (and pip) as wheels, repacked from this interpreter's installs."""
    build_zipapp.repack_installed(directory)
    build_zipapp._repack(metadata.distribution("pip"), directory)
    return directory


def _pip_of(env: Path) -> str:
    return installed(env)["pip"]


@needs_managed
def test_wheel_route_with_pipx_in_a_fresh_home_and_the_pyz_give_the_same_pip(
    dist: Path, tmp_path: Path, wheelhouse: Path, hermetic: dict[str, str]
) -> None:
    home = tmp_path / "fresh-home"
    home.mkdir()
    deps = _wheelhouse(tmp_path / "deps")
    # A fresh HOME: no XDG directories, no pipx or safepip state; the index is a local directory.
    env = {
        "HOME": str(home), "PATH": "/usr/bin:/bin", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(deps),
        "PIP_CONFIG_FILE": hermetic["PIP_CONFIG_FILE"], "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "XDG_CONFIG_DIRS": hermetic["XDG_CONFIG_DIRS"], "LANG": "C.UTF-8",
    }
    wheel = next(dist.glob("safepip-*.whl"))
    done = subprocess.run([sys.executable, "-m", "pipx", "install", "--python", SYSTEM_PYTHON, str(wheel)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    safepip = home / ".local" / "bin" / "safepip"
    run_env = {k: v for k, v in env.items() if k not in ("PIP_NO_INDEX", "PIP_FIND_LINKS")}
    version = subprocess.run([str(safepip), "--version"], env=run_env, capture_output=True, text=True, check=False)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("safepip ") and str(home / ".local" / "share" / "pipx") in version.stdout

    routes = {}
    for route, argv in (("wheel", [str(safepip)]), ("pyz", [SYSTEM_PYTHON, str(dist / "safepip.pyz")])):
        proj = tmp_path / f"proj-{route}"
        proj.mkdir()
        (proj / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
        done = subprocess.run([*argv, "install", *offline(wheelhouse), "lib-a"], cwd=proj, env=run_env,
                              capture_output=True, text=True, check=False, timeout=600)
        assert done.returncode == 0, done.stderr
        assert f"using {proj / '.venv'} (created)" in done.stderr
        assert "lib-a" in installed(proj / ".venv")
        assert "A new release of pip" not in done.stderr
        routes[route] = _pip_of(proj / ".venv")
    assert routes["wheel"] == routes["pyz"] == metadata.version("pip")


def test_docs_install_names_what_the_archive_bundles(dist: Path) -> None:
    import json
    import zipfile

    with zipfile.ZipFile(dist / "safepip.pyz") as archive:
        bundle = json.loads(archive.read("safepip/_bundle.json"))
    doc = (ROOT / "docs" / "install.md").read_text()
    line = next(line for line in doc.splitlines() if line.startswith("It carries its dependencies:"))
    named = set(re.findall(r"`([a-z0-9_-]+)`", line))
    # Every top-level dependency of pyproject.toml that the archive bundles, and pip as a wheel.
    project = build_zipapp._project()
    top = {r.name for r in build_zipapp.top_requirements(project)}
    assert named == top | {"pip"}, (named, top)
    assert top - {"tomli"} <= set(bundle["bundled"])
    assert bundle["seed_pip"]


def test_metadata_is_ready_for_publishing(dist: Path) -> None:
    import zipfile
    from email.parser import HeaderParser

    from safepip import __version__

    wheel = next(dist.glob("safepip-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        meta = HeaderParser().parsestr(archive.read(name).decode())
    floor = build_zipapp.floor_of(build_zipapp._project())
    assert meta["Requires-Python"] == f">={floor[0]}.{floor[1]}"
    classifiers = set(meta.get_all("Classifier") or [])
    for minor in range(floor[1], 14):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    urls = {u.split(",")[0].strip().lower() for u in meta.get_all("Project-URL") or []}
    assert {"homepage", "source", "issues", "documentation"} <= urls
    assert meta["License-Expression"] == "MIT" and meta["Description-Content-Type"] == "text/markdown"
    with zipfile.ZipFile(wheel) as archive:
        # the command is a script of its own, which the installer gives its interpreter, and no
        # entry point (whose generated launcher would import re before safepip starts)
        script = archive.read(f"safepip-{__version__}.data/scripts/safepip").decode()
        assert not any(n.endswith("entry_points.txt") for n in archive.namelist())
    assert script.startswith("#!python\n") and "from safepip.cli import main" in script
    assert "import re" not in script


@needs_managed
def test_venv_route_from_the_wheel(dist: Path, tmp_path: Path, project: Path, wheelhouse: Path) -> None:
    deps = _wheelhouse(tmp_path / "deps")
    venv = tmp_path / "venvs" / "safepip"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(venv)], check=True, capture_output=True)
    wheel = next(dist.glob("safepip-*.whl"))
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-index", "--find-links", str(deps), str(wheel)],
                          capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr
    env = {"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": os.devnull,
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    ran = subprocess.run([str(venv / "bin" / "safepip"), "install", *offline(wheelhouse), "lib-a"], cwd=project,
                         env=env, capture_output=True, text=True, check=False, timeout=600)
    assert ran.returncode == 0, ran.stderr
    assert f"{SYSTEM_PYTHON} is externally managed" in ran.stderr  # safepip's own venv is not the target
    assert "lib-a" in installed(project / ".venv")
