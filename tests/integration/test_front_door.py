"""The front door (safepip.front): the active-venv pass-through agrees with plan(), and a
remembered no-op answer is replayed only while nothing it depended on has changed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from frontexec import quick_argv
from helpers import SYSTEM_PYTHON, age_tree, installed, needs_managed, offline, run_safepip, safepip_env, venv_python
from safepip.remembered import store as memo

# -- remember / replay ----------------------------------------------------------------------


def test_a_venv_without_pip_takes_the_full_path(tmp_path: Path, no_exec: None) -> None:
    bare = tmp_path / "bare"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(bare)], check=True)
    assert quick_argv(["list"], {**safepip_env(), "VIRTUAL_ENV": str(bare)}) is None


@needs_managed
@pytest.mark.slow
def test_remembered_no_op_is_replayed_and_never_stale(project: Path, wheelhouse: Path) -> None:
    assert run_safepip("install", *offline(wheelhouse), "lib-b", cwd=project).returncode == 0
    memo = Path(safepip_env()["XDG_CACHE_HOME"]) / "safepip" / "noop"
    age_tree(project)
    first = run_safepip("install", *offline(wheelhouse), "lib-b", cwd=project)
    assert first.returncode == 0, first.stderr
    assert "Requirement already satisfied: lib-b" in first.stdout
    assert len(list(memo.glob("*.memo"))) == 2  # remembered: the answer, and the decision for any install here
    again = run_safepip("install", *offline(wheelhouse), "lib-b", cwd=project)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, first.stderr)

    # pip changes the environment behind safepip's back: the memory must not answer.
    pip = subprocess.run([venv_python(project / ".venv"), "-m", "pip", "uninstall", "-y", "-q", "lib-a"],
                         capture_output=True, text=True, check=False)
    assert pip.returncode == 0, pip.stderr
    redo = run_safepip("install", *offline(wheelhouse), "lib-b", cwd=project)
    assert redo.returncode == 0, redo.stderr
    assert "Successfully installed lib-a-1.0" in redo.stdout
    assert installed(project / ".venv")["lib-a"] == "1.0"


@needs_managed
@pytest.mark.slow
def test_a_changed_requirement_file_is_read_again(project: Path, wheelhouse: Path) -> None:
    req = project / "requirements.txt"
    req.write_text("lib-a\n")
    assert run_safepip("install", *offline(wheelhouse), "-r", "requirements.txt", cwd=project).returncode == 0
    age_tree(project)
    assert run_safepip("install", *offline(wheelhouse), "-r", "requirements.txt", cwd=project).returncode == 0
    req.write_text("lib-a\nlib-b\n")
    done = run_safepip("install", *offline(wheelhouse), "-r", "requirements.txt", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "Successfully installed lib-b-2.0" in done.stdout


@needs_managed
@pytest.mark.slow
def test_an_active_venv_answer_survives_a_busy_directory_above(
    tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = tmp_path / "active"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(venv)], check=True)
    subprocess.run([venv_python(venv), "-m", "pip", "install", "-q", *offline(wheelhouse), "lib-a"], check=True)
    age_tree(venv)
    busy = tmp_path / "busy"  # like /tmp or $HOME: entries come and go all the time
    here = busy / "work"
    here.mkdir(parents=True)
    env = safepip_env(VIRTUAL_ENV=str(venv), PATH=f"{venv}/bin:/usr/bin:/bin")
    argv = ["install", *offline(wheelhouse), "lib-a"]
    first = run_safepip(*argv, cwd=here, env=env)
    assert first.returncode == 0, first.stderr
    assert "Requirement already satisfied: lib-a" in first.stdout
    (busy / "someone-elses-file").write_text("")
    monkeypatch.chdir(here)
    assert memo.replay(argv, env) == 0  # remembered, and still valid
    assert capsys.readouterr().out == first.stdout


@needs_managed
@pytest.mark.slow
def test_a_pth_edited_in_place_is_seen(project: Path, wheelhouse: Path) -> None:
    assert run_safepip("install", *offline(wheelhouse), "lib-a", cwd=project).returncode == 0
    site = next((project / ".venv" / "lib").glob("python3*/site-packages"))
    extra, empty = project / "extra1", project / "extra2"
    extra.mkdir()
    empty.mkdir()
    info = extra / "lib_z-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lib-z\nVersion: 1.0\n")
    (info / "RECORD").write_text("")
    pth = site / "zz-extra.pth"
    pth.write_text(f"{extra}\n")
    age_tree(project)
    first = run_safepip("install", *offline(wheelhouse), "lib-z", cwd=project)
    assert first.returncode == 0 and "Requirement already satisfied: lib-z" in first.stdout, first.stderr
    again = run_safepip("install", *offline(wheelhouse), "lib-z", cwd=project)
    assert again.returncode == 0
    stamp = pth.stat()
    pth.write_text(f"{empty}\n")  # same size; the modification time put back
    os.utime(pth, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert pth.stat().st_size == stamp.st_size and pth.stat().st_mtime_ns == stamp.st_mtime_ns
    stale = run_safepip("install", *offline(wheelhouse), "lib-z", cwd=project)
    assert stale.returncode != 0 and "lib-z" in stale.stderr, (stale.stdout, stale.stderr)
