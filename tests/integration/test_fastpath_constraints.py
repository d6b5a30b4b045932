"""Constraints on the fast path: ``-c FILE``, ``constraint`` in pip's config files and
``PIP_CONSTRAINT``. A constraint narrows what satisfies; it must not turn the fast path off
(a machine-wide constraint is common: this machine's /etc/xdg/pip/pip.conf has one)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from handmade import req_lines
from helpers import ISOLATED_PIP, needs_managed, offline, venv_python
from inprocess import Cli
from safepip.fastpath import answer as fastpath
from safepip.fastpath.environment import Environment
from safepip.fastpath.options import Fallback
from safepip.fastpath.satisfied import satisfied
from wheels import make_wheel


@needs_managed
@pytest.mark.slow
def test_a_machine_wide_constraint_keeps_the_fast_path(project: Path, wheelhouse: Path, tmp_path: Path, live: Cli) -> None:
    """The headline: a global ``constraint`` in /etc/xdg/pip/pip.conf (here the hermetic
    fixture's XDG_CONFIG_DIRS) used to send every no-op to pip."""
    assert live("install", *offline(wheelhouse), "lib-b", cwd=project).returncode == 0
    machine = Path(os.environ["XDG_CONFIG_DIRS"]) / "pip"
    machine.mkdir(parents=True)
    (machine / "constraints.txt").write_text("torch<=2.14.1\nlib-a<2\n")
    (machine / "pip.conf").write_text(f"[global]\nconstraint = {machine / 'constraints.txt'}\n")
    (project / "more.txt").write_text("lib-a<1.5\n")
    env = {"SAFEPIP_DEBUG": "1", "PIP_CONSTRAINT": str(project / "more.txt")}
    with_pip = live("install", "-c", "more.txt", "lib-b", cwd=project, env={**env, "SAFEPIP_NO_FASTPATH": "1"})
    fast = live("install", "-c", "more.txt", "lib-b", cwd=project, env=env)
    assert (fast.returncode, with_pip.returncode) == (0, 0), fast.stderr + with_pip.stderr
    assert "pip not started" in fast.stderr
    shown = [ln for ln in with_pip.stdout.splitlines() if ln.startswith("Requirement already")]
    assert fast.stdout.splitlines() == shown
    # A constraint the installed version breaks: pip decides (and fails to resolve here).
    (project / "more.txt").write_text("lib-a>=2\n")
    broken = live("install", *offline(wheelhouse), "-c", "more.txt", "lib-b", cwd=project, env=env)
    assert "pip not started" not in broken.stderr
    assert broken.returncode != 0


VERSIONS = ("1.0", "1.5", "2.0")


SPECS = ("", ">=1.0", ">=1.5", "<2.0", "==1.0", "!=1.5", "<1.5", ">1.0")


MARKERS = ("", '; python_version >= "3"', '; sys_platform == "nope"')


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    base = tmp_path_factory.mktemp("constraints")
    house = base / "pool"
    rng = random.Random(11)
    for i in range(5):
        for version in VERSIONS:
            later = [f"q{j}{rng.choice(SPECS[:3])}" for j in range(i + 1, 5) if rng.random() < 0.5]
            make_wheel(house, f"q{i}", version, requires=later)
    env_dir = base / "env"
    quiet = {**{k: v for k, v in os.environ.items() if not k.startswith("PIP_")}, **ISOLATED_PIP}
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-periodic-update", str(env_dir)], check=True, env=quiet)
    subprocess.run([venv_python(env_dir), "-m", "pip", "install", "-q", *offline(house), "q0", "q1", "q2", "q3"],
                   check=True, env=quiet)
    yield house, env_dir


constraint = st.builds(lambda i, spec, marker: f"q{i}{spec}{marker}", st.integers(0, 4), st.sampled_from(SPECS[1:]),
                       st.sampled_from(MARKERS))


@needs_managed
@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reqs=st.lists(st.sampled_from(["q0", "q1", "q2", "q3", "q0>=1", "q3<2"]), min_size=1, max_size=3),
       limits=st.lists(constraint, min_size=1, max_size=3))
def test_constraints_agree_with_pip(pool: tuple[Path, Path], reqs: list[str], limits: list[str]) -> None:
    house, env_dir = pool
    cfile = env_dir.parent / "c.txt"
    cfile.write_text("\n".join(limits) + "\n")
    env = Environment.of(venv_python(env_dir), os.environ)
    try:
        answer = satisfied(req_lines(*reqs), env, "/", fastpath.constraint_lines([str(cfile)], "/"))
    except Fallback as exc:  # pragma: no cover - nothing here is outside the subset
        pytest.fail(str(exc))
    event("satisfied" if answer is not None else "not satisfied")
    report = env_dir.parent / "report.json"
    report.unlink(missing_ok=True)
    done = subprocess.run(
        [venv_python(env_dir), "-m", "pip", "install", "--dry-run", *offline(house), "-c", str(cfile),
         "--report", str(report), "-q", *reqs],
        capture_output=True, text=True, check=False, env={**os.environ, **ISOLATED_PIP},
    )
    would_install = json.loads(report.read_text())["install"] if done.returncode == 0 else None
    if answer is not None:
        assert would_install == [], (reqs, limits, done.stderr)
    else:
        assert would_install != [], (reqs, limits)
