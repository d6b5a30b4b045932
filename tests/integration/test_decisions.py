"""Remembered decisions: a command line never seen before, of a kind the full path decided in
this directory, is sent the same way by the front door (the fast path's own check for an
install, then pip with the lock), and only while every signature of that decision holds.
``safepip run`` remembers its environment the same way.

Whether the full path ran is read from ``-X importtime`` (it imports ``safepip.facts.gather``
and ``safepip.act.flow``; the front door imports neither), never from timings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import (
    FULL_PATH_MODULES,
    age_tree,
    install_and_age,
    installed,
    needs_managed,
    offline,
    run_full_path,
    run_importtime,
    safepip_env,
)
from safepip.facts import _pipoptions
from safepip.facts.pipargs import scan
from safepip.remembered import decision
from wheels import make_wheel

# -- the lean scan reads as pip's scanner reads --------------------------------------------------

_TOKENS = st.sampled_from([
    "lib-a", "x", "-q", "-qq", "--quiet", "--qu", "-U", "--upgrade", "--up", "-r", "req.txt", "-e", ".", "--no-deps",
    "--no-index", "--find-links", "--find-links=/w", "-f", "-fdir", "--index-url", "https://i", "--pre", "-v",
    "--user", "--python", "/usr/bin/python3", "--target", "t", "--dry-run", "--report", "-", "--", "--no",
    "--progress-bar", "off", "-c", "c.txt", "--editable", "--group", "dev", "--isolated", "--help", "-h", "-qU",
    "--nosuch", "-Z", "--timeout=3", "--config-settings", "k=v", "--root-user-action", "ignore", "--requirement=r",
])


@settings(max_examples=400, deadline=None)
@given(args=st.lists(_TOKENS, max_size=7), command=st.sampled_from(["install", "list", "uninstall", "show", "freeze"]),
       version=st.sampled_from(_pipoptions.VERSIONS))
def test_the_lean_scan_reads_as_the_scanner(args: list[str], command: str, version: str) -> None:
    from safepip.facts.pipargs import command_table

    lean = decision.lean_scan(args, command_table(version, command))
    call = scan([command, *args], version)
    if lean is None:
        return  # the full path reads it
    assert call.error is None, (args, call.error)
    options, positionals = lean
    assert options == [(o.name, o.value) for o in call.options]
    assert positionals == list(call.positionals)


def test_the_lean_scan_leaves_checked_values_and_help_to_the_full_path() -> None:
    from safepip.facts.pipargs import command_table

    table = command_table(_pipoptions.PIP_VERSION, "install")
    assert decision.lean_scan(["--progress-bar", "off", "x"], table) is None  # pip checks the choice
    assert decision.lean_scan(["x", "--help"], table) is None
    assert decision.lean_scan(["--no"], table) is None  # ambiguous
    assert decision.lean_scan(["--find-links"], table) is None  # its value is missing
    assert decision.lean_scan(["-qU", "--find", "w", "x", "--", "-y"], table) == (
        [("--quiet", None), ("--upgrade", None), ("--find-links", "w")], ["x", "-y"])


# -- the front door sends new command lines where the decision says ---------------------------


@pytest.fixture
def house(wheelhouse: Path) -> Path:
    for name in ("new-one", "new-two", "new-three"):
        make_wheel(wheelhouse, name, "1.0")
    return wheelhouse


@pytest.fixture
def decided(project: Path, house: Path) -> Path:
    """A project whose environment holds lib-b, and whose install decision is remembered."""
    install_and_age(project, *offline(house), "lib-b")
    done, full = run_full_path("install", "-U", *offline(house), "lib-a", cwd=project)  # remembers the decision
    assert (done.returncode, full) == (0, True), done.stderr
    return project


@needs_managed
@pytest.mark.slow
def test_a_new_package_in_a_known_project_skips_the_full_path(decided: Path, house: Path) -> None:
    first, full = run_full_path("install", *offline(house), "new-one", cwd=decided)
    assert first.returncode == 0, first.stderr
    assert not full, "a remembered decision answers a new command line"
    assert "new-one" in installed(decided / ".venv")
    assert "using" in first.stderr and ".venv" in first.stderr  # the notice is said as the full path says it
    # Right after that install (site-packages changed a moment ago: the racy window), a no-op
    # with a command line never seen is the fast path's, still without the full path.
    again, full = run_full_path("install", *offline(house), "new-one", "lib-a", cwd=decided)
    assert (again.returncode, full) == (0, False), again.stderr
    assert "Requirement already satisfied: new-one" in again.stdout
    assert "Requirement already satisfied: lib-a" in again.stdout
    # --dry-run: the fast path stands aside, pip runs, nothing changes; what the fast path
    # answers under is not even read (decision.PIP_RUNS).
    dry, imported = run_importtime("install", "--dry-run", *offline(house), "new-two", cwd=decided)
    assert dry.returncode == 0 and FULL_PATH_MODULES.isdisjoint(imported), dry.stderr
    assert "safepip.fastpath.options" not in imported
    assert "Would install new-two-1.0" in dry.stdout
    assert "new-two" not in installed(decided / ".venv")


@needs_managed
@pytest.mark.slow
def test_what_the_decision_does_not_model_takes_the_full_path(decided: Path, house: Path) -> None:
    dry, full = run_full_path("install", "--dry-run", *offline(house), "new-two", cwd=decided)
    assert (dry.returncode, full) == (0, False), dry.stderr  # what it models: answered
    quiet, full = run_full_path("install", "-q", *offline(house), "new-one", cwd=decided)
    assert full, "quiet calls have a decision of their own (the notice depends on it)"
    assert quiet.returncode == 0, quiet.stderr
    for args in (["--user", "new-two"], ["--progress-bar", "off", "new-two"], ["--safepip-quiet", "new-two"]):
        _, full = run_full_path("install", *args, *offline(house), cwd=decided)
        assert full, args
    _, full = run_full_path("--isolated", "install", *offline(house), "new-two", cwd=decided)
    assert full


def _lean_then_full(project: Path, house: Path, change: object, name: str) -> subprocess.CompletedProcess[str]:
    """Show the decision answers, apply ``change``, and return the next call, which must be the full path's."""
    before, full = run_full_path("install", "--dry-run", *offline(house), name, cwd=project)
    assert (before.returncode, full) == (0, False), before.stderr
    assert callable(change)
    change()
    after, full = run_full_path("install", "--dry-run", *offline(house), name, cwd=project)
    assert full, "the decision no longer holds"
    return after


