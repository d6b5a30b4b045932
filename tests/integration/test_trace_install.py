"""How far ``safepip install NEW`` wanders through safepip's own code: the in-process trace
of one install of a package not yet installed, in a project whose environment exists
(programs recorded, not started). It counts the distinct safepip modules whose functions
run and the moves between areas (a subpackage such as ``facts`` or ``act``, or a top-level
module such as ``paths`` or ``decide``): a reader follows the same route, so both stay low.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from helpers import needs_managed, offline
from inprocess import run_main

#: The bounds: the figures this install reaches now. The counting gave 43 modules and 131
#: moves before the one way through (issue 29), 53 and 157 once its layers were in, then
#: down to 48 and 144 (the launchers' mark with the facts that read it, root's directories
#: judged once, the environment's interpreter passed down, the managed fact read once...).
#: Then to 45 and 114: every frozen record is declared with @record (slots=True for the
#: small ones), so that its __init__ is made in its own module as dataclasses makes it (the
#: hand-written ones called Frozen.set_ in safepip.frozen: 19 moves); venv.ensure.ready_at
#: reads an environment's interpreter, site-packages and pip once into Ready, which the pip
#: flow and the remembered records use instead of asking venv.layout again; the remembered
#: decision asks facts.interpreter.cached for what the probe cache holds (the cache's key,
#: file and check have one home); EnvLock is the FileLock it wrapped; venv.leftovers holds
#: what interrupted work leaves (a rebuild's old trees, pip's half-installed distributions),
#: facts.target the launchers' mark its PATH search steps over. Then to 107 moves: the
#: remembered decision keeps what the fast path read of its interpreter's probe (no second
#: read of the cache), and the Session carries safepip's own directories (paths.Dirs, each
#: worked out once, when first used) to gather, the probe cache, the lock and the
#: remembered store. Run as root (a container, CI) the root rules run too (decide's root section,
#: facts.users, the root checks of paths). Raised to 46 and 111 when the branches of the same
#: stop met: the environment's state file is read without json's shared library
#: (venv.leanjson, in the venv area: 1 module, no move), and Session.say is a method that
#: imports safepip.ui when first called (a cold call that says nothing imports no ui), where
#: it was a functools.partial of ui.say (4 moves: act -> session -> ui -> session -> act).
#: Then to 97 moves: the scanner reads once what the deciders and the remembered decision
#: ask of every call (PipCall.given, PipCall.informational: 6 moves, each question was a
#: call into facts); decide asks which of --user/--no-user wins only of a call that gives
#: one (2); whether --quiet was given is read from PipCall.given where its count does not
#: matter (3); the notice's how-to-use part reuses the environment's path as the user would
#: type it (1); the fast path counts --quiet in the pass that checks each option (2).
#: Then to 93: paths.Dirs works out the cache and whether it is known without platformdirs
#: at once (the remembered store's first ask was a call into paths: 2); the pip flow's
#: refusal is made by flow.prepare alone, execute refuses only for the outside steps (1);
#: decide hands a call that gives neither --python nor --user on as it is (1). Then to 90:
#: the planned pip's version is read from the site-packages listed where is_venv_dir is
#: asked (pipversion.in_sites: 2); the notice works out whether to say how to use the
#: environment before it shortens the path, and says it in the line it builds (1). Then to
#: 88: the pip flow reads which interpreter the fast path checks (handoff.pip_python) and
#: pip's child environment right after pip's command line is made, before the notice (2).
#: Then to 86: execute closes the session's cleanup only when something was put on it (it
#: made an empty ExitStack to close it: 1); the umask is floored before the lock is made
#: inheritable, beside the environment's other steps (1).
#: Then to 30 modules and 77 moves (issue 29's module target met): sixteen modules merged into
#: the module whose concept each was part of, so that no call path gains a module (checked
#: with -X importtime for the front door, the replay, the remembered and the cold run, the
#: shell hook): the root rules and what a plan is into decide; pip's command line into
#: act.flow; how the fast path stands aside into fastpath.options; who runs safepip and a
#: repository's own interpreters into facts.trust; which pip version reads a call into
#: facts.piptables; the project's own settings into facts.project; the target's search into
#: facts.interpreter; an environment's state file, its proof and its JSON into venv.state;
#: the file lock into venv.lock; what interrupted work leaves into venv.ensure (and
#: venv.rebuild); the one exec and child environment into runner; safepip's stderr lines
#: into session; safepip's private files into paths. The line limit is 560 for that
#: (tests/unit/test_layout.py says why).
#: Then to 69, four cuts of work done twice: facts.trust reads the environment's pyvenv.cfg
#: home once, in the check of its chain, and hands it to the check of whether it came with
#: the repository (2); whether the target is externally managed is a field of its Interp,
#: worked out when the record is made, that decide reads (it was a property: a call into
#: facts.interpreter: 2); the state proofs' key is found in the session's Dirs, handed down
#: to the environment's ensure, state and repair (the data directory and its root checks
#: worked out once, where venv.state looked it up in os.environ under ensure and again under
#: the lock: 2); whether the environment sees the system site-packages is read into Ready
#: with its interpreter and site-packages, and handed to the fast path (which read
#: pyvenv.cfg again: 2). The bound was 70, not 69: when the environment's last change is older
#: than the racy window by the time the route is remembered (a loaded machine), the route's
#: memo is written (remembered.store -> paths.write -> runner: one move more); on a quiet
#: machine it is not, and the trace counts 69.
#: Then to 59 (60 with the route's memo written), issue 29's target met: the environment a
#: new install creates has its interpreter probed then, for the probe cache (act.flow: the
#: next install's fast path read the cache, found nothing, probed and wrote it: 4 moves, and
#: one process fewer in that call); the call keeps the option table it was read with
#: (PipCall.table), which the remembered decision stores (it asked facts.pipargs again: 2);
#: the remembered decision takes the environment's directory from Ready when the fast path's
#: interpreter is the environment's own (it asked venv.layout.venv_of: 2); who owns a path
#: is a question of the walk's (facts.walkup.existing_owner, beside crossable_owners), which
#: root's rules ask from facts.trust (it was in paths: 2).
#: The target is 30 modules and 60 moves (issue 29); never raise these without saying why.
#: Then to 29 modules: what a fact-gatherer read (Reads) is a record of facts.interpreter (it
#: was facts.reads, a module of its own on every path that gathers facts: 0.1 ms of a cold call).
#: What is left, by area pair (moves): facts <-> venv 11 (venv.layout asked by the walk and
#: by the project's record whether the same directory is an environment, bin_python for the
#: target's search and for the refusal, the pyvenv.cfg home read by facts.trust, the planned pip's site-packages);
#: facts <-> paths 8 (the Dirs' first use by gather, the probe caches of two interpreters
#: read); paths <-> venv 4 (the state proofs' key's directory, first asked of the Dirs, and
#: the lock's directory); remembered <-> facts 2 (the walk's anchor); decide <-> facts 1
#: (resolve's record, a decide.Resolved, made right after facts.piptables read the planned
#: pip's version); act 8 in all (the flow calls venv, runner and session in turn).
MAX_MODULES = 29
MAX_MOVES = 60


def area(module: str) -> str:
    """The area of a safepip module: its subpackage, or the top-level module itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


