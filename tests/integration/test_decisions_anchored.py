"""A project's decision answers in directories the full path never saw: the front door climbs
from there with the walk's own rules (safepip.facts.walkup) and, crossing only directories
that hold nothing the walk looks for, reaches the anchor the decision was remembered for.
Anything between that could change the answer (a nested project, an environment, a tool's
file, a directory another user owns, a relative PATH entry) sends the call to the full path.

Whether the full path ran is read from ``-X importtime`` (as in test_decisions.py), never from timings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import test_decisions

from helpers import age_tree, needs_managed, offline, run_full_path, run_importtime, safepip_env

#: The known project and its wheels (test_decisions' fixtures).
house = test_decisions.house
decided = test_decisions.decided
pytestmark = [needs_managed, pytest.mark.slow]


def _fresh(root: Path, *parts: str) -> Path:
    """A directory never seen, made just now (younger than the racy window). Under src/: a
    new entry in the project's root is a change the decision sees (a marker may have appeared).
    """
    where = root.joinpath(*parts)
    where.mkdir(parents=True)
    return where


def test_a_new_directory_of_a_known_project_takes_the_decision(decided: Path, house: Path) -> None:
    for where in (_fresh(decided, "src", "docs", "new"), _fresh(decided, "src", "pkg", "deep"), decided / "src"):
        dry, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=where)
        assert (dry.returncode, full) == (0, False), (where, dry.stderr)
        assert "Would install new-one-1.0" in dry.stdout
        assert "using" in dry.stderr and ".venv" in dry.stderr  # the project's notice, as the full path says it
    # A no-op there is the fast path's answer.
    deep = decided / "src" / "pkg" / "deep"
    first, full = run_full_path("install", *offline(house), "lib-a", cwd=deep)
    assert (first.returncode, full) == (0, False), first.stderr
    assert "Requirement already satisfied: lib-a" in first.stdout


@pytest.mark.parametrize("change", [
    "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "hatch.toml", "requirements-dev.txt", ".python-version",
    ".git", "venv",
])
def test_what_appears_between_sends_the_call_to_the_full_path(decided: Path, house: Path, change: str) -> None:
    where = _fresh(decided, "src", "a", "b")
    before, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=where)
    assert (before.returncode, full) == (0, False), before.stderr
    if change in (".git", "venv"):
        if change == "venv":
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(decided / "src" / "a" / "venv")], check=True)
        else:
            (decided / "src" / "a" / ".git").mkdir()
    else:
        (decided / "src" / "a" / change).write_text('[project]\nname = "inner"\nversion = "0"\n' if change == "pyproject.toml" else "")
    after, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=where)
    assert full, f"{change} between the directory and the project's root"
    assert after.returncode == 0, after.stderr
    if change == "venv":
        assert str(decided / "src" / "a" / "venv") in after.stderr or "src/a/venv" in after.stderr  # the nearer environment


def test_a_remembered_answer_in_a_new_directory_sees_a_project_appear_between(decided: Path, house: Path) -> None:
    where = _fresh(decided, "src", "a", "b")
    age_tree(decided)  # old enough to be remembered; the root's changed time: decided again
    run_full_path("install", "-U", *offline(house), "lib-a", cwd=decided)
    first, full = run_full_path("install", *offline(house), "lib-a", cwd=where)
    assert (first.returncode, full) == (0, False), first.stderr
    again, full = run_full_path("install", *offline(house), "lib-a", cwd=where)
    assert (again.returncode, full) == (0, False), again.stderr  # the answer remembered there
    (decided / "src" / "a" / "pyproject.toml").write_text('[project]\nname = "inner"\nversion = "0"\n')
    after, full = run_full_path("install", *offline(house), "lib-a", cwd=where)
    assert full, "a project appeared between the directory and the root"
    assert after.returncode == 0, after.stderr
    assert (decided / "src" / "a" / ".venv" / "pyvenv.cfg").exists()  # the inner project's own environment


def test_a_changed_configuration_or_project_reaches_every_directory(decided: Path, house: Path) -> None:
    where = _fresh(decided, "src", "docs")
    before, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=where)
    assert (before.returncode, full) == (0, False), before.stderr
    config = Path(safepip_env()["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("quiet = true\n")
    after, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=where)
    assert full, "the user's configuration changed"
    assert "using" not in after.stderr  # and says so: quiet
    config.unlink()
    age_tree(decided)
    age_tree(config.parent)
    run_full_path("install", "-U", *offline(house), "lib-a", cwd=decided)  # decided again
    again, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=_fresh(decided, "src", "more"))
    assert (again.returncode, full) == (0, False), again.stderr
    (decided / "pyproject.toml").write_text('[project]\nname = "myproj"\nversion = "0"\n[tool.safepip]\nvenv = "other"\n')
    moved, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=decided / "src" / "more")
    assert full, "the project's configuration changed"
    assert "other" in moved.stderr


def test_another_users_directory_between_stops_the_climb(decided: Path, house: Path,
                                                         other_user: tuple[str, int, int]) -> None:
    where = _fresh(decided, "src", "theirs", "sub")
    before, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=where)
    assert (before.returncode, full) == (0, False), before.stderr
    os.chown(decided / "src" / "theirs", other_user[1], other_user[2])  # the walk does not climb out of it
    _, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=where)
    assert full, "the walk stops at a directory of another user's"


def test_a_symlinked_directory_is_judged_where_it_leads(decided: Path, house: Path, tmp_path: Path) -> None:
    outside = _fresh(tmp_path, "elsewhere", "blank")
    (decided / "src" / "link").symlink_to(outside, target_is_directory=True)
    inside = _fresh(decided, "src", "real")
    lean, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=inside)
    assert (lean.returncode, full) == (0, False), lean.stderr
    _, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=decided / "src" / "link")
    assert full, "the real directory is outside the project"


def test_a_relative_path_entry_takes_the_full_path(decided: Path, house: Path) -> None:
    where = _fresh(decided, "src", "docs")
    lean, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=where)
    assert (lean.returncode, full) == (0, False), lean.stderr
    env = safepip_env(PATH="/usr/bin:/bin:bin")
    run_full_path("install", "-U", *offline(house), "lib-a", cwd=decided, env=env)
    _, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=where, env=env)
    assert full, "python3 on a relative PATH entry depends on the directory"


def test_run_in_a_new_directory_uses_the_remembered_environment(decided: Path) -> None:
    code = "import sys; print(sys.prefix)"
    first, full = run_full_path("run", "python", "-c", code, cwd=decided)
    assert (first.returncode, full) == (0, True), first.stderr
    where = _fresh(decided, "src", "scripts", "new")
    again, full = run_full_path("run", "python", "-c", code, cwd=where)
    assert (again.returncode, full) == (0, False), again.stderr
    assert again.stdout == f"{decided / '.venv'}\n"
    (decided / "src" / "scripts" / "pyproject.toml").write_text('[project]\nname = "inner"\nversion = "0"\n')
    inner, full = run_full_path("run", "python", "-c", code, cwd=where)
    assert (inner.returncode, full) == (0, True), inner.stderr
    assert inner.stdout == f"{decided / 'src' / 'scripts' / '.venv'}\n"


def test_activation_in_a_new_directory_uses_the_remembered_choice(decided: Path) -> None:
    venv = decided / ".venv"
    age_tree(decided)  # what the choice reads is old enough to be remembered
    pkg = decided / "src" / "pkg"

    def which(where: Path) -> tuple[subprocess.CompletedProcess[str], bool]:
        return run_full_path("which", "env", "--for-activation", cwd=where, env=safepip_env(PWD=str(where)))

    first, full = which(decided)
    assert (first.returncode, first.stdout, full) == (0, f"{venv}\n", True), first.stderr
    lean, full = which(pkg)
    assert (lean.returncode, lean.stdout, full) == (0, f"{venv}\n", False), lean.stderr
    # ... and remembered for the prompt hook there, as the full path remembers it.
    memos = list(Path(safepip_env()["XDG_CACHE_HOME"]).rglob("@activate"))
    assert any(str(venv) in memo.read_text() and str(pkg) in memo.read_text() for memo in memos), memos
    (decided / "src" / "pyproject.toml").write_text('[project]\nname = "inner"\nversion = "0"\n')
    inner, full = which(pkg)
    assert (inner.returncode, inner.stdout, full) == (0, "", True), inner.stderr  # its own project, no environment yet


def test_the_prompt_hooks_question_in_a_new_directory_imports_only_what_it_reads(decided: Path) -> None:
    """shell-init's prompt hook entering a directory of the project with nothing remembered for
    it: the front door answers from the project's remembered choice and remembers it for the
    hook, importing nothing it does not use: not the environment's layout (the pass-through's),
    the scanner or a session (about 0.3 ms on a path that costs one interpreter start and ~5 ms).
    """
    venv, pkg = decided / ".venv", decided / "src" / "pkg"
    age_tree(decided)
    first, full = run_full_path("which", "env", "--for-activation", cwd=decided, env=safepip_env(PWD=str(decided)))
    assert (first.returncode, first.stdout, full) == (0, f"{venv}\n", True), first.stderr
    done, imported = run_importtime("which", "env", "--for-activation", cwd=pkg, env=safepip_env(PWD=str(pkg)))
    assert (done.returncode, done.stdout) == (0, f"{venv}\n"), done.stderr
    assert "safepip.remembered.pythons" in imported  # remembered for the hook here
    # Nor the decision's replay (a remembered decision's keys and recall are the store's).
    unused = ("safepip.venv", "safepip.venv.layout", "safepip.facts.pipargs", "safepip.session", "safepip.errors",
              "safepip.remembered.decision")
    assert sorted(m for m in unused if m in imported) == []


def _verbose_which(where: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -v -m safepip which env --for-activation`` in ``where``: -v says what the
    interpreter's finalization removes ("# cleanup[...]"), and nothing when there was none."""
    return subprocess.run([sys.executable, "-v", "-m", "safepip", "which", "env", "--for-activation"], cwd=where,
                          env=env, capture_output=True, text=True, check=False)


