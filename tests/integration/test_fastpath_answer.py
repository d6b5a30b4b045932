"""The no-op fast path: units on a hand-made site-packages, the real console script, and a
property test against pip's own resolver on generated environments."""

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
from packaging.markers import default_environment

from handmade import req_lines
from helpers import installed, needs_managed, offline, venv_python
from inprocess import Cli
from safepip.fastpath.environment import Environment
from safepip.fastpath.options import Fallback
from safepip.fastpath.satisfied import satisfied
from wheels import make_wheel

# ---------------------------------------------------------------- a hand-made environment


def test_a_pth_file_that_runs_code_goes_to_pip_when_the_environment_cannot_be_asked(site: Path) -> None:
    """The environment's real ``sys.path`` is asked of its interpreter (a process), which this
    hand-made environment does not have: pip decides.
    """
    (site / "odd.pth").write_text("import sys; sys.path.append('/x')\n")
    markers = {k: str(v) for k, v in default_environment().items()}
    with pytest.raises(Fallback, match=r"cannot read the sys\.path of"):
        satisfied(req_lines("lib-a"), Environment(str(site.parent.parent), [str(site)], markers), "/")


#: pip's entry point (pip/_internal/cli/main.py, what ``bin/pip`` and safepip call), replaced.
SENTINEL_MAIN = (
    "import os, sys\n\n\ndef main(args=None):\n"
    "    open(os.environ['SAFEPIP_TEST_PIP_RAN'], 'a').write(' '.join(sys.argv[1:]) + '\\n')\n    return 3\n"
)


def _pip_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith(("Requirement already", "Ignoring "))]


@needs_managed
@pytest.mark.slow
def test_no_op_install_is_answered_without_pip(project: Path, wheelhouse: Path, tmp_path: Path, live: Cli) -> None:
    make_wheel(wheelhouse, "lib-d", "1.0", requires=["lib-b", 'app-c; sys_platform == "nope"'])
    assert live("install", *offline(wheelhouse), "lib-d", cwd=project).returncode == 0
    (project / "requirements.txt").write_text('lib-a>=1\n# c\nlib-d\nnot-here; sys_platform == "nope"\n')
    args = ["install", *offline(wheelhouse), "-r", "requirements.txt", "lib-b"]
    with_pip = live(*args, cwd=project, env={"SAFEPIP_NO_FASTPATH": "1"})
    assert with_pip.returncode == 0, with_pip.stderr
    fast = live(*args, cwd=project, env={"SAFEPIP_DEBUG": "1"})
    assert fast.returncode == 0, fast.stderr
    assert "pip not started" in fast.stderr
    assert _pip_lines(fast.stdout) == _pip_lines(with_pip.stdout)  # pip's own words, in pip's order
    assert len(_pip_lines(fast.stdout)) == 4  # Ignoring..., lib-b, lib-a (from -r), lib-d

    # Prove pip does not start: make it record its runs and fail.
    candidates = list((project / ".venv" / "lib").glob("python3.*/site-packages/pip/_internal/cli/main.py"))
    assert len(candidates) == 1
    candidates[0].write_text(SENTINEL_MAIN)
    ran = tmp_path / "pip-ran"
    env = {"SAFEPIP_TEST_PIP_RAN": str(ran)}
    quiet = live("install", "-q", "lib-a", "lib-d", cwd=project, env=env)
    assert (quiet.returncode, quiet.stdout, ran.exists()) == (0, "", False)
    for fallback in (["-U", "lib-a"], ["lib-a>1.0"], ["lib-a", "--no-deps"]):
        done = live("install", *fallback, cwd=project, env=env)
        assert done.returncode == 3, (fallback, done.stderr)
    assert len(ran.read_text().splitlines()) == 3
    off = live("install", "lib-a", cwd=project, env={"SAFEPIP_TEST_PIP_RAN": str(ran), "SAFEPIP_NO_FASTPATH": "1"})
    assert off.returncode == 3
    assert installed(project / ".venv")["lib-a"] == "1.0"


