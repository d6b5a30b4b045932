"""safepip.pyz: built reproducibly, runnable by a bare python3, creating environments without
venv, ensurepip or pip, and running its own pip from virtualenv's embedded wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, build_pyz
from helpers import SYSTEM_PYTHON, installed, needs_managed, offline, safepip_env
from outsidedirs import commands_dir

sys.path.insert(0, str(ROOT / "tools"))
import build_zipapp


def run_pyz(
    python: str | Path, pyz: Path, *args: str, cwd: Path, env: dict[str, str] | None = None, isolated: bool = False
) -> subprocess.CompletedProcess[str]:
    argv = [str(python), *(["-I"] if isolated else []), str(pyz), *args]
    return subprocess.run(
        argv, cwd=str(cwd), env=env or safepip_env(), capture_output=True, text=True, timeout=300, check=False
    )


def test_build_is_reproducible_and_well_formed(pyz: Path, tmp_path: Path) -> None:
    again = build_pyz(tmp_path)
    assert again.read_bytes() == pyz.read_bytes()
    assert pyz.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    assert os.access(pyz, os.X_OK)
    with zipfile.ZipFile(pyz) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        bundle = json.loads(archive.read("safepip/_bundle.json"))
    tops = {n.split("/", 1)[0] for n in names}
    assert {"__main__.py", "safepip", "virtualenv", "packaging", "filelock", "platformdirs"} <= tops
    assert "pip" not in tops  # pip comes from virtualenv's embedded wheel
    assert any(n.startswith("virtualenv/seed/wheels/embed/pip-") and n.endswith(".whl") for n in names)
    assert "safepip/cli.py" in names and "safepip/cli.pyc" in names  # source, and byte code beside it
    assert not any("__pycache__" in n for n in names)
    assert set(bundle["bundled"]) >= {"virtualenv", "packaging", "filelock", "platformdirs"}


def test_bundle_follows_pyproject_dependencies(tmp_path: Path) -> None:
    project = build_zipapp._project()
    names = {r.name for r in build_zipapp.top_requirements(project)}
    assert "pip" not in names
    assert {"packaging", "virtualenv", "platformdirs", "tomli"} <= names  # filelock comes with virtualenv
    # For the oldest supported Python, tomli (python_version < '3.11') is needed.
    env = build_zipapp.marker_env((3, 9))
    needed = {r.name for r in build_zipapp.top_requirements(project) if r.marker is None or r.marker.evaluate(env)}
    assert "tomli" in needed


def test_missing_wheel_is_a_clear_build_error(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    with pytest.raises(build_zipapp.BuildError, match="no wheel of"):
        build_zipapp.build(tmp_path / "w", tmp_path / "x.pyz", (3, 11), byte_code=False)
    assert not (tmp_path / "x.pyz").exists()


def test_too_old_python_gets_one_clear_line(tmp_path: Path, pyz: Path) -> None:
    wheels = pyz.parent / "wheels"
    newer = (sys.version_info[0], sys.version_info[1] + 1)
    out = tmp_path / "future.pyz"
    build_zipapp.build(wheels, out, newer, byte_code=False)
    done = run_pyz(sys.executable, out, "--version", cwd=tmp_path)
    assert done.returncode == 69
    assert done.stderr.strip().startswith(
        f"safepip: error: this safepip.pyz needs Python {newer[0]}.{newer[1]} or newer"
    )


@needs_managed
@pytest.mark.slow
@pytest.mark.parametrize("isolated", [False, True], ids=["plain", "isolated"])
def test_system_python_installs_into_the_project(pyz: Path, project: Path, wheelhouse: Path, isolated: bool) -> None:
    done = run_pyz(SYSTEM_PYTHON, pyz, "install", *offline(wheelhouse), "lib-b", cwd=project / "src", isolated=isolated)
    assert done.returncode == 0, done.stderr
    assert f"using {project / '.venv'} (created)" in done.stderr
    assert installed(project / ".venv")["lib-b"] == "2.0"


@needs_managed
@pytest.mark.slow
def test_bare_python_without_venv_ensurepip_or_pip(
    pyz: Path, bare_python: Path, project: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    for module in ("venv", "ensurepip", "pip"):
        probe = subprocess.run([str(bare_python), "-I", "-c", f"import {module}"], capture_output=True, check=False)
        assert probe.returncode != 0, f"the throwaway interpreter should lack {module}"
    env = safepip_env(PATH=f"{bare_python.parent}:/usr/bin:/bin")
    done = run_pyz(bare_python, pyz, "install", *offline(wheelhouse), "lib-a", cwd=project, env=env, isolated=True)
    assert done.returncode == 0, done.stderr
    assert f"{bare_python} is externally managed" in done.stderr
    venv = project / ".venv"
    assert "lib-a" in installed(venv)
    assert "pip" in installed(venv)  # seeded from virtualenv's embedded wheel
    assert f"base-executable = {bare_python}" in (venv / "pyvenv.cfg").read_text()

    # Outside any project a download goes to the target, which has no pip: safepip's own pip
    # (virtualenv's embedded wheel, copied out of the archive) runs it with --python.
    outside = tmp_path / "home" / "elsewhere"
    outside.mkdir()
    dest = tmp_path / "dl"
    done = run_pyz(
        bare_python,
        pyz,
        "download",
        *offline(wheelhouse),
        "-d",
        str(dest),
        "lib-a",
        cwd=outside,
        env=env,
        isolated=True,
    )
    assert done.returncode == 0, done.stderr
    assert os.listdir(dest) == ["lib_a-1.0-py3-none-any.whl"]
    copied = list((Path(env["XDG_CACHE_HOME"]) / "safepip" / "pip").glob("pip-*.whl"))
    assert len(copied) == 1


def test_virtualenv_creation_never_imports_venv_or_ensurepip(pyz: Path, tmp_path: Path) -> None:
    # In the process running the archive, forbid the two modules a Debian without
    # python3-venv lacks, then create an environment the way safepip does.
    code = f"""
