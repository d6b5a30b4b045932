"""Until trusted, ``explain``, ``doctor`` and ``which`` report what safepip will not run, and
run nothing; ``install`` and ``list`` stop with the one line that says how to trust it (77).

Three situations, with real files and a real second user: a repository whose
``[tool.safepip] python`` is a program inside it, a repository with a committed ``.venv``,
and a project directory that belongs to another user. Every planted program leaves a trace
if it is ever run.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers import SYSTEM_XY, needs_managed, run_safepip
from inprocess import Cli
from jsonshape import run_verb_json
from users import User, give, one_line, script, their_repository

pytestmark = [needs_managed]


@dataclass(frozen=True)
class Situation:
    cwd: Path
    trace: Path
    #: Parts of the refusal line, and how the user trusts it.
    parts: tuple[str, ...]
    trust: str
    #: What ``which`` prints (python, env), None: nothing.
    python: str | None
    env: str | None


def _config(tmp_path: Path, user: User, trace: Path) -> Situation:
    clone = their_repository(tmp_path, user, {
        "pyproject.toml": '[project]\nname = "bait"\nversion = "0"\n[tool.safepip]\npython = "tools/python3"\n',
        "tools/python3": script(trace),
    }, ("tools/python3",))
    parts = (f"{clone}/tools/python3 is inside the project", "will not run an interpreter that came with the repository",
             f"safepip trust {clone}")
    return Situation(clone, trace, parts, f"safepip trust {clone}", f"{clone}/tools/python3", None)


def _venv(tmp_path: Path, user: User, trace: Path) -> Situation:
    clone = their_repository(tmp_path, user, {
        "pyproject.toml": '[project]\nname = "bait"\nversion = "0"\n',
        ".venv/pyvenv.cfg": "home = /usr/bin\ninclude-system-site-packages = false\n",
        ".venv/bin/python": script(trace),
        f".venv/lib/python{SYSTEM_XY}/site-packages/pip/__init__.py": "",
    }, (".venv/bin/python",))
    parts = (f"{clone}/.venv/pyvenv.cfg is committed in git", f"safepip trust {clone}")
    return Situation(clone, trace, parts, f"safepip trust {clone}", f"{clone}/.venv/bin/python", f"{clone}/.venv")


def _owned(tmp_path: Path, user: User, trace: Path, config_file: str) -> Situation:
    theirs = tmp_path / "theirs"
    (theirs / "tools").mkdir(parents=True)
    (theirs / "pyproject.toml").write_text('[project]\nname = "bait"\nversion = "0"\n'
                                           '[tool.safepip]\npython = "tools/python3"\n')
    (theirs / "tools" / "python3").write_text(script(trace))
    (theirs / "tools" / "python3").chmod(0o755)
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(theirs / ".venv")], check=True)
    (theirs / ".venv" / "bin" / "python").unlink()
    (theirs / ".venv" / "bin" / "python").write_text(script(trace))
    (theirs / ".venv" / "bin" / "python").chmod(0o755)
    give(theirs, user)
    parts = (f"{theirs} is owned by {user[0]} (uid {user[1]}), not by you", "will not use this project",
             f'trusted = ["{theirs}"]')
    return Situation(theirs, trace, parts, f'trusted = ["{theirs}"] in {config_file}', None, None)


@pytest.fixture(params=["config", "venv", "owned"])
def situation(request: pytest.FixtureRequest, tmp_path: Path, other_user: User, hermetic: dict[str, str]) -> Situation:
    trace = tmp_path / "TRACE"
    if request.param == "config":
        return _config(tmp_path, other_user, trace)
    if request.param == "venv":
        return _venv(tmp_path, other_user, trace)
    return _owned(tmp_path, other_user, trace, os.path.join(hermetic["XDG_CONFIG_HOME"], "safepip", "config.toml"))


def _refusal(found: Situation) -> str:
    """The line install stops with (and checks it holds the situation's parts)."""
    line = one_line(run_safepip("install", "lib-a", cwd=found.cwd), 77, *found.parts)
    assert line.startswith("safepip: error: ")
    return line[len("safepip: error: "):]


def test_explain_reports_the_refusal_and_runs_nothing(situation: Situation, live: Cli) -> None:
    data: dict[str, Any] = run_verb_json("explain", "install", "lib-a", cwd=situation.cwd)  # the documented shape
    assert (data["decision"], data["exit_code"]) == ("refuse", 77)
    assert data["untrusted"]["trust"] == situation.trust
    assert data["untrusted"]["python"] == situation.python
    assert (data["run"], data["steps"]) == (None, [])
    assert data["message"] == _refusal(situation)  # what install says, word for word
    text = live("explain", "install", "lib-a", cwd=situation.cwd)
    assert text.returncode == 0, text.stderr
    assert f"to trust it: {situation.trust}" in text.stdout
    assert "exit code:   77" in text.stdout
    assert not situation.trace.exists()


def test_doctor_reports_the_refusal_and_runs_nothing(situation: Situation, live: Cli) -> None:
    data: dict[str, Any] = run_verb_json("doctor", cwd=situation.cwd)
    assert data["environment"]["decision"] == "refuse"
    assert data["untrusted"]["trust"] == situation.trust
    assert _refusal(situation) in data["problems"]
    text = live("doctor", cwd=situation.cwd)
    assert text.returncode == 0, text.stderr
    assert f"not trusted  {situation.python or situation.cwd}: {situation.trust}" in text.stdout
    assert not situation.trace.exists()


def test_which_prints_what_it_would_not_run_and_exits_77(situation: Situation, live: Cli) -> None:
    for what, expected in (("python", situation.python), ("env", situation.env)):
        done = live("which", what, cwd=situation.cwd)
        one_line(done, 77, *situation.parts)
        assert done.stdout == (f"{expected}\n" if expected else ""), what
    created = live("which", "--create", cwd=situation.cwd)
    one_line(created, 77, *situation.parts)
    assert created.stdout == ""
    assert not situation.trace.exists()


@pytest.mark.parametrize("argv", [["install", "lib-a"], ["list"], ["freeze"], ["run", "python", "-c", "pass"]],
                         ids=lambda a: a[0])
def test_install_list_and_run_stop_with_one_line(situation: Situation, argv: list[str]) -> None:
    # the console script, front door included: the refusal as a user meets it
    one_line(run_safepip(*argv, cwd=situation.cwd), 77, *situation.parts)
    assert not situation.trace.exists()
    assert not (situation.cwd / ".venv" / ".safepip.json").exists()