@needs_managed
@pytest.mark.slow
def test_a_changed_configuration_environment_or_trust_invalidates_the_decision(decided: Path, house: Path,
                                                                                 tmp_path: Path) -> None:
    env = decided / ".venv"

    def project_config() -> None:
        (decided / "pyproject.toml").write_text('[project]\nname = "myproj"\nversion = "1"\n[tool.safepip]\nquiet = true\n')

    _lean_then_full(decided, house, project_config, "new-one")
    age_tree(decided)
    run_full_path("install", "-U", *offline(house), "lib-a", cwd=decided)  # decided again

    def user_config() -> None:
        config = Path(safepip_env()["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("quiet = false\n")

    _lean_then_full(decided, house, user_config, "new-one")
    age_tree(decided)
    age_tree(Path(safepip_env()["XDG_CONFIG_HOME"]))
    run_full_path("install", "-U", *offline(house), "lib-a", cwd=decided)

    def environment_state() -> None:
        cfg = env / "pyvenv.cfg"
        cfg.write_text(cfg.read_text())  # rewritten: what a rebuild or another tool does

    _lean_then_full(decided, house, environment_state, "new-two")
    age_tree(decided)
    run_full_path("install", "-U", *offline(house), "lib-a", cwd=decided)

    def trust() -> None:
        decided.chmod(0o777)  # the ownership rules read the project's mode

    _lean_then_full(decided, house, trust, "new-two")
    decided.chmod(0o755)
    age_tree(decided)
    run_full_path("install", "-U", *offline(house), "lib-a", cwd=decided)

    def new_venv_nearer() -> None:
        (decided / "src" / "pyproject.toml").write_text('[project]\nname = "inner"\nversion = "0"\n')

    # From src/, the decision is the outer project's (its anchor: src/ holds nothing the walk
    # looks for, see test_decisions_anchored.py); a project appears nearer.
    done, _ = run_full_path("install", "-U", *offline(house), "lib-a", cwd=decided / "src")
    assert done.returncode == 0, done.stderr
    age_tree(decided)
    run_full_path("install", "-U", *offline(house), "lib-a", cwd=decided / "src")
    after = _lean_then_full(decided / "src", house, new_venv_nearer, "new-three")
    assert after.returncode == 0, after.stderr
    assert (decided / "src" / ".venv" / "pyvenv.cfg").exists()


@needs_managed
@pytest.mark.slow
def test_another_interpreter_or_variables_invalidate_the_decision(decided: Path, house: Path) -> None:
    _, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=decided)
    assert not full
    other = safepip_env(PIP_NO_CACHE_DIR="1")
    _, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=decided, env=other)
    assert full
    venv = decided / ".venv"
    # A different target interpreter: named through SAFEPIP_PYTHON (the environment's own).
    _, full = run_full_path("install", "--dry-run", *offline(house), "new-one", cwd=decided,
                       env=safepip_env(SAFEPIP_PYTHON=str(venv / "bin" / "python")))
    assert full


