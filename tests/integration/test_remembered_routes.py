"""Remembered routes: a pip call that reaches pip is replayed by the front door (the same
notice, the same lock, the same pip command line) without importing the rest of safepip,
and only while nothing the route depended on has changed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from helpers import (
    age_tree,
    install_and_age,
    installed,
    needs_managed,
    offline,
    read_until,
    run_full_path,
    safepip_env,
    venv_python,
)
from safepip.paths import Dirs
from safepip.runner import pip_argv
from safepip.venv.lock import FileLock, lock_path


@pytest.fixture
def made(project: Path, wheelhouse: Path) -> Path:
    install_and_age(project, *offline(wheelhouse), "lib-b")
    return project


@needs_managed
@pytest.mark.slow
def test_list_freeze_show_version_help_are_replayed(made: Path) -> None:
    for args in (["list"], ["freeze"], ["show", "lib-a"], ["--version"], ["--help"], ["uninstall", "-y", "nothing-here"]):
        first, full = run_full_path(*args, cwd=made)
        assert full, args
        again, full = run_full_path(*args, cwd=made)
        assert not full, (args, "the front door took the route")
        assert (again.returncode, again.stdout, again.stderr) == (first.returncode, first.stdout, first.stderr), args
    assert "safepip:" in again.stderr  # the notice is said again


@needs_managed
@pytest.mark.slow
def test_an_install_route_is_not_replayed_once_the_environment_changed(made: Path, wheelhouse: Path) -> None:
    args = ["install", "-U", *offline(wheelhouse), "lib-a"]
    first, full = run_full_path(*args, cwd=made)
    assert (first.returncode, full) == (0, True), first.stderr
    again, full = run_full_path(*args, cwd=made)
    assert (again.returncode, full) == (0, False), again.stderr
    assert again.stdout == first.stdout
    pip = subprocess.run([venv_python(made / ".venv"), "-m", "pip", "uninstall", "-y", "-q", "lib-b"],
                         capture_output=True, text=True, check=False)
    assert pip.returncode == 0
    done, full = run_full_path(*args, cwd=made)
    # site-packages changed: the remembered route no longer holds. The decision for any
    # install here does (it depends on no requirement and on nothing installed): the fast
    # path's own check stands aside for -U, and pip runs under the lock.
    assert (done.returncode, full) == (0, False), done.stderr
    assert installed(made / ".venv")["lib-a"] == "1.0"
    _, full = run_full_path(*args, cwd=made, env=safepip_env(SAFEPIP_NO_FASTPATH="1"))
    assert full  # nothing remembered is used then
    # The list route does not depend on what is installed: it survives an install.
    run_full_path("list", cwd=made)
    age_tree(made)
    run_full_path("list", cwd=made)
    assert not run_full_path("list", cwd=made)[1]
    assert run_full_path("install", *offline(wheelhouse), "lib-b", cwd=made)[0].returncode == 0
    listed, full = run_full_path("list", cwd=made)
    assert not full
    assert "lib-b" in listed.stdout


@needs_managed
@pytest.mark.slow
def test_a_configuration_change_takes_the_full_path(made: Path) -> None:
    run_full_path("list", cwd=made)
    assert not run_full_path("list", cwd=made)[1]
    other = made / "other-env"
    (made / "pyproject.toml").write_text('[project]\nname = "myproj"\nversion = "0"\n[tool.safepip]\nvenv = "other-env"\n')
    done, full = run_full_path("list", cwd=made)
    assert full
    assert done.returncode == 0, done.stderr
    assert (other / "pyvenv.cfg").exists()
    assert "lib-b" not in done.stdout


@needs_managed
@pytest.mark.slow
def test_a_replayed_route_holds_the_lock_through_exec(made: Path, wheelhouse: Path) -> None:
    args = ["install", "-U", *offline(wheelhouse), "lib-a"]
    assert run_full_path(*args, cwd=made)[1]
    venv = made / ".venv"
    lock = FileLock(lock_path(str(venv), Dirs(safepip_env())))
    # A busy lock: the front door leaves the route to the full path, which waits and says so.
    assert lock.try_acquire()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "safepip", *args], cwd=made, env=safepip_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        said = read_until(proc.stderr, "waiting for", proc)
        assert f"waiting for {venv}" in said
    finally:
        lock.release()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    # Free: replayed, and pip (the same process, after exec) holds the lock. pip is kept
    # waiting on a FIFO requirement file, whose route is remembered like any other.
    fifo = made / "reqs.fifo"
    os.mkfifo(fifo)
    age_tree(made)
    fifo_args = ["install", "-U", *offline(wheelhouse), "-r", str(fifo)]
    for replayed in (False, True):
        proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "safepip", *fifo_args], cwd=made,
                                env=safepip_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            with open(fifo, "w") as writer:  # opens once pip opened it for reading
                cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
                assert cmdline[:3] == [os.fsencode(a) for a in pip_argv(venv_python(venv), [])]
                assert not lock.try_acquire()
                assert lock.holder() == f"pid {proc.pid}: safepip {' '.join(fifo_args)}"
                writer.write("lib-a\n")
            _, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, err
        assert ("safepip.act.flow" not in err) == replayed
    assert lock.try_acquire()  # pip exited: free again
    lock.release()
    assert installed(venv)["lib-a"] == "1.0"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A package index on 127.0.0.1 serving lib-a 1.0 (more can be published into it)."""
    from httpindex import serve
    from wheels import make_wheel

    house = tmp_path / "published"
    make_wheel(house, "lib-a", "1.0")
    for url, _ in serve(house):
        yield f"{url}/simple/", house


@needs_managed
@pytest.mark.slow
def test_a_replayed_route_under_umask_000_makes_nothing_others_can_write(
    project: Path, index: tuple[str, Path]
) -> None:
    from wheels import make_wheel

    url, house = index
    args = ["install", "-U", "--index-url", url, "lib-a"]
    assert run_full_path(*args, cwd=project)[0].returncode == 0  # creates .venv, installs lib-a 1.0
    age_tree(project)
    first, full = run_full_path(*args, cwd=project)  # already satisfied: the route is remembered
    assert (first.returncode, full) == (0, True), first.stderr
    make_wheel(house, "lib-a", "2.0")  # a new release: the same command now installs it
    env = safepip_env()
    done = subprocess.run(["sh", "-c", 'umask 000; exec "$@"', "sh", sys.executable, "-X", "importtime", "-m",
                           "safepip", *args], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert not any(ln.rstrip().endswith("safepip.act.flow") for ln in done.stderr.splitlines()), "not replayed"
    venv = project / ".venv"
    assert installed(venv)["lib-a"] == "2.0"
    loose = [f"{p} {stat.S_IMODE(p.lstat().st_mode):04o}" for p in [venv, *venv.rglob("*")]
             if not p.is_symlink() and p.lstat().st_mode & 0o022]
    assert not loose, loose


@needs_managed
@pytest.mark.slow
@pytest.mark.parametrize("args", [["--help"], ["help"], ["--version"], ["list"], ["show", "lib-a"], ["freeze"]])
def test_informational_calls_are_one_process(made: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    from inprocess import run_main

    code, recorder = run_main(args, made, monkeypatch)
    assert code == 0
    assert [kind for kind, _ in recorder.started] == ["exec"], recorder.started  # safepip becomes pip: no child
    argv = recorder.started[0][1]
    assert argv[0] == venv_python(made / ".venv")
    assert argv[-len(args):] == args
