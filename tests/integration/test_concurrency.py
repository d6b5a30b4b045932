"""Parallel safepip runs on one project: serialized by the environment's lock, nothing lost.

pip has no lock of its own and ``virtualenv D`` runs on one D break each other; safepip's
lock covers creation and the whole pip run (the lock's descriptor survives the exec).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from helpers import SAFEPIP, installed, needs_managed, offline, read_until, run_safepip, safepip_env, venv_python
from safepip.paths import Dirs
from safepip.runner import pip_argv
from safepip.venv.lock import FileLock, lock_path
from safepip.venv.state import CREATING, write_state
from wheels import make_wheel

pytestmark = [needs_managed, pytest.mark.slow]

PARALLEL = 16


def _start_all(argvs: list[list[str]], cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """Start every safepip at once, then wait for all of them."""
    env = safepip_env()
    procs = [
        subprocess.Popen([SAFEPIP, *argv], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for argv in argvs
    ]
    done = []
    for argv, proc in zip(argvs, procs):
        out, err = proc.communicate(timeout=600)
        done.append(subprocess.CompletedProcess([SAFEPIP, *argv], proc.returncode, out, err))
    return done


def _pip_check(env_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([venv_python(env_dir), "-m", "pip", "check"], capture_output=True, text=True, check=False)


def _assert_one_whole_env(project: Path) -> Path:
    venv = project / ".venv"
    # Exactly one environment, and no leftovers of a removal beside it.
    assert sorted(p.name for p in project.iterdir()) == [".venv", "pyproject.toml", "src"]
    assert (venv / ".safepip.json").read_text().count('"complete"') == 1
    check = _pip_check(venv)
    assert check.returncode == 0, check.stdout + check.stderr
    return venv


@pytest.mark.parametrize("round_", range(3))
def test_parallel_installs_of_different_wheels(project: Path, tmp_path: Path, round_: int) -> None:
    house = tmp_path / "house"
    names = [f"par-{round_}-{i}" for i in range(PARALLEL)]
    for i, name in enumerate(names):
        # Half of them share a dependency, so pip's resolver sees the others' work.
        make_wheel(house, name, f"1.{i}", requires=["shared-dep>=1"] if i % 2 else [])
    make_wheel(house, "shared-dep", "1.0")
    results = _start_all([["install", *offline(house), name] for name in names], project)
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    venv = _assert_one_whole_env(project)
    have = installed(venv)
    for i, name in enumerate(names):
        assert have[name] == f"1.{i}"
    assert have["shared-dep"] == "1.0"
    created = [r for r in results if "(created)" in r.stderr]
    assert len(created) == 1  # one process made the environment; the others used it
    waits = [line for r in results for line in r.stderr.splitlines() if "waiting for" in line]
    assert waits, "16 processes at once: some must have waited for the lock"
    for line in waits:
        assert line.startswith(f"safepip: waiting for {venv}: in use by pid ")


@pytest.mark.parametrize("round_", range(3))
def test_parallel_installs_of_the_same_wheel(project: Path, tmp_path: Path, round_: int) -> None:
    house = tmp_path / "house"
    make_wheel(house, "same-lib", "3.0", requires=["same-dep"])
    make_wheel(house, "same-dep", "1.0", scripts={"same-dep": "same_dep:main"})
    results = _start_all([["install", *offline(house), "same-lib"]] * PARALLEL, project)
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    venv = _assert_one_whole_env(project)
    have = installed(venv)
    assert have["same-lib"] == "3.0"
    assert have["same-dep"] == "1.0"
    assert sum("Successfully installed" in r.stdout for r in results) == 1  # the others saw it done
    script = subprocess.run([str(venv / "bin" / "same-dep")], capture_output=True, text=True, check=False)
    assert script.stdout.strip() == "same-dep 1.0"


def _lock_for(env_dir: Path) -> FileLock:
    return FileLock(lock_path(str(env_dir), Dirs(safepip_env())))


def test_a_waiter_says_for_whom_and_proceeds_when_the_lock_is_free(project: Path, wheelhouse: Path) -> None:
    assert run_safepip("install", *offline(wheelhouse), "lib-a", cwd=project).returncode == 0
    venv = project / ".venv"
    outside = _lock_for(venv)
    outside.acquire()
    try:
        proc = subprocess.Popen(
            [SAFEPIP, "install", *offline(wheelhouse), "lib-b"], cwd=project, env=safepip_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        said = read_until(proc.stderr, "waiting for", proc)
        assert f"safepip: waiting for {venv}: in use by " in said
        assert proc.poll() is None  # still waiting: pip has not run
        assert "lib-b" not in installed(venv)
    finally:
        outside.release()
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert installed(venv)["lib-b"] == "2.0"
    assert said.count("waiting for") == 1  # said once


def _open_fifo_for_writing(fifo: Path, proc: subprocess.Popen[str]):  # type: ignore[no-untyped-def]
    """Open ``fifo`` once the process opened it for reading (without hanging if it died)."""
    import errno

    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before reading the FIFO: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.02)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "w")


def test_pip_holds_the_lock_after_exec(project: Path, wheelhouse: Path, tmp_path: Path) -> None:
    venv = project / ".venv"
    fifo = tmp_path / "requirements.fifo"
    os.mkfifo(fifo)
    # pip blocks reading the FIFO: the process is pip by then (same pid, after exec).
    proc = subprocess.Popen(
        [SAFEPIP, "install", *offline(wheelhouse), "-r", str(fifo)], cwd=project, env=safepip_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        with _open_fifo_for_writing(fifo, proc) as writer:
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
            assert cmdline[:3] == [os.fsencode(a) for a in pip_argv(venv_python(venv), [])]
            lock = _lock_for(venv)
            assert not lock.try_acquire()
            # A second safepip waits for pip, naming pip's process.
            second = subprocess.Popen(
                [SAFEPIP, "install", *offline(wheelhouse), "app-c"], cwd=project, env=safepip_env(),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            said = read_until(second.stderr, "waiting for", second)
            assert f"in use by pid {proc.pid}: safepip install" in said
            assert second.poll() is None
            writer.write("lib-b\n")
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        second_out, second_err = second.communicate(timeout=300)
        assert second.returncode == 0, second_err
    finally:
        for each in (proc, locals().get("second")):
            if each is not None and each.poll() is None:
                each.kill()
                each.communicate()
    assert lock.try_acquire()  # pip exited: the lock is free again
    lock.release()
    assert {"lib-a", "lib-b", "app-c"} <= set(installed(venv))


def test_a_reader_waits_for_a_creation_in_progress(project: Path, wheelhouse: Path) -> None:
    # A creation in progress (by a process that holds the lock) looks like this on disk.
    venv = project / ".venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    write_state(str(venv), CREATING, "/usr/bin/python3")  # as safepip writes it: signed
    outside = _lock_for(venv)
    outside.acquire()
    try:
        proc = subprocess.Popen(
            [SAFEPIP, "list", "--format=freeze"], cwd=project, env=safepip_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        said = read_until(proc.stderr, "waiting for", proc)
        assert f"waiting for {venv}" in said
        time.sleep(0.2)  # not a timing assertion: only gives a wrong implementation the chance to run pip
        assert proc.poll() is None
    finally:
        outside.release()
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "rebuilt: its creation was interrupted" in err
    assert (venv / ".safepip.json").read_text().count('"complete"') == 1
