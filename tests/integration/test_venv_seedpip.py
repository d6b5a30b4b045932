"""New environments get the newest pip safepip has offline: the wheel safepip.pyz carries, or
the pip installed beside safepip, when newer than virtualenv's embedded wheel and able to run
on the target."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from conftest import ROOT
from helpers import SYSTEM_PYTHON, SYSTEM_VERSION, installed, needs_managed, offline, safepip_env
from safepip.venv import seedpip

sys.path.insert(0, str(ROOT / "tools"))
import build_zipapp

PIP = metadata.version("pip")


def test_an_installed_pip_is_packed_once_and_seeds_a_working_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(seedpip, "bundled", list)
    candidate = seedpip.choose(SYSTEM_VERSION, "1.0")  # an older virtualenv: the installed pip is newer
    assert candidate == seedpip.Candidate(PIP, candidate.requires_python if candidate else "", installed=True)
    assert candidate is not None
    environ = {"SAFEPIP_CACHE_DIR": str(tmp_path / "cache")}
    directory = seedpip.wheel_dir(candidate, environ)
    wheel = Path(directory) / f"pip-{PIP}-py3-none-any.whl"
    stamp = wheel.stat().st_mtime_ns
    assert seedpip.wheel_dir(candidate, environ) == directory and wheel.stat().st_mtime_ns == stamp
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "pip/__init__.py" in names and f"pip-{PIP}.dist-info/RECORD" in names
    assert not any(n.endswith(".pyc") or n.startswith("..") for n in names)
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "virtualenv", str(env), "-q", "--no-setuptools", "--no-periodic-update",
                    "--pip", PIP, "--extra-search-dir", directory], check=True, capture_output=True)
    done = subprocess.run([str(env / "bin" / "python"), "-m", "pip", "--version"], capture_output=True, text=True,
                          check=True)
    assert done.stdout.startswith(f"pip {PIP} from {env}")


def _renamed_pip(seed_dir: Path, version: str) -> None:
    """The installed pip as a wheel that says it is ``version``: a pip newer than any here."""
    build_zipapp._repack(metadata.distribution("pip"), seed_dir)
    real = next(seed_dir.glob("pip-*.whl"))
    out = seed_dir / f"pip-{version}-py3-none-any.whl"
    with zipfile.ZipFile(real) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            name = info.filename.replace(f"pip-{PIP}.dist-info/", f"pip-{version}.dist-info/")
            if name.endswith(".dist-info/METADATA"):
                data = data.replace(f"\nVersion: {PIP}\n".encode(), f"\nVersion: {version}\n".encode())
            dst.writestr(name, data)
    real.unlink()


@needs_managed
@pytest.mark.slow
def test_the_pyz_seeds_the_pip_wheel_it_carries(pyz: Path, tmp_path: Path, project: Path, wheelhouse: Path) -> None:
    wheels = tmp_path / "wheels"
    for path in (pyz.parent / "wheels").glob("*.whl"):
        (wheels / path.name).parent.mkdir(parents=True, exist_ok=True)
        os.link(path, wheels / path.name)
    (wheels / build_zipapp.SEED_DIR).mkdir()
    _renamed_pip(wheels / build_zipapp.SEED_DIR, "99.0")
    newer = tmp_path / "newer.pyz"
    build_zipapp.build(wheels, newer, SYSTEM_VERSION[:2], byte_code=False)
    done = subprocess.run([SYSTEM_PYTHON, str(newer), "install", *offline(wheelhouse), "lib-a"], cwd=project,
                          env=safepip_env(), capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert installed(project / ".venv")["pip"] == "99.0"


@needs_managed
@pytest.mark.slow
def test_the_test_pyz_and_the_installed_safepip_seed_the_same_pip(
    pyz: Path, tmp_path: Path, wheelhouse: Path
) -> None:
    from helpers import SAFEPIP

    pips = {}
    for route, argv in (("installed", [SAFEPIP]), ("pyz", [SYSTEM_PYTHON, str(pyz)])):
        proj = tmp_path / route
        proj.mkdir()
        (proj / "requirements.txt").write_text("")
        done = subprocess.run([*argv, "install", *offline(wheelhouse), "lib-a"], cwd=proj, env=safepip_env(),
                              capture_output=True, text=True, check=False, timeout=300)
        assert done.returncode == 0, done.stderr
        pips[route] = installed(proj / ".venv")["pip"]
    assert pips["installed"] == pips["pyz"] == max(PIP, pips["installed"], key=lambda v: tuple(map(int, v.split("."))))