def test_the_prompt_hooks_answer_ends_the_process_without_finalization(decided: Path) -> None:
    """The front door's answer to the prompt hook ends the process at once: tearing down the
    interpreter costs more than the answer (cli._end), and nothing is left for it to do."""
    venv, pkg = decided / ".venv", decided / "src" / "pkg"
    age_tree(decided)
    first, full = run_full_path("which", "env", "--for-activation", cwd=decided, env=safepip_env(PWD=str(decided)))
    assert (first.returncode, first.stdout, full) == (0, f"{venv}\n", True), first.stderr
    done = _verbose_which(pkg, safepip_env(PWD=str(pkg)))
    assert (done.returncode, done.stdout) == (0, f"{venv}\n"), done.stderr
    assert "safepip.remembered.pythons" in done.stderr and "safepip.facts.gather" not in done.stderr  # the front door
    assert [line for line in done.stderr.splitlines() if line.startswith("# cleanup")] == []
    memos = list(Path(safepip_env()["XDG_CACHE_HOME"]).rglob("@activate"))
    assert any(str(pkg) in memo.read_text() for memo in memos), memos  # remembered for the hook, written whole


def test_the_prompt_hooks_answer_leaves_exit_handlers_to_run(decided: Path, tmp_path: Path) -> None:
    """An exit handler registered in safepip's process (a sitecustomize's, coverage's) still runs:
    then the process ends as every other call does."""
    venv, pkg = decided / ".venv", decided / "src" / "pkg"
    site, mark = tmp_path / "site", tmp_path / "handler-ran"
    site.mkdir()
    (site / "sitecustomize.py").write_text(f"import atexit\natexit.register(open, {str(mark)!r}, 'w')\n")
    age_tree(decided)
    first, full = run_full_path("which", "env", "--for-activation", cwd=decided,
                                env=safepip_env(PWD=str(decided), PYTHONPATH=str(site)))
    assert (first.returncode, first.stdout, full) == (0, f"{venv}\n", True), first.stderr
    mark.unlink()
    done = _verbose_which(pkg, safepip_env(PWD=str(pkg), PYTHONPATH=str(site)))
    assert (done.returncode, done.stdout) == (0, f"{venv}\n"), done.stderr
    assert "safepip.remembered.pythons" in done.stderr and "safepip.facts.gather" not in done.stderr  # the front door
    assert mark.exists()
