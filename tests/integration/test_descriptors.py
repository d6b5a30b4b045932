"""Descriptors 0-2 are the caller's: safepip run with one of them closed, or with stdout on a
full device or a pipe nobody reads, ends as pip does.

pip is the oracle: each call is made with the environment's own ``bin/pip`` and with the
``safepip`` command, in the same environment and the same way, and the exit codes and what
was installed must agree. safepip's own verbs have no pip to compare with: a closed stdout
drops their output (exit 0, as Python's ``print`` does), a write that fails is exit 74.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import time
from pathlib import Path
from typing import IO, Sequence

import pytest

from helpers import SAFEPIP, installed, needs_managed, offline, run_safepip, safepip_env
from safepip.remembered.store import DECISION

pytestmark = [needs_managed]

#: The shell's way to close each descriptor before exec.
_CLOSE = {0: "<&-", 1: ">&-", 2: "2>&-"}


def _closed(argv: Sequence[str], cwd: Path, fds: Sequence[int], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with descriptors ``fds`` closed (by a shell that then execs it); what is
    left open of stdout and stderr is captured."""
    redirections = " ".join(_CLOSE[fd] for fd in fds)
    return subprocess.run(
        ["/bin/sh", "-c", f'exec "$@" {redirections}', "sh", *argv], cwd=cwd, env=env or safepip_env(),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False,
    )


def _to(argv: Sequence[str], cwd: Path, stdout: IO[bytes] | int, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with stdout on ``stdout`` (a file or a descriptor), stderr captured."""
    return subprocess.run(
        list(argv), cwd=cwd, env=env or safepip_env(), stdin=subprocess.DEVNULL, stdout=stdout,
        stderr=subprocess.PIPE, text=True, timeout=300, check=False,
    )


def _full(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "wb") as full:
        return _to(argv, cwd, full)


def _broken_pipe(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with stdout a pipe whose reader is gone (``| head -1`` once head is done)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return _to(argv, cwd, writer)
    finally:
        os.close(writer)


@pytest.fixture
def env_ready(project: Path, wheelhouse: Path) -> Path:
    """The project's environment, made by safepip, with lib-a installed; returns the project."""
    done = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=project)
    assert done.returncode == 0, done.stderr
    return project


def _pip(project: Path) -> str:
    return str(project / ".venv" / "bin" / "pip")


def _uninstall(project: Path, name: str) -> None:
    subprocess.run([_pip(project), "uninstall", "-y", name], env=safepip_env(), capture_output=True, check=True)


@pytest.mark.parametrize("fd", [1, 2])
def test_install_with_stdout_or_stderr_closed(env_ready: Path, wheelhouse: Path, fd: int) -> None:
    """pip installs and exits 0 with either closed; safepip died with 70 (stdout: Python's
    None stream) or exit 1 silently (stderr: the lock landed on descriptor 2)."""
    venv = env_ready / ".venv"
    args = ["install", *offline(wheelhouse), "lib-b"]
    pip = _closed([_pip(env_ready), *args], env_ready, [fd])
    assert "lib-b" in installed(venv)
    _uninstall(env_ready, "lib-b")
    ours = _closed([SAFEPIP, *args], env_ready, [fd])
    assert ours.returncode == pip.returncode == 0, ours.stderr
    assert "lib-b" in installed(venv)
    assert "internal error" not in ours.stderr


def test_everything_closed_creates_and_installs(project: Path, wheelhouse: Path) -> None:
    """With 0, 1 and 2 all closed, the environment is made and the install done, as pip would."""
    ours = _closed([SAFEPIP, "install", *offline(wheelhouse), "lib-b"], project, [0, 1, 2])
    assert ours.returncode == 0
    assert {"lib-a", "lib-b"} <= set(installed(project / ".venv"))


def test_uninstall_with_stdin_closed_reads_nothing_of_safepips(env_ready: Path) -> None:
    """pip's "Proceed (Y/n)?" meets a closed stdin as it does without safepip; it read the
    environment's lock file ("pid N: safepip uninstall ...") when the lock landed on 0."""
    env = safepip_env()
    env.pop("PIP_NO_INPUT")  # the prompt is the point
    pip = _closed([_pip(env_ready), "uninstall", "lib-a"], env_ready, [0], env)
    ours = _closed([SAFEPIP, "uninstall", "lib-a"], env_ready, [0], env)
    assert ours.returncode == pip.returncode != 0, ours.stderr
    assert "lib-a" in installed(env_ready / ".venv")  # not answered "yes" by anything
    for text in (ours.stdout, ours.stderr):
        assert "Your response" not in text and "pid " not in text
    assert ("lost sys.stdin" in pip.stderr) == ("lost sys.stdin" in ours.stderr)


@pytest.mark.parametrize("argv", [["freeze"], ["list"], ["--version"], ["--help"]])
def test_pip_commands_with_stdout_closed_end_as_pip(env_ready: Path, argv: list[str]) -> None:
    """pip exits 2 for freeze, 0 for list and --help, 1 for --version with stdout closed (its
    own writes to Python's None stream): safepip hands pip the closed descriptor, so the same
    (and safepip's section after pip's help is not written to it)."""
    pip = _closed([_pip(env_ready), *argv], env_ready, [1])
    ours = _closed([SAFEPIP, *argv], env_ready, [1])
    assert ours.returncode == pip.returncode, ours.stderr
    assert "internal error" not in ours.stderr


@pytest.mark.parametrize("argv", [["which"], ["which", "env"], ["doctor"], ["explain", "install", "x"]])
def test_verbs_with_stdout_closed(env_ready: Path, argv: list[str]) -> None:
    """safepip's own commands drop their output into a closed stdout and succeed (as a Python
    program's print does), instead of an internal error."""
    done = _closed([SAFEPIP, *argv], env_ready, [1])
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr


def test_fast_path_answer_to_a_full_disk_ends_as_pip(env_ready: Path, wheelhouse: Path) -> None:
    """A satisfied install whose answer safepip gives itself: pip exits 0 when stdout is full
    (its logging reports the failed write and goes on); safepip exited 70 or 120."""
    args = ["install", *offline(wheelhouse), "lib-a"]
    debug = run_safepip(*args, cwd=env_ready, env=safepip_env(SAFEPIP_DEBUG="1"))
    assert "pip not started" in debug.stderr  # the fast path is what answers this call
    pip = _full([_pip(env_ready), *args], env_ready)
    ours = _full([SAFEPIP, *args], env_ready)
    assert ours.returncode == pip.returncode == 0, ours.stderr
    assert "internal error" not in ours.stderr


def test_remembered_answer_to_a_full_disk_or_closed_pipe_ends_as_pip(env_ready: Path, wheelhouse: Path) -> None:
    """The same through a remembered answer (the front door replays it): the answer that
    cannot be written is left to pip, whichever pip it is (0 on a full disk; on a closed pipe
    1 for pip 23, 120 for pip 26)."""
    args = ["install", *offline(wheelhouse), "lib-a"]
    time.sleep(2.1)  # what the answer depends on must be older than memo.RACY to be remembered
    first = run_safepip(*args, cwd=env_ready)
    assert first.returncode == 0 and "Requirement already satisfied: lib-a" in first.stdout
    memos = Path(os.environ["XDG_CACHE_HOME"]) / "safepip" / "noop"
    assert any(memos.glob("*.memo")), "the answer was not remembered: the test would not test the replay"
    assert _full([SAFEPIP, *args], env_ready).returncode == _full([_pip(env_ready), *args], env_ready).returncode
    pip = _broken_pipe([_pip(env_ready), *args], env_ready)
    ours = _broken_pipe([SAFEPIP, *args], env_ready)
    assert ours.returncode == pip.returncode != 0, ours.stderr
    assert "Pipe to stdout was broken" in ours.stderr  # pip's own line: pip gave the answer
    assert "internal error" not in ours.stderr
    # What pip answered then is not remembered as a route to pip: the next call with a working
    # stdout is still answered from memory.
    # (The decision for any install here, remembered by the first call, is not this command line's.)
    for memo in memos.glob("*.memo"):
        key, _checks, _out, _err, route = marshal.loads(memo.read_bytes())  # noqa: S302 - the test's own cache
        assert route is None or DECISION in key[2][:2], key  # a decision (for its anchor: ANCHORED first)


@pytest.mark.parametrize("argv", [["freeze"], ["list"], ["install", "lib-a"]])
def test_pip_commands_to_a_closed_pipe_end_as_pip(env_ready: Path, wheelhouse: Path, argv: list[str]) -> None:
    """``safepip freeze | head -1`` and the like: the exit code is pip's (freeze 2; list and a
    satisfied install 1 with pip 23, 120 with pip 26)."""
    if argv[0] == "install":
        argv = [argv[0], *offline(wheelhouse), *argv[1:]]
    pip = _broken_pipe([_pip(env_ready), *argv], env_ready)
    ours = _broken_pipe([SAFEPIP, *argv], env_ready)
    assert ours.returncode == pip.returncode != 0, ours.stderr
    assert "internal error" not in ours.stderr


def test_freeze_to_a_full_disk_ends_as_pip(env_ready: Path) -> None:
    pip = _full([_pip(env_ready), "freeze"], env_ready)
    ours = _full([SAFEPIP, "freeze"], env_ready)
    assert ours.returncode == pip.returncode == 2, ours.stderr


@pytest.mark.parametrize("how", [_full, _broken_pipe])
def test_verb_output_that_cannot_be_written_is_74(env_ready: Path, how: object) -> None:
    """``safepip which`` to a full disk or a closed pipe: one line, exit 74 (EX_IOERR)."""
    done = how([SAFEPIP, "which", "python"], env_ready)  # type: ignore[operator]
    assert done.returncode == 74
    assert done.stderr.startswith("safepip: error: cannot write to standard output: ")
    assert done.stderr.count("\n") == 1


def test_run_leaves_a_closed_pipe_to_the_command(env_ready: Path) -> None:
    """``safepip run yes | head -1`` ends as ``yes | head -1``: killed by SIGPIPE, quietly.
    Python ignores SIGPIPE for itself and exec kept it ignored: ``yes`` then failed with
    "Broken pipe" (exit 1)."""
    results = []
    for argv in (["yes"], [SAFEPIP, "run", "yes"]):
        proc = subprocess.Popen(argv, cwd=env_ready, env=safepip_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(2) == b"y\n"
        proc.stdout.close()
        results.append((proc.wait(timeout=60), proc.stderr.read()))
        proc.stderr.close()
    assert results[1] == results[0] == (-13, b"")


def test_command_run_finds_the_descriptors_as_the_caller_left_them(env_ready: Path) -> None:
    """What safepip starts inherits none of its own files on 0-2: closed stays closed."""
    probe = "import os, sys\nopen_ = [fd for fd in (0, 1, 2) if os.path.exists(f'/proc/self/fd/{fd}')]\nsys.exit(1 + sum(1 << fd for fd in open_) if open_ else 0)"
    direct = _closed(["python3", "-c", probe], env_ready, [0, 1, 2])
    ours = _closed([SAFEPIP, "run", "python", "-c", probe], env_ready, [0, 1, 2])
    assert ours.returncode == direct.returncode == 0