import sys
class Forbid:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("venv", "ensurepip"):
            raise ImportError("forbidden: " + name)
sys.meta_path.insert(0, Forbid())
sys.path.insert(0, {str(pyz)!r})
import os
from safepip.facts.interpreter import probe
from safepip.venv.ensure import ensure
ready = ensure({str(tmp_path / "env")!r}, probe({sys.executable!r}, "test", os.environ), os.environ, print)
print("CREATED", ready.created)
"""
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=False, env=safepip_env()
    )
    assert done.returncode == 0, done.stderr
    assert "CREATED True" in done.stdout
    assert (tmp_path / "env" / "bin" / "python").exists()


@needs_managed
def test_outside_a_project_refuses_like_the_installed_safepip(pyz: Path, wheelhouse: Path, elsewhere: Path) -> None:
    done = run_pyz(
        SYSTEM_PYTHON,
        pyz,
        "install",
        *offline(wheelhouse),
        "lib-a",
        cwd=elsewhere,
        env=safepip_env(SAFEPIP_OUTSIDE="refuse"),
    )
    assert done.returncode == 69
    assert "not inside a project" in done.stderr
    assert "Traceback" not in done.stderr


@needs_managed
@pytest.mark.slow
def test_pyz_runs_the_pipx_it_carries_for_an_application(
    pyz: Path, wheelhouse: Path, elsewhere: Path, pipx_dirs: dict[str, str]
) -> None:
    # No pipx on PATH: the one inside the archive must run (a plain `python -m pipx` finds none).
    import shutil

    dirs = pipx_dirs
    env = safepip_env(**dirs)
    assert shutil.which("pipx", path=env["PATH"]) is None
    done = run_pyz(SYSTEM_PYTHON, pyz, "install", *offline(wheelhouse), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "app-c -> pipx" in done.stderr and "an application: it has the command app-c" in done.stderr
    command = commands_dir(dirs) / "app-c"
    runs = subprocess.run([str(command)], capture_output=True, text=True, check=False)
    assert runs.stdout.strip() == "app-c 0.5", runs.stderr


@needs_managed
@pytest.mark.slow
def test_bare_python_outside_a_project_sends_an_application_to_the_user_env(
    pyz: Path, bare_python: Path, wheelhouse: Path, elsewhere: Path, pipx_dirs: dict[str, str]
) -> None:
    # A fresh Debian: no pip to classify with (safepip's own pip must download), and no
    # ensurepip for pipx's shared pip (the application goes to the per-user environment).
    dirs = pipx_dirs
    env = safepip_env(PATH=f"{bare_python.parent}:/usr/bin:/bin", **dirs)
    done = run_pyz(bare_python, pyz, "install", *offline(wheelhouse), "app-c", cwd=elsewhere, env=env, isolated=True)
    assert done.returncode == 0, done.stderr
    assert "cannot tell whether" not in done.stderr
    assert "app-c -> " in done.stderr and "an application: it has the command app-c" in done.stderr
    assert "lacks (on Debian and Ubuntu" in done.stderr or "no ensurepip" in done.stderr
    assert "apt install python3-venv" in done.stderr
    assert "Traceback" not in done.stderr
    (user_env,) = (Path(env["XDG_DATA_HOME"]) / "safepip" / "envs").iterdir()
    assert installed(user_env)["app-c"] == "0.5"
    runs = subprocess.run([str(user_env / "bin" / "app-c")], capture_output=True, text=True, check=False)
    assert runs.stdout.strip() == "app-c 0.5", runs.stderr
    for home in (dirs["PIPX_HOME"], dirs["PIPX_GLOBAL_HOME"]):
        assert not (Path(home) / "venvs" / "app-c").exists()