class Trace:
    """The safepip functions that run, in order, as their modules' names."""

    def __init__(self) -> None:
        self.modules: list[str] = []

    def __call__(self, frame: FrameType, event: str, _arg: Any) -> None:
        if event != "call" or frame.f_code.co_name == "<module>":
            return
        name = frame.f_globals.get("__name__", "")
        if isinstance(name, str) and name.startswith("safepip"):
            self.modules.append(name)

    def moves(self) -> int:
        areas = [area(m) for m in self.modules]
        return sum(1 for a, b in zip(areas, areas[1:]) if a != b)


def traced(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Trace:
    trace = Trace()
    sys.setprofile(trace)
    try:
        code, recorder = run_main(args, cwd, monkeypatch)
    finally:
        sys.setprofile(None)
    assert code == 0
    assert [how for how, _ in recorder.started] == ["exec"]  # pip, handed over
    return trace


@needs_managed
@pytest.mark.slow
def test_a_new_package_install_reads_straight_down(
    project: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    cwd = project / "src"
    # The project's environment first (really made, pip really run), then the traced install.
    code, _ = run_main(["install", *offline(wheelhouse), "lib-a"], cwd, monkeypatch, live=True)
    assert code == 0
    trace = traced(["install", *offline(wheelhouse), "app-c"], cwd, monkeypatch)
    capsys.readouterr()
    modules = sorted(set(trace.modules))
    report = f"{len(modules)} modules, {trace.moves()} moves: {modules}"
    assert len(modules) <= MAX_MODULES, report
    assert trace.moves() <= MAX_MOVES, report