@needs_managed
@pytest.mark.slow
def test_list_and_show_decisions_answer_other_arguments(decided: Path) -> None:
    run_full_path("show", "lib-a", cwd=decided)
    shown, full = run_full_path("show", "lib-b", cwd=decided)
    assert (shown.returncode, full) == (0, False), shown.stderr
    assert "Name: lib-b" in shown.stdout


@needs_managed
@pytest.mark.slow
def test_run_is_remembered(decided: Path) -> None:
    code = "import sys; print(sys.prefix)"
    first, full = run_full_path("run", "python", "-c", code, cwd=decided)
    assert (first.returncode, full) == (0, True), first.stderr
    again, full = run_full_path("run", "python", "-c", "import sys; print(sys.prefix); sys.exit(3)", cwd=decided)
    assert (again.returncode, full) == (3, False), again.stderr
    assert again.stdout == first.stdout == f"{decided / '.venv'}\n"
    missing, full = run_full_path("run", "no-such-command-here", cwd=decided)
    assert (missing.returncode, full) == (127, True)  # the full path says what is wrong
    (decided / "pyproject.toml").write_text('[project]\nname = "myproj"\nversion = "0"\n[tool.safepip]\nvenv = "other"\n')
    moved, full = run_full_path("run", "python", "-c", code, cwd=decided)
    assert (moved.returncode, full) == (0, True), moved.stderr
    assert moved.stdout == f"{decided / 'other'}\n"


@needs_managed
@pytest.mark.slow
def test_a_new_venv_nearer_invalidates_the_decision(decided: Path, house: Path) -> None:
    inner = decided / "src" / "pkg"
    done, _ = run_full_path("install", "-U", *offline(house), "lib-a", cwd=inner)  # the project's decision
    assert done.returncode == 0, done.stderr
    age_tree(decided)
    run_full_path("install", "-U", *offline(house), "lib-a", cwd=inner)  # decided from here

    def new_venv() -> None:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(decided / "src" / ".venv")], check=True)

    _lean_then_full(inner, house, new_venv, "new-one")


@needs_managed
@pytest.mark.slow
def test_a_replayed_decision_repairs_what_an_interrupted_pip_left(decided: Path, house: Path) -> None:
    (info,) = (decided / ".venv").glob("lib/python*/site-packages/lib_a-1.0.dist-info")
    (info / "RECORD").unlink()  # a pip killed before it wrote RECORD
    done, full = run_full_path("install", *offline(house), "new-one", "lib-a", cwd=decided)
    assert (done.returncode, full) == (0, False), done.stderr
    assert "lib_a-1.0 in" in done.stderr and "half-installed" in done.stderr
    assert (info / "RECORD").is_file(), "pip should have installed lib-a again"
    assert {"lib-a", "new-one"} <= set(installed(decided / ".venv"))
