"""The benchmark's measuring tools: whole-process wall times run interleaved, peak RSS from
GNU time, -X importtime profiles, the hermetic and the realistic pip configurations, and a
description of the machine."""

from __future__ import annotations

import os
import platform
import random
import re
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

SYSTEM_PYTHON = "/usr/bin/python3"


@dataclass
class Sample:
    """Wall times (s) and peak RSS (KiB) of one command's runs."""

    label: str
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def spread(self) -> str:
        return f"{min(self.times) * 1000:.0f}-{max(self.times) * 1000:.0f}"


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str], shell: bool = False) -> float:
    """Run a command to completion; return its wall time in seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv if not shell else ["/bin/sh", "-c", argv[0]], cwd=str(cwd), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, _ = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {argv}\n{err.decode()[-2000:]}")
    return elapsed


GNU_TIME = "/usr/bin/time"


def peak_rss(argv: Sequence[str], cwd: Path, env: dict[str, str], runs: int = 3) -> int | None:
    """Peak RSS in KiB of a command and what it waits for, measured by GNU time.

    Not from this driver's own wait4: Linux charges a child started with vfork (as
    subprocess does) with the parent's high-water RSS when it execs, so every child would
    show at least this driver's size. GNU time is a small C program that forks: the floor
    it adds is its own few MiB. None when GNU time is not installed (Debian: apt-get install time).
    """
    if not os.access(GNU_TIME, os.X_OK):
        return None
    import tempfile

    best = 0
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
            subprocess.run([GNU_TIME, "-f", "%M", "-o", out.name, *argv], cwd=str(cwd), env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            best = max(best, int(out.read().strip().splitlines()[-1]))
    return best


def compare(
    commands: dict[str, tuple[Sequence[str], Path]], env: dict[str, str], runs: int,
    prepare: Callable[[], None] | None = None, shell: frozenset[str] = frozenset(),
) -> dict[str, Sample]:
    """Run each command once to warm up, then ``runs`` rounds, interleaved."""
    samples = {name: Sample(name) for name in commands}
    for round_ in range(runs + 1):
        order = list(commands)
        random.Random(round_).shuffle(order)
        for name in order:
            argv, cwd = commands[name]
            if prepare is not None:
                prepare()
            elapsed = run_once(argv, cwd, env, shell=name in shell)
            if round_ > 0:
                samples[name].times.append(elapsed)
    return samples


def compare_rounds(
    make: Callable[[int], dict[str, tuple[Sequence[str], Path]]], env: dict[str, str], runs: int,
    prepare: Callable[[], None] | None = None,
) -> dict[str, Sample]:
    """:func:`compare` for commands that change from round to round: ``make(round)`` gives
    each round's command lines (a package never named before, a directory never seen)."""
    samples: dict[str, Sample] = {}
    for round_ in range(runs + 1):
        commands = make(round_)
        order = list(commands)
        random.Random(round_).shuffle(order)
        for name in order:
            argv, cwd = commands[name]
            if prepare is not None:
                prepare()
            elapsed = run_once(argv, cwd, env)
            if round_ > 0:
                samples.setdefault(name, Sample(name)).times.append(elapsed)
    return samples


