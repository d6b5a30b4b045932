"""safepip's benchmark: whole-process timings against pip (and uv, as a reference), offline.

Run through ``nox -s bench`` (which installs safepip and uv into the session) or directly:
``python benchmarks/bench.py --safepip PATH --uv PATH --output BENCHMARKS.md``.

Every case builds its own wheels (tests/wheels.py) and installs them with --no-index, in a
throw-away directory whose HOME, XDG directories and pip settings are the benchmark's own.
Commands compared with each other run interleaved (A, B, A, B...) after a warm-up, so that
a noisy, shared machine slows both alike; the table gives medians, min-max spreads and the
ratio of the medians measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures import CLICK_DEV, build_pool, click_dev_set, coverage_like, hashed_requirements  # noqa: E402
from measure import (  # noqa: E402
    SYSTEM_PYTHON, Sample, compare, compare_rounds, hermetic_env, import_profile, load_average, machine, paired, paired_interval,
    peak_rss, pip_version, processes_started, realistic_env, run_once, settle,
)
from wheels import make_wheel  # noqa: E402

#: The cases, in the order they run (each also runs its lettered variants: 1b, 2b, 4b).
CASES = ("1", "2", "3", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "4", "5")
#: Rounds of the overhead cases (1 and 7), in multiples of --runs. pip's own run here spreads
#: over 100-300 ms while the difference measured is 10-15 ms: at 3x the median of the per-round
#: differences moved by +-10 ms between runs of the benchmark, past the 15 ms target either way.
OVERHEAD_ROUNDS = 6


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--safepip", default=shutil.which("safepip"), help="the safepip console script")
    parser.add_argument("--uv", default=shutil.which("uv"), help="uv, as a reference (optional)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (after one warm-up)")
    parser.add_argument("--first-runs", type=int, default=6, help="timed runs of the first-install case")
    parser.add_argument("--output", default="BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--configs", default="isolated,realistic",
                        help="pip configurations to measure in: isolated, realistic (default: both)")
    parser.add_argument("--cases", default="all",
                        help=f"the cases to run, by number (default: all): {','.join(CASES)}, and imports (the -X importtime tables)")
    opts = parser.parse_args(argv)
    chosen = CASES + ("imports",) if opts.cases == "all" else tuple(c.strip() for c in opts.cases.split(",") if c.strip())
    unknown = sorted(set(chosen) - set(CASES) - {"imports"})
    if unknown:
        parser.error(f"unknown case {', '.join(unknown)}: choose from {', '.join(CASES)}, imports")

    def want(case: str) -> bool:
        return case in chosen
    if not opts.safepip:
        parser.error("safepip not found: pass --safepip")
    safepip = os.path.abspath(opts.safepip)
    uv = os.path.abspath(opts.uv) if opts.uv else None
    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine(safepip)
    # Outside this checkout: nox points TMPDIR into .nox/, inside the safepip repository, whose
    # root is a project; the benchmark's projects would then be its sub-projects (the monorepo
    # rule) and share the repository's environment instead of having their own.
    here = Path(__file__).resolve().parent.parent
    tmp = Path(tempfile.gettempdir()).resolve()
    root = Path(tempfile.mkdtemp(prefix="safepip-bench-", dir=None if here not in (tmp, *tmp.parents) else "/tmp"))
    env = hermetic_env(root)
    rows: list[tuple[str, str, str, str, str]] = []  # case, command, median, spread, ratio
    verdicts: list[tuple[str, str, str, str]] = []  # target, measured, goal, met
    notes: list[str] = []
    memory_rows: list[tuple[str, str]] = []
    profile: list[tuple[str, int]] = []
    full_profile: list[tuple[str, int]] = []
    first_profile: list[tuple[str, int]] = []
    decided_profile: list[tuple[str, int]] = []
    racy_profile: list[tuple[str, int]] = []

    def log(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    tag = ""

    def row(case: str, samples: dict[str, Sample], base: str) -> None:
        for name, sample in samples.items():
            ratio = "1.00" if name == base else f"{sample.median / samples[base].median:.3f}"
            rows.append((f"{tag}: {case}", name, f"{sample.median * 1000:.0f}", sample.spread(), ratio))

    def verdict(target: str, measured: str, goal: str, met: bool | None) -> None:
        verdicts.append((f"{tag}: {target}", measured, goal, "?" if met is None else "yes" if met else "no"))

    try:
        house = root / "wheels"
        log("building wheels")
        make_wheel(house, "bench-dep", "1.0")
        make_wheel(house, "bench-x", "1.0", requires=["bench-dep>=1.0"])
        names50 = build_pool(house, 50, "r50-")
        names300 = build_pool(house, 300, "r300-")
        offline = ["--no-index", "--find-links", str(house)]

        # The project: a .venv made by safepip, X and both requirement sets installed.
        project = root / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
        (project / "req50.txt").write_text("".join(f"{n}\n" for n in names50))
        (project / "req300.txt").write_text("".join(f"{n}\n" for n in names300))
        log("creating the project environment and installing 351 distributions")
        run_once([safepip, "install", "-q", *offline, "bench-x", "-r", "req50.txt", "-r", "req300.txt"], project, env)
        venv_pip = str(project / ".venv" / "bin" / "pip")
        venv_python = str(project / ".venv" / "bin" / "python")
        notes.append(f"pip in the project environment: {pip_version(venv_python)}; Debian's: {pip_version(SYSTEM_PYTHON)}")

        # A local project for the editable and dependency-group cases. pip rebuilds and
        # reinstalls a local project on every call, and so does uv with -e: each gets a copy
        # of its own, so that their reinstalls do not change what safepip's no-op depends on.
        from localproj import make_project

        shape = {"dependencies": ["bench-x", *names50[:10]], "optional": {"dev": names50[10:30]},
                 "groups": {"test": names50[30:45], "lint": names50[45:]}}
        devproj, pip_devproj, uv_devproj = (
            make_project(root / where, "bench-dev", **shape) for where in ("devproj", "devproj-pip", "devproj-uv")  # type: ignore[arg-type]
        )
        if want("8"):
            log("creating the editable project's environments")
            for each in (devproj, pip_devproj, uv_devproj):
                run_once([safepip, "install", "-q", *offline, "-e", ".[dev]", "--group", "test", "--group", "lint"], each, env)
        dev_pip = str(pip_devproj / ".venv" / "bin" / "pip")
        uv_dev_python = str(uv_devproj / ".venv" / "bin" / "python")
        # 9. A hash-pinned requirement file over the project's 50 (pip-compile --generate-hashes).
        hashed_requirements(house, names50, "1.0", project / "req50-hashed.txt")
        # 10. An environment with a coverage-like .pth that runs code at start-up.
        covproj = root / "covproj"
        covproj.mkdir()
        (covproj / "pyproject.toml").write_text('[project]\nname = "cov"\nversion = "0"\n')
        coverage_like(house)
        if want("10"):
            log("creating the coverage-like environment")
            run_once([safepip, "install", "-q", *offline, "bench-x", "bench-cov"], covproj, env)
        # 11. A real project's dev requirements: click's set, mirrored from local wheels.
        clickdev = root / "clickdev"
        clickdev.mkdir()
        (clickdev / "pyproject.toml").write_text('[project]\nname = "click"\nversion = "8.2.0.dev0"\n')
        dev_count = click_dev_set(house, clickdev / "requirements" / "dev.txt")
        if want("11"):
            log(f"creating the click-like project's environment ({dev_count} distributions)")
            run_once([safepip, "install", "-q", *offline, "-r", "requirements/dev.txt"], clickdev, env)
        # 12. Direct URLs: a wheel by file:// URL, and a git checkout at a commit (git+file://).
        # uv gets a copy of its own: it reinstalls a wheel URL that pip installed (and records no hash).
        urlproj, uv_urlproj = root / "urlproj", root / "urlproj-uv"
        for each in (urlproj, uv_urlproj):
            each.mkdir()
            (each / "pyproject.toml").write_text('[project]\nname = "urls"\nversion = "0"\n')
        wheel_url = f"bench-x @ {(house / 'bench_x-1.0-py3-none-any.whl').as_uri()}"
        vcs_url = None
        if want("12"):
            log("creating the direct-URL project's environment")
            wanted_urls = [wheel_url]
            if shutil.which("git"):
                repo = make_project(root / "vcsrepo", "bench-vcs", dependencies=["bench-dep"])
                git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@invalid"]
                for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
                    subprocess.run([*git, *step], check=True, capture_output=True)
                commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
                vcs_url = f"bench-vcs @ git+{repo.as_uri()}@{commit}"
                wanted_urls.append(vcs_url)
            for each in (urlproj, uv_urlproj):
                run_once([safepip, "install", "-q", *offline, *wanted_urls], each, env)
        # 14, 15: packages no command line named before (one per round and configuration, and
        # per case), for `install --dry-run NEW`: each round's command line is new to safepip.
        fresh_count = 2 * 2 * (opts.runs * OVERHEAD_ROUNDS + 1) + 10
        for i in range(fresh_count):
            make_wheel(house, f"new{i:03d}", "1.0")
        fresh_names = iter(f"new{i:03d}" for i in range(fresh_count))
        # 15: each round's directory is new; their parent exists before the cases start (a new
        # entry in the project's own directory would change what every other case depends on).
        (project / "newdirs").mkdir()
        # 18: a subdirectory of the project that the shell enters.
        (project / "sub").mkdir()
        configs = {"isolated": env, "realistic": realistic_env(env, root)}
        wanted = [c.strip() for c in opts.configs.split(",") if c.strip()]
        settle(time.time())  # every fixture and configuration file is written: let them age
        for tag in wanted:
            env = configs[tag]
            log(f"configuration: {tag}")
            if want("1"):
                # 1. Pass-through: an active venv, X installed. Fast path off = the pure overhead.
                log("case 1: pass-through")
                active = dict(env, VIRTUAL_ENV=str(project / ".venv"))
                elsewhere = root / "elsewhere"
                elsewhere.mkdir(exist_ok=True)
                s1 = compare(
                    {
                        "pip install X (venv's pip)": ([venv_pip, "install", *offline, "bench-x"], elsewhere),
                        "safepip install X, fast path off": ([safepip, "install", *offline, "bench-x"], elsewhere),
                    },
                    dict(active, SAFEPIP_NO_FASTPATH="1"), opts.runs * OVERHEAD_ROUNDS,  # the tightest margin: more rounds
                )
                row("1 pass-through (active venv, X installed)", s1, "pip install X (venv's pip)")
                # Each round runs both commands back to back: the median of the per-round differences
                # is far less noisy on a shared machine than the difference of the two medians.
                overhead = paired(s1, "safepip install X, fast path off", "pip install X (venv's pip)")
                low, high = paired_interval(s1, "safepip install X, fast path off", "pip install X (venv's pip)")
                pct = overhead / s1["pip install X (venv's pip)"].median * 100
                verdict("overhead when pip runs: active venv install",
                        f"{overhead * 1000:+.0f} ms ({pct:+.1f}%; {low * 1000:+.0f} to {high * 1000:+.0f})", "<= 15 ms",
                        overhead <= 0.015)
                s1b = compare({"safepip install X (fast path)": ([safepip, "install", *offline, "bench-x"], elsewhere)}, active, opts.runs)
                s1b["pip install X (venv's pip)"] = s1["pip install X (venv's pip)"]
                row("1b same, fast path on", {k: s1b[k] for k in ("pip install X (venv's pip)", "safepip install X (fast path)")},
                    "pip install X (venv's pip)")

            if want("2"):
                # 2. Redirected no-op.
                log("case 2: redirected no-op")
                cmds2: dict[str, tuple[Sequence[str], Path]] = {
                    ".venv/bin/pip install X": ([venv_pip, "install", *offline, "bench-x"], project),
                    "safepip install X": ([safepip, "install", *offline, "bench-x"], project),
                }
                if uv:
                    cmds2["uv pip install X"] = ([uv, "pip", "install", "--offline", "--python", venv_python, *offline, "bench-x"], project)
                s2 = compare(cmds2, env, opts.runs)
                row("2 redirected no-op (project .venv, X installed)", s2, ".venv/bin/pip install X")
                share = s2["safepip install X"].median / s2[".venv/bin/pip install X"].median
                verdict("redirected no-op vs .venv/bin/pip", f"{share:.3f}x", "<= 0.05x", share <= 0.05)
                if uv:
                    vs_uv = s2["safepip install X"].median / s2["uv pip install X"].median
                    verdict("redirected no-op vs uv pip install", f"{vs_uv:.2f}x", "<= 1.0x", vs_uv <= 1.0)
                # The same without safepip's memory of earlier answers: the first call after any
                # change to the environment, answered by the full fast path.
                memo = Path(env["XDG_CACHE_HOME"]) / "safepip" / "noop"
                s2b = compare({"safepip install X, nothing remembered": ([safepip, "install", *offline, "bench-x"], project)},
                              env, opts.runs, prepare=lambda: shutil.rmtree(memo, ignore_errors=True))
                s2b[".venv/bin/pip install X"] = s2[".venv/bin/pip install X"]
                row("2b same, first call after a change (memory cleared)",
                    {k: s2b[k] for k in (".venv/bin/pip install X", "safepip install X, nothing remembered")}, ".venv/bin/pip install X")
                notes.append(
                    "Cases 2 and 3 repeat the same command, as a Makefile does: from the second call on, safepip "
                    "replays its remembered answer while nothing it depended on has changed (safepip.remembered.store). "
                    "Case 2b clears that memory before each call: the full fast path, as on the first call after a change."
                )

            if want("3"):
                # 3. Requirements no-op, 50 and 300 entries.
                for count in (50, 300):
                    log(f"case 3: requirements no-op, {count}")
                    cmds3: dict[str, tuple[Sequence[str], Path]] = {
                        f".venv/bin/pip install -r req{count}.txt": ([venv_pip, "install", *offline, "-r", f"req{count}.txt"], project),
                        f"safepip install -r req{count}.txt": ([safepip, "install", *offline, "-r", f"req{count}.txt"], project),
                    }
                    if uv:
                        cmds3[f"uv pip install -r req{count}.txt"] = (
                            [uv, "pip", "install", "--offline", "--python", venv_python, *offline, "-r", f"req{count}.txt"], project
                        )
                    s3 = compare(cmds3, env, opts.runs)
                    base = f".venv/bin/pip install -r req{count}.txt"
                    row(f"3 requirements no-op, {count} entries", s3, base)
                    ours = s3[f"safepip install -r req{count}.txt"]
                    share = ours.median / s3[base].median
                    verdict(f"requirements no-op ({count}) vs pip", f"{share:.3f}x", "<= 0.05x", share <= 0.05)

            if want("7"):
                # 7. Calls that reach pip, redirected: what safepip adds (a remembered route).
                log("case 7: calls that run pip")
                for label, args in (("install -U X", ["install", "-U", *offline, "bench-x"]), ("list", ["list"]),
                                    ("freeze", ["freeze"]), ("show X", ["show", "bench-x"]), ("--version", ["--version"]),
                                    # pip's help, then safepip's section (a short program exec'd in the environment)
                                    ("--help", ["--help"]),
                                    # pip runs and skips what is not installed: an uninstall that leaves
                                    # the environment as every round needs it
                                    ("uninstall -y Y (not installed)", ["uninstall", "-y", "bench-absent"])):
                    s7 = compare({f".venv/bin/pip {label}": ([venv_pip, *args], project),
                                  f"safepip {label}": ([safepip, *args], project)}, env, opts.runs * OVERHEAD_ROUNDS)
                    row(f"7 redirected, pip runs: {label}", s7, f".venv/bin/pip {label}")
                    diff = paired(s7, f"safepip {label}", f".venv/bin/pip {label}")
                    low, high = paired_interval(s7, f"safepip {label}", f".venv/bin/pip {label}")
                    verdict(f"overhead when pip runs: {label}", f"{diff * 1000:+.0f} ms ({low * 1000:+.0f} to {high * 1000:+.0f})",
                            "<= 15 ms", diff <= 0.015)

            if want("8"):
                # 8. An editable project with extras, and dependency groups: no-ops.
                for label, args in (('-e ".[dev]"', ["-e", ".[dev]"]), ("--group test --group lint", ["--group", "test", "--group", "lint"])):
                    log(f"case 8: {label}")
                    cmds8: dict[str, tuple[Sequence[str], Path]] = {
                        f".venv/bin/pip install {label}": ([dev_pip, "install", *offline, *args], pip_devproj),
                        f"safepip install {label}": ([safepip, "install", *offline, *args], devproj),
                    }
                    uv_cmd = [uv, "pip", "install", "--offline", "--python", uv_dev_python, *offline, *args] if uv else None
                    if uv_cmd and subprocess.run(uv_cmd, cwd=uv_devproj, env=env, capture_output=True, check=False).returncode == 0:
                        cmds8[f"uv pip install {label}"] = (uv_cmd, uv_devproj)
                    s8 = compare(cmds8, env, opts.runs)
                    row(f"8 no-op: install {label}", s8, f".venv/bin/pip install {label}")
                    share = s8[f"safepip install {label}"].median / s8[f".venv/bin/pip install {label}"].median
                    verdict(f"install {label} no-op vs pip", f"{share:.3f}x", "<= 0.05x", share <= 0.05)
                    if f"uv pip install {label}" in s8:
                        vs_uv = s8[f"safepip install {label}"].median / s8[f"uv pip install {label}"].median
                        verdict(f"install {label} no-op vs uv", f"{vs_uv:.2f}x", "<= 1.5x", vs_uv <= 1.5)

            # 9, 10, 11, 12: no-ops users run: hash-pinned requirements, an environment with a
            # code-running .pth (coverage), a real project's dev requirements, direct URLs.
            for number, label, shown, args, where in (
                ("9", "--require-hashes -r req50-hashed.txt", "--require-hashes -r req50-hashed.txt",
                 ["--require-hashes", "-r", "req50-hashed.txt"], project),
                ("10", "X, coverage-like .pth", "X", ["bench-x"], covproj),
                ("11", "-r requirements/dev.txt (click's)", "-r requirements/dev.txt", ["-r", "requirements/dev.txt"], clickdev),
                ("12", "bench-x @ file://...whl", "'bench-x @ file://...whl'", [wheel_url], urlproj),
                *([("12", "bench-vcs @ git+file://...@COMMIT", "'bench-vcs @ git+file://...@COMMIT'", [vcs_url], urlproj)]
                  if vcs_url else []),
            ):
                if not want(number):
                    continue
                log(f"case {number}: {label}")
                python = str((uv_urlproj if number == "12" else where) / ".venv" / "bin" / "python")
                cmds9: dict[str, tuple[Sequence[str], Path]] = {
                    f".venv/bin/pip install {shown}": ([str(where / ".venv" / "bin" / "pip"), "install", *offline, *args], where),
                    f"safepip install {shown}": ([safepip, "install", *offline, *args], where),
                }
                uv9 = [uv, "pip", "install", "--offline", "--python", python, *offline, *args] if uv else None
                # uv where it answers offline (case 12's git URL: uv fetches from git even with --offline)
                if uv9 and (number != "12" or subprocess.run(uv9, cwd=uv_urlproj, env=env, capture_output=True, check=False).returncode == 0):
                    cmds9[f"uv pip install {shown}"] = (uv9, uv_urlproj if number == "12" else where)
                s9 = compare(cmds9, env, opts.runs)
                base = f".venv/bin/pip install {shown}"
                row(f"{number} no-op: install {label}", s9, base)
                share = s9[f"safepip install {shown}"].median / s9[base].median
                verdict(f"install {label} no-op vs pip", f"{share:.3f}x", "<= 0.05x", share <= 0.05)
                if uv:
                    vs_uv = s9[f"safepip install {shown}"].median / s9[f"uv pip install {shown}"].median
                    verdict(f"install {label} no-op vs uv", f"{vs_uv:.2f}x", "<= 1.5x", vs_uv <= 1.5)

            if want("4"):
                # 4. First install in a fresh project, environment creation included.
                log("case 4: first install")
                fresh = root / "fresh"
                counter = iter(range(10**6))

                used = root / "fresh-used"
                used.mkdir(exist_ok=True)

                def new_project() -> None:
                    # The last run's project is moved aside, not deleted: deleting thousands of
                    # files just before a timed run makes the file system slow to create new
                    # ones for seconds afterwards (ext4 here: 0.4 ms a file against 0.03 ms),
                    # which no user's first install in a new clone pays. All go at the end.
                    if fresh.exists():
                        fresh.rename(used / f"{tag}-{next(counter)}")
                    fresh.mkdir()
                    (fresh / "pyproject.toml").write_text(f'[project]\nname = "f{next(counter)}"\nversion = "0"\n')
                    # Each route writes thousands of files: flushed here, untimed, so that no
                    # command pays for writing back the files of the one before it.
                    os.sync()

                x = " ".join(["--no-index", "--find-links", str(house), "bench-x"])
                cmds4: dict[str, tuple[Sequence[str], Path]] = {
                    "python3 -m venv .venv && .venv/bin/pip install X": (
                        [f"{SYSTEM_PYTHON} -m venv .venv && .venv/bin/pip install -q {x}"], fresh),
                    "safepip install X": ([safepip, "install", "-q", *offline, "bench-x"], fresh),
                }
                shell = {"python3 -m venv .venv && .venv/bin/pip install X"}
                if uv:
                    cmds4["uv venv --seed && .venv/bin/pip install X"] = (
                        [f"{uv} venv -q --seed --python {SYSTEM_PYTHON} .venv && .venv/bin/pip install -q {x}"], fresh)
                    shell.add("uv venv --seed && .venv/bin/pip install X")
                s4 = compare(cmds4, env, opts.first_runs, prepare=new_project, shell=frozenset(shell))
                row("4 first install in a fresh project", s4, "python3 -m venv .venv && .venv/bin/pip install X")
                share = s4["safepip install X"].median / s4["python3 -m venv .venv && .venv/bin/pip install X"].median
                verdict("first install vs python3 -m venv route", f"{share:.2f}x", "<= 0.25x", share <= 0.25)
                if uv:
                    vs_uv = s4["safepip install X"].median / s4["uv venv --seed && .venv/bin/pip install X"].median
                    verdict("first install vs uv venv --seed + pip", f"{vs_uv:.2f}x", "<= 1.0x", vs_uv <= 1.0)
                # The same with safepip's byte code cache cleared before each call: the first project
                # for an interpreter and pip build, which compiles pip once for all later ones.
                bytecode = Path(env["XDG_CACHE_HOME"]) / "safepip" / "bytecode"

                def new_project_no_bytecode() -> None:
                    new_project()
                    if bytecode.exists():  # aside too, for the same reason
                        bytecode.rename(used / f"{tag}-bytecode-{next(counter)}")

                s4b = compare({"safepip install X, byte code cache cleared": cmds4["safepip install X"]}, env,
                              opts.first_runs, prepare=new_project_no_bytecode)
                base4 = "python3 -m venv .venv && .venv/bin/pip install X"
                s4b[base4] = s4[base4]
                row("4b same, nothing in safepip's byte code cache", {k: s4b[k] for k in (base4, "safepip install X, byte code cache cleared")}, base4)
                notes.append(
                    "Case 4: safepip gives a new environment's pip byte code from its cache (compiled once per interpreter "
                    "and pip build; the warm-up run fills it). Case 4b clears that cache before each call: the first project "
                    "on a machine, which pays for compiling pip. Each run of case 4 starts after an untimed `sync`: "
                    "every route writes thousands of files, and none should pay for writing back the last one's. The last "
                    "run's project is moved aside, not deleted, until the benchmark ends: for some seconds after thousands "
                    "of files are deleted, ext4 here takes up to ten times as long to create new ones (0.3 ms a file "
                    "against 0.02 ms), which a first install in a new clone does not pay."
                )

            if want("13"):
                # 13. The python3 launcher (shell-init's shims) against the environment's own python.
                log("case 13: the python3 launcher")
                subprocess.run([safepip, "shell-init", "bash"], env=env, capture_output=True, check=True)
                settle(time.time())  # the launchers were just written: the answer must outlive the racy window
                launcher = str(Path(env["XDG_DATA_HOME"]) / "safepip" / "shims" / "python3")
                run_once([launcher, "-c", "pass"], project, env)  # decided once, and remembered
                direct, shimmed = "python -c pass (the project environment's)", "python3 -c pass (safepip's python3 launcher)"
                s13 = compare({direct: ([venv_python, "-c", "pass"], project), shimmed: ([launcher, "-c", "pass"], project)},
                              env, opts.runs)
                row("13 the python3 launcher", s13, direct)
                over = (s13[shimmed].median - s13[direct].median) * 1000
                verdict("python3 launcher over the environment's python (median)", f"{over:.1f} ms", "<= 5 ms", over <= 5)

            if want("14"):
                # 14. A command line never seen, in a project seen before: the remembered decision.
                log("case 14: a new package in a known project")
                run_once([safepip, "install", *offline, "bench-x"], project, env)  # decided here, whatever ran before

                def new_package(_: int) -> dict[str, tuple[Sequence[str], Path]]:
                    name = next(fresh_names)
                    cmds = {
                        ".venv/bin/pip install --dry-run NEW": ([venv_pip, "install", "--dry-run", *offline, name], project),
                        "safepip install --dry-run NEW": ([safepip, "install", "--dry-run", *offline, name], project),
                    }
                    if uv:
                        cmds["uv pip install --dry-run NEW"] = (
                            [uv, "pip", "install", "--dry-run", "--offline", "--python", venv_python, *offline, name], project)
                    return cmds

                s14 = compare_rounds(new_package, env, opts.runs * OVERHEAD_ROUNDS)
                row("14 first time for this command line, project seen before (NEW: a package never named)", s14,
                    ".venv/bin/pip install --dry-run NEW")
                diff = paired(s14, "safepip install --dry-run NEW", ".venv/bin/pip install --dry-run NEW")
                low, high = paired_interval(s14, "safepip install --dry-run NEW", ".venv/bin/pip install --dry-run NEW")
                verdict("first time for a command line, directory seen before: install --dry-run NEW over pip",
                        f"{diff * 1000:+.0f} ms ({low * 1000:+.0f} to {high * 1000:+.0f})", "<= 15 ms", diff <= 0.015)

            if want("15"):
                # 15. The same in a directory never seen: nothing remembered, the full path.
                log("case 15: the first call in a new directory")

                def new_directory(round_: int) -> dict[str, tuple[Sequence[str], Path]]:
                    where = project / "newdirs" / f"{tag}-{round_}"
                    where.mkdir()
                    name = next(fresh_names)
                    return {
                        ".venv/bin/pip install --dry-run NEW": ([venv_pip, "install", "--dry-run", *offline, name], where),
                        "safepip install --dry-run NEW, new directory": ([safepip, "install", "--dry-run", *offline, name], where),
                    }

                s15 = compare_rounds(new_directory, env, opts.runs * OVERHEAD_ROUNDS)
                row("15 first call in a new directory of the project (nothing remembered)", s15, ".venv/bin/pip install --dry-run NEW")
                diff = paired(s15, "safepip install --dry-run NEW, new directory", ".venv/bin/pip install --dry-run NEW")
                low, high = paired_interval(s15, "safepip install --dry-run NEW, new directory", ".venv/bin/pip install --dry-run NEW")
                verdict("first call in a new directory: install --dry-run NEW over pip",
                        f"{diff * 1000:+.0f} ms ({low * 1000:+.0f} to {high * 1000:+.0f})", "<= 30 ms", diff <= 0.030)

            if want("16"):
                # 16. No-ops right after a change (the racy window: site-packages changed a moment
                # ago, as pip leaves it), the same command line and one never seen.
                log("case 16: no-ops right after a change")
                run_once([safepip, "install", *offline, "bench-x"], project, env)
                sites = list((project / ".venv" / "lib").glob("python*/site-packages"))

                def changed() -> None:
                    for site in sites:
                        os.utime(site)  # what an install leaves: a site-packages changed just now

                cmds16: dict[str, tuple[Sequence[str], Path]] = {
                    ".venv/bin/pip install X": ([venv_pip, "install", *offline, "bench-x"], project),
                    "safepip install X, environment changed just now": ([safepip, "install", *offline, "bench-x"], project),
                }
                if uv:
                    cmds16["uv pip install X"] = ([uv, "pip", "install", "--offline", "--python", venv_python, *offline, "bench-x"], project)
                s16 = compare(cmds16, env, opts.runs, prepare=changed)
                row("16 no-op right after a change (racy window)", s16, ".venv/bin/pip install X")
                if uv:
                    vs_uv = s16["safepip install X, environment changed just now"].median / s16["uv pip install X"].median
                    verdict("no-op right after a change vs uv pip install", f"{vs_uv:.2f}x", "<= 1.0x", vs_uv <= 1.0)
                installed_names = iter(names50[::-1])

                def new_no_op(_: int) -> dict[str, tuple[Sequence[str], Path]]:
                    name = next(installed_names)
                    cmds = {
                        ".venv/bin/pip install Y": ([venv_pip, "install", *offline, name], project),
                        "safepip install Y, a command line never seen": ([safepip, "install", *offline, name], project),
                    }
                    if uv:
                        cmds["uv pip install Y"] = ([uv, "pip", "install", "--offline", "--python", venv_python, *offline, name], project)
                    return cmds

                s16b = compare_rounds(new_no_op, env, opts.runs)
                row("16b no-op, a command line never seen (Y: another installed distribution each round)", s16b,
                    ".venv/bin/pip install Y")
                if uv:
                    vs_uv = s16b["safepip install Y, a command line never seen"].median / s16b["uv pip install Y"].median
                    verdict("no-op for a new command line vs uv pip install", f"{vs_uv:.2f}x", "<= 1.0x", vs_uv <= 1.0)

            if want("17"):
                # 17. safepip run: the command in the environment, against running it there directly.
                log("case 17: safepip run python -c pass")
                direct, through = "python -c pass (the project environment's)", "safepip run python -c pass"
                s17 = compare({direct: ([venv_python, "-c", "pass"], project), through: ([safepip, "run", "python", "-c", "pass"], project)},
                              env, opts.runs * OVERHEAD_ROUNDS)
                row("17 safepip run", s17, direct)
                diff = paired(s17, through, direct)
                low, high = paired_interval(s17, through, direct)
                verdict("safepip run python -c pass over the environment's python",
                        f"{diff * 1000:+.0f} ms ({low * 1000:+.0f} to {high * 1000:+.0f})", "<= 15 ms", diff <= 0.015)
                memo17 = Path(env["XDG_CACHE_HOME"]) / "safepip" / "noop"
                # Paired as 17 is (the memory is wiped before each of both commands: the direct
                # run reads none of it), so that the verdict compares rounds alike.
                cold17 = f"{through}, nothing remembered"
                s17b = compare({direct: ([venv_python, "-c", "pass"], project), cold17: ([safepip, "run", "python", "-c", "pass"], project)},
                               env, opts.runs * OVERHEAD_ROUNDS, prepare=lambda: shutil.rmtree(memo17, ignore_errors=True))
                row("17b same, nothing remembered (the first run in a directory)", s17b, direct)
                diff = paired(s17b, cold17, direct)
                low, high = paired_interval(s17b, cold17, direct)
                verdict("safepip run python -c pass, nothing remembered, over the environment's python",
                        f"{diff * 1000:+.0f} ms ({low * 1000:+.0f} to {high * 1000:+.0f})", "<= 15 ms", diff <= 0.015)

                def new_run_directory(round_: int) -> dict[str, tuple[Sequence[str], Path]]:
                    where = project / "newdirs" / f"run-{tag}-{round_}"
                    where.mkdir()
                    return {direct: ([venv_python, "-c", "pass"], where),
                            f"{through}, a new directory": ([safepip, "run", "python", "-c", "pass"], where)}

                s17c = compare_rounds(new_run_directory, env, opts.runs * OVERHEAD_ROUNDS)
                row("17c same, in a directory of the project never seen (the project's decision)", s17c, direct)
                diff = paired(s17c, f"{through}, a new directory", direct)
                low, high = paired_interval(s17c, f"{through}, a new directory", direct)
                verdict("safepip run python -c pass in a new directory over the environment's python",
                        f"{diff * 1000:+.0f} ms ({low * 1000:+.0f} to {high * 1000:+.0f})", "<= 15 ms", diff <= 0.015)

            if want("18"):
                # 18. shell-init's activation (bash): entering a directory, and the prompt hook where
                # the directory did not change.
                log("case 18: entering a directory with shell-init's activation")
                init = root / f"init-{tag}.sh"
                done = subprocess.run([safepip, "shell-init", "bash"], cwd=project, env=env, capture_output=True, text=True, check=True)
                init.write_text(done.stdout)
                settle(time.time())  # shell-init (re)writes its launchers: what activation's answers depend on must age
                own_python = str(Path(safepip).parent / "python")
                start, hook = "bash: cd sub; python -c pass (one interpreter start)", "bash: cd sub; prompt hook (activates)"
                # ": " after the interpreter: bash runs the last command of -c in its own process
                # (exec, no fork), which no command typed at a prompt gets and the hook's $(...)
                # cannot; the reference is one interpreter started as a typed command is.
                shell18 = {
                    start: (["bash", "--norc", "-c", f". {init}; cd sub; {own_python} -c pass; :"], project),
                    hook: (["bash", "--norc", "-c", f". {init}; cd sub; __safepip_hook"], project),
                }
                s18 = compare(shell18, env, opts.runs * OVERHEAD_ROUNDS)
                row("18 entering a directory (remembered)", s18, start)
                diff = paired(s18, hook, start)
                verdict("entering a directory: prompt hook over one interpreter start", f"{diff * 1000:+.1f} ms", "<= 5 ms",
                        diff <= 0.005)
                shim_memo = Path(env["XDG_CACHE_HOME"]) / "safepip" / "pyshim"
                s18b = compare(shell18, env, opts.runs, prepare=lambda: shutil.rmtree(shim_memo, ignore_errors=True))
                row("18b the same, nothing remembered for the directory", s18b, start)
                diff = paired(s18b, hook, start)
                verdict("entering a directory, nothing remembered: prompt hook over one interpreter start",
                        f"{diff * 1000:+.1f} ms", "<= 5 ms", diff <= 0.005)
                # The first prompt in sub may have to ask safepip (18b cleared what was remembered):
                # the count is taken once that answer is remembered again.
                processes_started(f". {init}; cd sub; __safepip_hook", project, env)
                once = processes_started(f". {init}; cd sub; __safepip_hook", project, env)
                thrice = processes_started(f". {init}; cd sub; __safepip_hook; __safepip_hook; __safepip_hook; __safepip_hook", project, env)
                if once is None or thrice is None:
                    verdict("prompt hook, directory unchanged: processes started", "not measured (no strace)", "0", None)
                else:
                    verdict("prompt hook, directory unchanged: processes started (strace, 3 prompts)", str(thrice - once), "0",
                            thrice == once)

            if want("5"):
                # 5. Start-up on paths that do not run pip, and 6. peak memory there.
                log("case 5: start-up without pip")
                outside = root / "home" / "not-a-project"
                outside.mkdir(exist_ok=True)
                cmds5: dict[str, tuple[Sequence[str], Path]] = {
                    "python -c pass (safepip's interpreter alone)": ([str(Path(safepip).parent / "python"), "-c", "pass"], project),
                    "safepip install X (fast path)": ([safepip, "install", *offline, "bench-x"], project),
                    "safepip install -r req300.txt (fast path)": ([safepip, "install", *offline, "-r", "req300.txt"], project),
                }
                verbs = subprocess.run(
                    [str(Path(safepip).parent / "python"), "-c", "from safepip.cli import VERBS; print(' '.join(VERBS))"],
                    capture_output=True, text=True, check=True,
                ).stdout.split()
                for verb, args in (("explain", ["explain", "install", "bench-x"]), ("which", ["which", "python"])):
                    if verb in verbs:
                        cmds5[f"safepip {' '.join(args)}"] = ([safepip, *args], project)
                    else:
                        notes.append(f"`safepip {verb}` does not exist in this build: not measured")
                s5 = compare(cmds5, env, opts.runs)
                row("5 start-up without pip", s5, "python -c pass (safepip's interpreter alone)")
                measured = {name: peak_rss(argv, cwd, env) for name, (argv, cwd) in {**cmds5, **(cmds2 if want("2") else {})}.items()}
                if all(v is None for v in measured.values()):
                    notes.append("GNU time (/usr/bin/time) is not installed: peak memory not measured")
                    verdict("peak memory of safepip's own process", "not measured", "< 20 MiB", None)
                    memory_rows = []
                else:
                    peak = max(v for name, v in measured.items() if name.startswith("safepip") and v is not None)
                    verdict("peak memory of safepip's own process", f"{peak / 1024:.1f} MiB", "< 20 MiB", peak < 20 * 1024)
                    memory_rows = [(name, f"{v / 1024:.1f}") for name, v in measured.items() if v is not None]
        if want("imports"):
            memo_dir = Path(env["XDG_CACHE_HOME"]) / "safepip" / "noop"
            forget = lambda: shutil.rmtree(memo_dir, ignore_errors=True)  # noqa: E731
            first_profile = import_profile(safepip, project, env, ["install", "-q", *offline, "bench-x"], prepare=forget)
            profile = import_profile(safepip, project, env, ["install", "-q", *offline, "bench-x"])
            full_profile = import_profile(safepip, project, env, ["list"], prepare=lambda: shutil.rmtree(memo_dir, ignore_errors=True))
            run_once([safepip, "install", *offline, "bench-x"], project, env)  # the install decision, for what follows
            decided_profile = import_profile(safepip, project, env, lambda n: ["install", "--dry-run", *offline, f"new{fresh_count - 1 - n:03d}"])
            sites = list((project / ".venv" / "lib").glob("python*/site-packages"))
            run_once([safepip, "install", "-q", *offline, "bench-x"], project, env)  # the quiet install's decision
            racy_profile = import_profile(safepip, project, env, ["install", "-q", *offline, "bench-x"],
                                          prepare=lambda: [os.utime(site) for site in sites] and None)
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            log(f"kept {root}")

    lines = [
        "# safepip benchmarks", "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC by `nox -s bench` (benchmarks/bench.py). Offline: every",
        "distribution is a wheel the benchmark builds, installed with `--no-index --find-links`.",
        f"Each command ran once to warm up, then {opts.runs} times ({opts.first_runs} for case 4), interleaved with the",
        "commands it is compared with; times are whole-process wall times in ms.", "",
        "## Machine", "", host, f"- load average when the run ended: {load_average()}", "",
        "## Targets", "", "| target | measured | goal | met |", "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in verdicts], "",
        "## Timings", "", "| case | command | median ms | min-max ms | ratio to the first |", "|---|---|---:|---:|---:|",
        *[f"| {a} | `{b}` | {c} | {d} | {e} |" for a, b, c, d, e in rows], "",
        "## Peak memory (peak RSS from GNU time, the largest of three runs)", "",
        "safepip execs into pip when pip has work to do; from then on the process is pip. These are",
        "the runs where safepip answers itself (and pip's own, for scale).", "",
        "| command | peak RSS MiB |", "|---|---:|", *[f"| `{a}` | {b} |" for a, b in memory_rows], "",
        "## Imports on the fast path", "",
        "`python -X importtime -m safepip install -q X` in the project, X installed (best of five, cumulative ms of",
        "each top-level import). Remembered: the front door replays the answer.", "", "| module | ms |", "|---|---:|",
        *[f"| {name} | {us / 1000:.1f} |" for name, us in profile[:15]], "",
        "The same with safepip's memory cleared before each run (the first call after a change: the full fast path):", "",
        "| module | ms |", "|---|---:|",
        *[f"| {name} | {us / 1000:.1f} |" for name, us in first_profile[:15]], "",
        "## Imports when a decision is remembered", "",
        "`python -X importtime -m safepip install --dry-run NEW` in the project, NEW a package never named before (the front",
        "door reads the command line with the remembered decision and execs pip):", "",
        "| module | ms |", "|---|---:|",
        *[f"| {name} | {us / 1000:.1f} |" for name, us in decided_profile[:15]], "",
        "`python -X importtime -m safepip install -q X` right after a change (site-packages touched before each run: the",
        "racy window; the front door runs the fast path's own check with the remembered decision):", "",
        "| module | ms |", "|---|---:|",
        *[f"| {name} | {us / 1000:.1f} |" for name, us in racy_profile[:15]], "",
        "## Imports on the full path", "",
        "`python -X importtime -m safepip list` in the project with safepip's memory cleared before each run",
        "(the first call after a change: the project walk, configuration, probe cache and plan, then exec):", "",
        "| module | ms |", "|---|---:|",
        *[f"| {name} | {us / 1000:.1f} |" for name, us in full_profile[:15]], "",
        "## Notes", "", *[f"- {n}" for n in dict.fromkeys(notes)],
        "- X is `bench-x` (one dependency). The 50/300-entry files name generated distributions that depend on up to three others.",
        "- uv is a reference, installed from PyPI into the bench session; it is not a dependency of safepip.",
        "  `uv venv --seed` takes pip, setuptools and wheel from PyPI (the warm-up run fills uv's cache); everything else is offline.",
        "- Case 1 turns the fast path off (SAFEPIP_NO_FASTPATH=1) to measure what safepip adds in front of a pip that runs.",
        "- Every case runs in two pip configurations: `isolated` (PIP_CONFIG_FILE=/dev/null) and `realistic`, a machine",
        "  configuration the benchmark writes (a machine-wide pip.conf with a global `constraint`, `find-links` and",
        "  `extra-index-url`, a user pip.conf, PIP_* variables). uv reads none of pip's settings: it is the same command in both.",
        "- safepip under test runs as the users who hit the error have it: installed by pip into an environment of",
        f"  {SYSTEM_PYTHON} that holds safepip and its dependencies alone (`nox -s bench` makes it; pipx and the README's",
        "  venv route give the same). Its interpreter start is case 5's `python -c pass`.",
        f"- Cases 1 and 7 run {OVERHEAD_ROUNDS} times as many rounds as the others: their margins are the tightest. Their",
        "  overhead rows give the median of the per-round differences, then in brackets a 95% bootstrap interval of that",
        "  median (how far this machine's noise moves it); the target is checked on the median.",
        "- Case 7: calls that pip must run; the overhead is the median of per-round paired differences. safepip replays",
        "  the route it remembered (safepip.remembered.store) after the first call. safepip remembers nothing that depends on a",
        "  file changed in the last 2 s (the racy rule), so the cases start once every fixture is older than that.",
        "  `--help` prints pip's help and then safepip's own section, from a short program exec'd in the environment's",
        "  python (one process, as for the others).",
        "- Case 8: `bench-dev`, an editable project (in-tree PEP 517 backend) with 10 dependencies, a `dev` extra of 20",
        "  and two dependency groups of 15 and 5; pip rebuilds and reinstalls a local project on every call, and so",
        "  does uv with -e: each of the three has its own copy of the project.",
        "- Case 9: the 50 distributions of case 3 pinned with their sha256 (pip-compile --generate-hashes).",
        "- Case 10: an environment holding `bench-cov`, whose `a1_coverage.pth` runs code at every start-up (as",
        "  coverage's does): safepip asks the environment's interpreter for its sys.path once per signature of its .pth files.",
        f"- Case 11: click's development requirements (requirements/dev.txt as pip-compile writes it, {len(CLICK_DEV)} pinned",
        "  distributions with their real dependency graph), mirrored from locally built wheels.",
        "- Case 12: direct URLs, installed from those URLs: X's wheel by its file:// URL, and `bench-vcs` (one dependency)",
        "  from a local git repository at a commit (git+file://); satisfied when direct_url.json records the same. uv",
        "  has an environment of its own there: it reinstalls a wheel URL that pip installed, recording no hash.", "",
        "- Cases 14 and 15: each round names a package no command line named before (`--dry-run`: nothing changes).",
        "  Case 14 runs in the project, where safepip remembers its decision for any install (safepip.remembered.decision); case 15",
        "  in a directory of the project made for that round, where nothing is remembered. Both run as many rounds as case 7.",
        "- Case 16: site-packages is touched before each command (what an install leaves behind): nothing remembered",
        "  that depends on it holds, and the racy rule keeps it from being remembered again. 16b names another installed",
        "  distribution each round.",
        "- Case 17: the command is found on the environment's PATH and exec'd; 17b clears safepip's memory before each call;",
        "  17c runs in a directory of the project made for that round (the project's remembered decision).",
        "- Case 18: bash with shell-init's code sourced enters the project's `sub` directory and runs the prompt hook",
        "  (which activates the project's environment there), against the same shell starting safepip's interpreter",
        "  once as a typed command is started (a child of the shell: `; :` after it keeps bash from exec'ing it in its",
        "  own process, which it does for the last command of `-c` only); 18b clears the answers remembered for directories before each call. The processes row counts with",
        "  strace the clones and forks of three more prompts in the same directory.",
        "- Case 13: the python3 launcher of shell-init's shims directory, against the environment's own python.", "",
        "## Reproduce", "", "```", "nox -s bench            # writes BENCHMARKS.md", "nox -s bench -- --runs 20", "```", "",
    ]
    Path(opts.output).write_text("\n".join(lines))
    log(f"wrote {opts.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