@pytest.mark.slow
def test_an_active_venv_is_answered_too(tmp_path: Path, wheelhouse: Path, live: Cli) -> None:
    env_dir = tmp_path / "active"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-periodic-update", str(env_dir)], check=True)
    subprocess.run([venv_python(env_dir), "-m", "pip", "install", "-q", *offline(wheelhouse), "lib-b"], check=True)
    env = {"VIRTUAL_ENV": str(env_dir), "SAFEPIP_DEBUG": "1"}
    done = live("install", "lib-b", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    site = f"./active/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"
    assert done.stdout.splitlines() == [
        f"Requirement already satisfied: lib-b in {site} (2.0)",
        f"Requirement already satisfied: lib-a>=1.0 in {site} (from lib-b) (1.0)",
    ]
    assert "pip not started" in done.stderr


POOL_SIZE = 8


VERSIONS = ("1.0", "1.5", "2.0")


SPECS = ("", ">=1.0", ">=1.5", ">=2.0", "<2.0", "==1.0", "==2.0", "!=1.5", "~=1.0")


MARKERS = ("", '; python_version >= "3"', '; sys_platform == "nope"')


def _pool(house: Path) -> None:
    """Packages p0..p7 in three versions; each may depend on later ones (with specifiers,
    markers that hold or not) and have an extra ``x`` that brings another."""
    rng = random.Random(5)
    for i in range(POOL_SIZE):
        for version in VERSIONS:
            later = [f"p{j}" for j in range(i + 1, POOL_SIZE)]
            requires = [f"{n}{rng.choice(SPECS[:5])}{rng.choice(MARKERS)}" for n in rng.sample(later, min(len(later), rng.randint(0, 2)))]
            extras = {"x": [f"{rng.choice(later)}{rng.choice(SPECS[:3])}"]} if later and rng.random() < 0.5 else None
            make_wheel(house, f"p{i}", version, requires=requires, extras=extras)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Path]]]:
    """The pool, and environments made from it: one resolved by pip, one with random
    versions installed with --no-deps (so dependencies may be missing or wrong)."""
    base = tmp_path_factory.mktemp("generated")
    house = base / "pool"
    _pool(house)
    envs = []
    quiet_env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    quiet_env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    for name in ("resolved", "loose"):
        env_dir = base / name
        subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-periodic-update", str(env_dir)], check=True, env=quiet_env)
        envs.append(env_dir)
    pip = ["-m", "pip", "install", "-q", "--no-index", "--find-links", str(house)]
    subprocess.run([venv_python(envs[0]), *pip, "p0[x]", "p2", "p4", "p6"], check=True, env=quiet_env)
    rng = random.Random(7)
    loose = [f"p{i}=={rng.choice(VERSIONS)}" for i in range(POOL_SIZE) if rng.random() < 0.7]
    subprocess.run([venv_python(envs[1]), *pip, "--no-deps", *loose], check=True, env=quiet_env)
    yield house, envs


requirement = st.builds(
    lambda i, extra, spec, marker: f"p{i}{'[x]' if extra else ''}{spec}{marker}",
    st.integers(0, POOL_SIZE - 1), st.booleans(), st.sampled_from(SPECS), st.sampled_from(MARKERS[:2] + MARKERS[:1]),
)


@needs_managed
@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reqs=st.lists(requirement, min_size=1, max_size=4), which=st.integers(0, 1))
def test_fast_path_agrees_with_pip(generated: tuple[Path, list[Path]], reqs: list[str], which: int) -> None:
    house, envs = generated
    env_dir = envs[which]
    try:
        env = Environment.of(venv_python(env_dir), os.environ)
        answer = satisfied(req_lines(*reqs), env, "/")
    except Fallback as exc:
        event(f"fallback: {str(exc).split(' ')[-1]}")
        return  # pip decides; nothing to compare
    event("satisfied" if answer is not None else "not satisfied")
    report = env_dir.parent / "report.json"
    done = subprocess.run(
        [venv_python(env_dir), "-m", "pip", "install", "--dry-run", "--no-index", "--find-links", str(house),
         "--report", str(report), "-q", *reqs],
        capture_output=True, text=True, check=False,
    )
    would_install = json.loads(report.read_text())["install"] if done.returncode == 0 else None
    if answer is not None:  # satisfied: pip must agree and install nothing
        assert would_install == [], (reqs, done.stderr)
    else:  # not satisfied: pip installs something, or cannot resolve at all
        assert would_install != [], (reqs, installed(env_dir))


@needs_managed
@pytest.mark.slow
def test_an_environment_without_pip_is_answered_for_itself(project: Path, wheelhouse: Path, live: Cli) -> None:
    # uv venv / venv --without-pip: safepip's own pip drives it with --python, and the fast
    # path must read that environment, not the interpreter safepip's pip runs in.
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    first = live("install", *offline(wheelhouse), "lib-b", cwd=project)
    assert first.returncode == 0, first.stderr
    assert installed(project / ".venv")["lib-b"] == "2.0"
    done = live("install", *offline(wheelhouse), "lib-b", cwd=project, env={"SAFEPIP_DEBUG": "1"})
    assert done.returncode == 0, done.stderr
    assert "pip not started" in done.stderr
    assert done.stdout.splitlines()[0].startswith("Requirement already satisfied: lib-b in ./.venv/lib/python3")


# ---------------------------------------------------------------- right after a creation


@needs_managed
@pytest.mark.slow
def test_the_install_after_the_one_that_made_the_environment_starts_no_probe(
    project: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """The install that creates the project's environment probes its interpreter for the
    probe cache, so that the next install's fast path (which reads the environment through
    that probe) starts no process before pip.
    """
    from inprocess import run_main
    from safepip.facts import interpreter

    cwd = project / "src"
    code, _ = run_main(["install", *offline(wheelhouse), "lib-a"], cwd, monkeypatch, live=True)
    assert code == 0
    probed: list[str] = []
    real = interpreter.run_probe

    def counting(path: str, environ: object = None) -> dict[str, object]:
        probed.append(path)
        return real(path)

    monkeypatch.setattr(interpreter, "run_probe", counting)
    code, recorder = run_main(["install", *offline(wheelhouse), "app-c"], cwd, monkeypatch)
    capsys.readouterr()
    assert code == 0
    assert [how for how, _ in recorder.started] == ["exec"]  # pip: app-c is new
    assert probed == []