def processes_started(script: str, cwd: Path, env: dict[str, str]) -> int | None:
    """How many processes ``bash --norc -c script`` starts besides itself (strace counts the
    clones and forks); None without strace."""
    import shutil
    import tempfile

    strace = shutil.which("strace")
    if strace is None:
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as log:
        subprocess.run([strace, "-f", "-qq", "-e", "trace=clone,clone3,fork,vfork", "-o", log.name, "bash", "--norc", "-c", script],
                       cwd=str(cwd), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return sum(1 for line in log.read().splitlines() if re.search(r"\b(clone3?|v?fork)\(", line) and "= -1" not in line)


def settle(last_write: float) -> None:
    """Wait until what the benchmark wrote at ``last_write`` (time.time()) is older than
    safepip's racy window: safepip never remembers an answer or a route that depends on a
    signature younger than that (safepip.remembered.store.RACY), so a warm-up run made sooner
    would leave the first timed rounds on the full path, and a case's numbers would depend
    on which cases ran before it (``--cases``).
    """
    try:
        from safepip.remembered import store as memo
    except ImportError:  # run outside the nox session: safepip's value when this was written
        window = 2.0
    else:
        window = memo.RACY
    wait = last_write + window + 0.2 - time.time()
    if wait > 0:
        time.sleep(wait)


def hermetic_env(root: Path) -> dict[str, str]:
    """An environment for every benchmarked command: nothing from the machine's pip settings,
    homes and caches under ``root``, Debian's managed python3 first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "SAFEPIP_", "VIRTUAL_ENV", "UV_", "XDG_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with .pyc files, as users run
    env.pop("PYTHONPATH", None)
    env.update(
        HOME=str(root / "home"), XDG_CACHE_HOME=str(root / "cache"), XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"), PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1", PATH="/usr/bin:/bin", UV_NO_CONFIG="1", UV_CACHE_DIR=str(root / "uv-cache"),
    )
    (root / "home").mkdir(parents=True, exist_ok=True)
    return env


def realistic_env(env: dict[str, str], root: Path) -> dict[str, str]:
    """``env`` with a machine configuration as users have one, written by the benchmark: a
    machine-wide pip.conf (XDG_CONFIG_DIRS) with a global ``constraint``, ``find-links`` and
    ``extra-index-url``, a user pip.conf, and PIP_* variables. Nothing is ever fetched: the
    commands run with --no-index, and the constraint names nothing the cases install.
    """
    machine = root / "machine" / "pip"
    machine.mkdir(parents=True, exist_ok=True)
    (machine / "constraints.txt").write_text("# machine-wide caps\ntorch<=2.14.1\ntorchvision<=0.29.1\n")
    (root / "machine-wheels").mkdir(exist_ok=True)
    (machine / "pip.conf").write_text(
        f"[global]\nconstraint = {machine / 'constraints.txt'}\nfind-links = {root / 'machine-wheels'}\n"
        "extra-index-url = https://example.invalid/simple\ntimeout = 60\n"
    )
    user = root / "config" / "pip"
    user.mkdir(parents=True, exist_ok=True)
    (user / "pip.conf").write_text("[global]\nprogress-bar = off\n[install]\nno-warn-script-location = true\n")
    real = {k: v for k, v in env.items() if k != "PIP_CONFIG_FILE"}
    real.update(XDG_CONFIG_DIRS=str(root / "machine"), PIP_DEFAULT_TIMEOUT="180", PIP_RETRIES="3",
                PIP_DISABLE_PIP_VERSION_CHECK="1")
    return real


def paired(samples: dict[str, Sample], ours: str, theirs: str) -> float:
    """The median of the per-round differences (s): far less noisy than a difference of medians."""
    return statistics.median(a - b for a, b in zip(samples[ours].times, samples[theirs].times))


def paired_interval(samples: dict[str, Sample], ours: str, theirs: str) -> tuple[float, float]:
    """A 95% bootstrap interval (s) of :func:`paired`: how far the noise of this machine lets
    the median of the per-round differences move (2,000 resamples, seeded: the same times give
    the same interval)."""
    diffs = [a - b for a, b in zip(samples[ours].times, samples[theirs].times)]
    draw = random.Random(0)
    medians = sorted(statistics.median(draw.choices(diffs, k=len(diffs))) for _ in range(2000))
    return medians[50], medians[1949]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as the machine section shows them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(safepip: str) -> str:
    cpu = "unknown"
    try:
        cpu = next(
            line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    mem = "unknown"
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    system = subprocess.run([SYSTEM_PYTHON, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    with open(safepip, "rb") as script:
        first = script.readline().decode(errors="replace").strip()
    runs_on = first[2:].strip() if first.startswith("#!") else safepip
    version = subprocess.run([runs_on, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return (
        f"- CPUs: {os.cpu_count()} x {cpu}\n- memory: {mem}\n- OS: {platform.platform()}\n"
        f"- target: {SYSTEM_PYTHON} ({system}, externally managed); benchmark driver: Python {platform.python_version()}\n"
        f"- safepip under test: {safepip}, run by {runs_on} ({version})\n"
        f"- load average when the run started: {load_average()} (the machine is shared: read the ratios, not the absolute times)"
    )


def pip_version(python: str) -> str:
    return subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, check=False).stdout.split(" from ")[0]


def import_profile(
    safepip: str, cwd: Path, env: dict[str, str], args: Sequence[str] | Callable[[int], Sequence[str]],
    prepare: Callable[[], None] | None = None,
) -> list[tuple[str, int]]:
    """-X importtime of one safepip run: the cumulative microseconds of the top-level imports
    (the best of five runs each). ``args`` may be a function of the run's number (a command
    line never seen before)."""
    python = Path(safepip).parent / "python"
    best: dict[str, int] = {}
    for number in range(5):
        if prepare is not None:
            prepare()
        argv = args(number) if callable(args) else args
        done = subprocess.run(
            [str(python), "-X", "importtime", "-m", "safepip", *argv], cwd=str(cwd), env=env,
            capture_output=True, text=True, check=False,
        )
        for line in done.stderr.splitlines():
            match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
            if match and not match.group(2):  # imported by the top level, not nested
                name, cumulative = match.group(3), int(match.group(1))
                best[name] = min(best.get(name, cumulative), cumulative)
    return sorted(best.items(), key=lambda item: -item[1])
