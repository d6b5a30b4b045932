"""The python shims' remembered answers: shell tests that hold until something they read changes."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from safepip.remembered import pythons as pymemo

READ = '_safepip_memo="$1"; _safepip_ok=; _safepip_py=; . "$1"; echo "${_safepip_ok:-stale} $_safepip_py"'


def _aged(path: Path, seconds: float = 10.0) -> None:
    back = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(back, back))


def _project(work: Path) -> tuple[Path, Path]:
    """``work`` made, with an empty pyproject.toml (both old enough to be remembered): that
    marker, and the ``.venv`` that is not there."""
    work.mkdir()
    marker = work / "pyproject.toml"
    marker.write_text("")
    for path in (marker, work):
        _aged(path)
    return marker, work / ".venv"


def _ask(memo: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(["/bin/sh", "-c", READ, "sh", memo], cwd=cwd, env={**env, "PWD": str(cwd)},
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_a_memo_holds_until_a_path_or_a_variable_changes(tmp_path: Path) -> None:
    work = tmp_path / "work"
    marker, absent = _project(work)
    root = str(tmp_path / "cache" / "safepip" / "pyshim")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    assert pymemo.remember(root, str(work), "python3", str(work), env, [str(work), str(marker), str(absent)],
                           [str(work)], "/usr/bin/python3")
    memo = pymemo.memo_path(root, str(work), "python3")
    assert _ask(memo, work, env) == "1 /usr/bin/python3"
    assert _ask(memo, work, {**env, "SAFEPIP_PYTHON": "python3.12"}) == "stale"  # a variable it reads
    assert _ask(memo, work, {**env, "PATH": "/bin"}) == "stale"
    marker.write_text("[project]\n")  # changed after the memo was written: newer than it
    assert _ask(memo, work, env) == "stale"
    _aged(marker)
    assert _ask(memo, work, env) == "1 /usr/bin/python3"
    absent.mkdir()  # appeared
    assert _ask(memo, work, env) == "stale"


def test_nothing_is_remembered_while_a_path_is_young_or_for_another_directory(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    root = str(tmp_path / "cache" / "safepip" / "pyshim")
    env = {"PATH": "/usr/bin:/bin"}
    assert not pymemo.remember(root, str(work), "python3", str(work), env, [str(work)], [], None)  # just made
    _aged(work)
    assert not pymemo.remember(root, str(tmp_path), "python3", str(work), env, [str(work)], [], None)
    assert not pymemo.remember(root, "relative", "python3", str(work), env, [str(work)], [], None)
    assert pymemo.remember(root, str(work), "python", str(work), env, [str(work)], [], None)
    memo = pymemo.memo_path(root, str(work), "python")
    assert _ask(memo, work, env) == "1"  # remembered: no such command
    assert oct(os.stat(memo).st_mode & 0o777) == "0o600"


READ_FISH = ('set -l _safepip_memo {memo}; set -l _safepip_ok; set -l _safepip_py; source $_safepip_memo; '
             'if test -n "$_safepip_ok"; echo 1 $_safepip_py; else; echo stale; end')


def _ask_fish(memo: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(["fish", "--no-config", "-c", READ_FISH.format(memo=pymemo.fish_quote(memo))], cwd=cwd,
                          env={**env, "PWD": str(cwd)}, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_reads_its_own_copy_with_the_same_tests(tmp_path: Path) -> None:
    work = tmp_path / "it's \\ $HOME (work)"  # every character fish quotes differently from sh
    marker, absent = _project(work)
    root = str(tmp_path / "cache" / "safepip" / "pyshim")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SAFEPIP_OUTSIDE": "it's \\ $PATH"}
    answer = str(work / "env's")
    assert pymemo.remember(root, str(work), "activate.fish", str(work), env,
                           [str(work), str(marker), str(absent)], [str(work)], answer, fish=True)
    memo = pymemo.memo_path(root, str(work), "activate.fish")
    assert _ask_fish(memo, work, env) == f"1 {answer}"
    assert _ask_fish(memo, work, {**env, "SAFEPIP_PYTHON": "python3.12"}) == "stale"  # a variable it reads, set
    assert _ask_fish(memo, work, {k: v for k, v in env.items() if k != "SAFEPIP_OUTSIDE"}) == "stale"  # unset
    assert _ask_fish(memo, work, {**env, "PATH": "/bin"}) == "stale"
    assert _ask_fish(memo, tmp_path, env) == "stale"  # another directory
    marker.write_text("[project]\n")  # changed after the memo was written: newer than it
    assert _ask_fish(memo, work, env) == "stale"
    _aged(marker)
    assert _ask_fish(memo, work, env) == f"1 {answer}"
    absent.mkdir()  # appeared
    assert _ask_fish(memo, work, env) == "stale"
