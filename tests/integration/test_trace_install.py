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

#: The bounds: the figures this install reaches now. This counting gave 43 modules and 131
#: moves before the one way through, 53 and 157 once its layers (the session, the pipeline,
#: the default verb, the one exec) and the project tools' environments were in; 45 and 142
#: since the second pass (one module for handing over to pip, the notice in the pip flow,
#: pip's option tables with their checks, the project's environment beside the gathering,
#: Poetry read only for a project that names it, the fast path's look ended by a requirement
#: that is not installed). Run as root (a container, CI) the root rules run too (decide_root,
#: facts.users, the root checks of paths). The target is 30 modules and 60 moves (issue 29):
#: lower these as the facts and the fast path are brought together; never raise them
#: without saying why. Raised once since, to 46 and 161: the records the no-op check reads
#: (the scanned call, its options, the interpreter) became frozen records of their own
#: (safepip.frozen, which spares that check the import of dataclasses: about 10 ms); their
#: constructors and comparisons run there: 1 module and 16 moves of the 19 added. Then to 47
#: and 163: the project walk's climbing rules moved to facts.walkup (stdlib only), which the
#: front door shares with the full path instead of keeping a copy. Then to 48 modules:
#: ensure, when it uses a whole environment without the lock, also finishes a killed
#: rebuild's removal of its old tree (venv.oldtrees, read within the venv area: no move).
#: Then down to 117 moves (48 modules), and up again to 134 when the full path's records
#: left dataclasses too (safepip.frozen.record, about 6 ms of imports): safepip.frozen is a
#: base module again (the environment's and the plan's records are frozen records as well,
#: and venv may not import the facts), and the records' comparisons and copies run there
#: (their constructors are made in each record class's own module, as dataclasses make
#: them). Then to 144: the remembered decision keeps what the probe said of the
#: environment's interpreter, so that the no-op check after a change starts no probe (the
#: record reads the probe cache and the environment's layout when it stores the decision).
#: Of the 163 -> 117: the launchers' mark lives with the facts that read it
#: (safepip.facts.shimmark); as
#: root, paths judges each of safepip's directories once per process instead of asking
#: safefs at every lookup; the project environment's two trust checks take its interpreter
#: from the caller; decide reads the interpreter's managed fact once, and asks root's
#: creation hint only for a creation; the settling asks for the debug note only when
#: debugging; the pip flow finds the fast path's interpreter once and takes the working
#: directory from the facts. What is left, by area: the facts <-> venv.layout (17 moves:
#: is_venv_dir, bin_python and cfg_home, pyvenv.cfg being read there only), paths (9 calls
#: for safepip's own directories, each caller working them out from its environ), the
#: fast path's probe of the environment's interpreter (about 15), what the records remember
#: for the front door (about 22, into venv.layout, the facts and paths). The modules stay:
#: each of the 48 decides or reads something for this install (Hatch's reader too: Hatch
#: makes a default environment for a project that does not name it).
MAX_MODULES = 48
MAX_MOVES = 144


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
