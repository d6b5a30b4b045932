"""The shape of the source tree (README, Development): no import circles, even through
imports made inside functions or for the type checker; layers point one way (facts, decide,
act, then the pipeline and the verbs above them); one exec;
no module over 560 lines but the generated option table.
"""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import safepip_modules

GENERATED = {"safepip.facts._pipoptions"}
#: Modules stay small, one concern each (most are 75 to 250 lines); the few that hold one concept
#: whole (an environment's state records, a tool's environment and its settings) may reach 560, so that
#: an install reads through 30 modules (issue 29).
MAX_LINES = 560


def imports(path: Path, known: set[str]) -> set[str]:
    """Every safepip module ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(n for n in names if n in known)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def graph() -> dict[str, set[str]]:
    known = safepip_modules()
    return {name: imports(path, set(known)) - {name} for name, path in known.items()}


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


#: The layers, top down: what each may not import (wherever the import statement is).
DECIDE = ("safepip.decide", "safepip.decide_outside", "safepip.decide_root")
LAYERS: dict[str, tuple[str | tuple[str, ...], tuple[str, ...]]] = {
    "facts": ("safepip.facts", (*DECIDE, "safepip.act", "safepip.pipeline", "safepip.commands")),
    "decide": (DECIDE, ("safepip.act", "safepip.pipeline", "safepip.commands")),
    "act": ("safepip.act", ("safepip.pipeline", "safepip.commands")),
    # The environment is below the facts: whoever makes one passes the interpreter it probed.
    "venv": ("safepip.venv", ("safepip.facts", *DECIDE, "safepip.act", "safepip.pipeline", "safepip.commands")),
}


def _in(name: str, prefixes: str | tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in ((prefixes,) if isinstance(prefixes, str) else prefixes))


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import that points up a layer: ``module -> imported``."""
    found: list[str] = []
    for name, deps in graph.items():
        for members, banned in LAYERS.values():
            if _in(name, members):
                found.extend(f"{name} -> {d}" for d in sorted(deps) if _in(d, banned))
    return sorted(found)


def test_layers_point_one_way() -> None:
    """facts import neither decide, act nor the pipeline; decide (``decide``, ``decide_outside``,
    ``decide_root``) imports no act; act imports neither the pipeline nor the verbs; the
    virtual environment (``venv``) imports none of them, nor the facts. What several layers
    need (the runner, the one exec, pipx's command line) lives below them.
    """
    assert upward(graph()) == []


def test_the_layer_rule_sees_imports_inside_functions_and_for_the_type_checker(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from safepip.pipeline import resolve\n"
        "def f():\n    from safepip.act import flow\n    import safepip.decide\n"
    )
    known = {"safepip.pipeline", "safepip.pipeline.resolve", "safepip.act", "safepip.act.flow", "safepip.decide"}
    deps = imports(source, known)
    assert upward({"safepip.facts.m": deps}) == [
        "safepip.facts.m -> safepip.act", "safepip.facts.m -> safepip.act.flow", "safepip.facts.m -> safepip.decide",
        "safepip.facts.m -> safepip.pipeline", "safepip.facts.m -> safepip.pipeline.resolve",
    ]
    assert upward({"safepip.decide_outside": {"safepip.act.pipx"}, "safepip.act.flow": {"safepip.commands.x"}}) == [
        "safepip.act.flow -> safepip.commands.x", "safepip.decide_outside -> safepip.act.pipx",
    ]
    assert upward({"safepip.venv.create": {"safepip.facts.interpreter", "safepip.venv.layout"}}) == [
        "safepip.venv.create -> safepip.facts.interpreter",
    ]


def test_the_front_door_and_the_replay_share_one_exec() -> None:
    """One exec of pip, one child environment, one root rule: imported, never copied."""
    known = safepip_modules()
    for name in ("safepip.front", "safepip.remembered.store", "safepip.runner"):
        text = known[name].read_text(encoding="utf-8")
        assert "os.execv(" not in text and "os.execve(" not in text, name
        assert "safepip.handoff" in imports(known[name], set(known)), name
    for name in ("safepip.front", "safepip.decide_root"):
        assert "safepip.rootrule" in imports(known[name], set(known)), name
    for name, path in known.items():
        if name != "safepip.handoff":
            assert "REDIRECT_CLEAN = " not in path.read_text(encoding="utf-8"), name
            assert "os.execve(" not in path.read_text(encoding="utf-8"), name


def test_no_module_is_over_560_lines() -> None:
    long = {name: n for name, path in safepip_modules().items()
            if name not in GENERATED and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
