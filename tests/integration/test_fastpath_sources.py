"""The fast path on local projects (-e PATH, PATH[extras], name @ file://) and on PEP 735
dependency groups (--group), checked against pip's own ``install --dry-run --report``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpers import ISOLATED_PIP, needs_managed, offline, venv_python
from inprocess import Cli
from localproj import make_project
from safepip.facts.pipargs import scan
from safepip.fastpath.answer import Answered, attempt
from wheels import make_wheel

QUIET = {**{k: v for k, v in os.environ.items() if not k.startswith("PIP_")}, **ISOLATED_PIP}


def _pip(env_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([venv_python(env_dir), "-m", "pip", *args], capture_output=True, text=True,
                          check=check, env={**os.environ, **ISOLATED_PIP})


def _report(env_dir: Path, house: Path, cwd: Path, *args: str) -> list[dict[str, Any]] | None:
    report = env_dir.parent / "report.json"
    report.unlink(missing_ok=True)
    done = subprocess.run(
        [venv_python(env_dir), "-m", "pip", "install", "--dry-run", "-q", *offline(house), "--report", str(report), *args],
        capture_output=True, text=True, check=False, cwd=cwd, env={**os.environ, **ISOLATED_PIP},
    )
    return list(json.loads(report.read_text())["install"]) if done.returncode == 0 else None


def _answer(env_dir: Path, cwd: Path, *args: str) -> bool:
    """Whether the fast path answers ``install ARGS`` in ``cwd`` itself (its lines go to stdout)."""
    call = scan(["install", *args])
    return attempt(call, venv_python(env_dir), {**os.environ, **ISOLATED_PIP}, str(cwd), Answered()) == 0


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    base = tmp_path_factory.mktemp("sources")
    house = base / "house"
    for version in ("1.0", "2.0"):
        make_wheel(house, "dep-a", version)
        make_wheel(house, "dep-b", version, requires=["dep-a"])
    env_dir = base / "env"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-periodic-update", str(env_dir)], check=True, env=QUIET)
    _pip(env_dir, "install", "-q", *offline(house), "dep-a==1.0", "dep-b==1.0")
    yield house, env_dir


def _age(root: Path) -> None:
    import time

    past = time.time() - 60
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past))


# ---------------------------------------------------------------- units, end to end


@needs_managed
@pytest.mark.slow
def test_editable_project_with_extras_is_a_no_op_until_its_metadata_changes(project: Path, wheelhouse: Path, live: Cli) -> None:
    make_project(project, "myproj", dependencies=["lib-a"], optional={"dev": ["lib-b"]},
                 groups={"test": ["lib-a>=1", {"include-group": "lint"}], "lint": ["lib-b"]})
    _age(project)
    args = ["install", *offline(wheelhouse), "-e", ".[dev]"]
    assert live(*args, cwd=project).returncode == 0
    env = {"SAFEPIP_DEBUG": "1"}
    fast = live(*args, cwd=project, env=env)
    assert fast.returncode == 0, fast.stderr
    assert "pip not started" in fast.stderr
    assert fast.stdout.splitlines()[0].startswith(
        f"Requirement already satisfied: myproj[dev] from file://{project} (editable, unchanged since installed)"
    )
    group = live("install", *offline(wheelhouse), "--group", "test", cwd=project, env=env)
    assert "pip not started" in group.stderr, group.stderr
    assert group.stdout.splitlines()[0].startswith("Requirement already satisfied: lib-a>=1 in ")
    # Not editable asked, editable installed: pip runs (and reinstalls it as asked).
    assert "pip not started" not in live("install", *offline(wheelhouse), ".", cwd=project, env=env).stderr
    # Now a regular install: `.` is a no-op, `-e .` is not.
    assert "pip not started" in live("install", *offline(wheelhouse), ".", cwd=project, env=env).stderr
    # A cache key changed (as an edit of the version would): pip rebuilds.
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text().replace('"0.1"', '"0.2"'))
    done = live("install", *offline(wheelhouse), ".", cwd=project, env=env)
    assert "pip not started" not in done.stderr
    assert "Successfully installed myproj-0.2" in done.stdout


@needs_managed
@pytest.mark.slow
def test_cache_keys_in_tool_safepip(world: tuple[Path, Path], tmp_path: Path) -> None:
    house, env_dir = world
    root = make_project(tmp_path / "keyed", "keyed", tool='[tool.safepip]\ncache-keys = ["VERSION"]\n')
    (root / "VERSION").write_text("1\n")
    _age(root)
    _pip(env_dir, "install", "-q", *offline(house), "-e", str(root))
    assert _answer(env_dir, tmp_path, "-e", str(root))
    (root / "VERSION").write_text("2\n")
    assert not _answer(env_dir, tmp_path, "-e", str(root))
    _pip(env_dir, "uninstall", "-y", "-q", "keyed")


# ---------------------------------------------------------------- property: pip agrees

change = st.sampled_from(["nothing", "version", "dependency", "extra", "touch", "restore-old-mtime"])


@needs_managed
@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(installed_editable=st.booleans(), asked_editable=st.booleans(), extras=st.booleans(), what=change,
       form=st.sampled_from(["path", "file-url"]))
def test_local_projects_agree_with_pip(
    world: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory, installed_editable: bool, asked_editable: bool,
    extras: bool, what: str, form: str,
) -> None:
    """Satisfied means: pip would only rebuild the same project, from the same directory, in
    the same mode, with the same version and dependencies, and install nothing else."""
    house, env_dir = world
    root = make_project(tmp_path_factory.mktemp("proj") / "proj", "gen-proj", dependencies=["dep-a"],
                        optional={"x": ["dep-b"]})
    _age(root)
    _pip(env_dir, "install", "-q", *offline(house), *(["-e"] if installed_editable else []), f"{root}[x]")
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    if what == "version":
        pyproject.write_text(text.replace('"0.1"', '"0.2"'))
    elif what == "dependency":
        pyproject.write_text(text.replace('["dep-a"]', '["dep-a", "dep-b>=2"]'))
    elif what == "extra":
        pyproject.write_text(text.replace('x = ["dep-b"]', 'x = ["dep-b>=2"]'))
    elif what == "touch":
        pyproject.touch()
    elif what == "restore-old-mtime":  # cp -p / tar: the old mtime comes back, the ctime does not
        pyproject.write_text(text.replace('"0.1"', '"0.3"'))
        os.utime(pyproject, (0, 0))
    target = f"{root}[x]" if extras else str(root)
    if form == "file-url":
        if asked_editable:
            return  # pip has no -e name @ file://
        target = f"gen-proj{'[x]' if extras else ''} @ file://{root}"
    args = [*(["-e"] if asked_editable else []), target]
    answered = _answer(env_dir, root.parent, *args)
    event(f"{'satisfied' if answered else 'not satisfied'} ({what})")
    report = _report(env_dir, house, root.parent, *args)
    try:
        if answered:
            assert report is not None and len(report) == 1, report
            item = report[0]
            meta = item["metadata"]
            installed = json.loads(_pip(env_dir, "inspect").stdout)
            [dist] = [d for d in installed["installed"] if d["metadata"]["name"] == "gen-proj"]
            assert (meta["name"], meta["version"]) == ("gen-proj", dist["metadata"]["version"])
            assert sorted(meta.get("requires_dist", [])) == sorted(dist["metadata"].get("requires_dist", []))
            assert item["download_info"]["url"] == f"file://{root}"
            assert bool(item["download_info"].get("dir_info", {}).get("editable")) == asked_editable == installed_editable
        if what in ("version", "dependency", "extra", "restore-old-mtime"):
            assert not answered  # the metadata changed: the fast path must not answer
    finally:
        _pip(env_dir, "uninstall", "-y", "-q", "gen-proj")


group_item = st.sampled_from(["dep-a", "dep-a>=2", "dep-b", "dep-b<2", "dep-c", 'dep-a; sys_platform == "nope"'])


@needs_managed
@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(group_item, max_size=3), second=st.lists(group_item, max_size=2), include=st.booleans(),
       with_path=st.booleans())
def test_dependency_groups_agree_with_pip(
    world: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory, first: list[str], second: list[str],
    include: bool, with_path: bool,
) -> None:
    house, env_dir = world
    root = tmp_path_factory.mktemp("groups")
    items = [json.dumps(i) for i in first] + (['{include-group = "two"}'] if include else [])
    (root / "pyproject.toml").write_text(
        f"[dependency-groups]\none = [{', '.join(items)}]\ntwo = [{', '.join(json.dumps(i) for i in second)}]\n"
    )
    group = f"{root}/pyproject.toml:one" if with_path else "one"
    cwd = root.parent if with_path else root
    answered = _answer(env_dir, cwd, "--group", group)
    event("satisfied" if answered else "not satisfied")
    report = _report(env_dir, house, cwd, "--group", group)
    if answered:
        assert report == [], (first, second, include)
    else:
        assert report != [], (first, second, include)


# ---------------------------------------------------------------- hashes

pinned = st.sampled_from(["dep-a==1.0", "dep-a==2.0", "dep-b==1.0", "dep-b==2.0", "dep-a", "dep-b>=1", "dep-a===1.0"])


@needs_managed
@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reqs=st.lists(pinned, min_size=1, max_size=3, unique_by=lambda r: r[:5]), flag=st.booleans(),
       in_file=st.booleans())
def test_hashes_agree_with_pip(world: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory, reqs: list[str],
                               flag: bool, in_file: bool) -> None:
    """pip does not hash installed distributions: a pinned, installed requirement is
    satisfied in hash-checking mode, whatever its hashes say."""
    house, env_dir = world
    root = tmp_path_factory.mktemp("hashes")
    fake = "sha256:" + "0" * 64
    if in_file:
        (root / "r.txt").write_text("".join(f"{r} \\\n    --hash={fake}\n" for r in reqs))
        args = [*(["--require-hashes"] if flag else []), "-r", "r.txt"]
    else:
        args = ["--require-hashes", *reqs]
    answered = _answer(env_dir, root, *args)
    event("satisfied" if answered else "not satisfied")
    report = _report(env_dir, house, root, *args)
    if answered:
        assert report == [], (reqs, args)
    elif all("==" in r for r in reqs):  # pinned: the fast path answers only "not installed"
        assert report != [], (reqs, args)


def test_hash_options_are_read_and_pinning_checked(tmp_path: Path) -> None:
    from safepip.fastpath import reqfile
    from safepip.fastpath.answer import _check_hash_mode
    from safepip.fastpath.options import Fallback
    from safepip.fastpath.satisfied import Line

    (tmp_path / "r.txt").write_text("lib-a==1.0 --hash=sha256:ab \\\n  --hash sha256:cd\nlib-b==2\n")
    lines = reqfile.read("r.txt", str(tmp_path))
    assert [(ln.text, ln.hashed) for ln in lines] == [("lib-a==1.0", True), ("lib-b==2", False)]
    _check_hash_mode(scan(["install", "-r", "r.txt"]), lines, False)
    with pytest.raises(Fallback, match="not pinned"):
        _check_hash_mode(scan(["install", "--require-hashes"]), [*lines, Line("lib-c>=1", None)], False)


# ---------------------------------------------------------------- .pth files that run code


@needs_managed
@pytest.mark.slow
def test_pth_files_that_run_code_are_read_through_the_real_sys_path(world: tuple[Path, Path], tmp_path: Path) -> None:
    house, env_dir = world
    code = "import json, sysconfig; print(json.dumps(sysconfig.get_path('purelib')))"
    site = Path(json.loads(subprocess.run([venv_python(env_dir), "-c", code], capture_output=True, text=True,
                                          check=True).stdout))
    extra = tmp_path / "extra"
    own = tmp_path / "own"
    make_wheel(own, "dep-z", "3.0")
    _pip(env_dir, "install", "-q", *offline(own), "--target", str(extra), "dep-z")
    coverage_like = site / "a1_cov.pth"
    coverage_like.write_text("import os; os.environ.get('BENCH_NOTHING') and print('never')\n")
    adds = site / "zz_adds.pth"
    try:
        assert _answer(env_dir, tmp_path, "dep-b==1.0")  # code that does not change sys.path
        assert _report(env_dir, house, tmp_path, "dep-b==1.0") == []
        assert not _answer(env_dir, tmp_path, "dep-z")
        adds.write_text(f"import sys; sys.path.append({str(extra)!r})\n")
        # dep-z is seen only through the code the .pth runs: as pip sees it.
        assert _answer(env_dir, tmp_path, "dep-z==3.0", "dep-b")
        assert _report(env_dir, own, tmp_path, "dep-z==3.0", "dep-b") == []
        adds.write_text("import sys\n")  # changed: asked again, and dep-z is gone
        assert not _answer(env_dir, tmp_path, "dep-z")
    finally:
        coverage_like.unlink()
        adds.unlink(missing_ok=True)
