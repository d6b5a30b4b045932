"""``safepip run`` with nothing remembered costs what its decision reads, not what the rest of
safepip could need: in a project whose environment exists, the full path (the facts, the plan,
the environment found) imports neither dataclasses (nor inspect, which it imports), nor
subprocess, shutil or base64, nor what makes an environment (safepip.act.flow). The first
install in a directory never seen imports no dataclasses either.

Nor does it parse TOML (tomllib, with typing, datetime and re) where no tool's setting can be
in the project's pyproject.toml, nor load OpenSSL (hmac, hashlib) or json (with re) to check
the environment's state file: a project as most are (Hatchling builds it, ruff is set up).

Nor does it import what it never calls there: what makes, locks or rebuilds an environment,
Poetry's rules, root's rule, what says a notice, pip's option tables (a plain ``install`` reads
none), and, run by anyone but root, the one test root's and sudo's rules ask (safepip.rootrule).

What was imported is read from ``-X importtime``, never from timings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, SYSTEM_PYTHON, age_tree, needs_managed, offline, safepip_env
from inprocess import Cli
from safepip.remembered.store import memo_dir
from users import User, give

#: What the full path must not import when the environment is there (each costs ms).
HEAVY = ("dataclasses", "inspect", "subprocess", "shutil", "base64", "safepip.act.flow")


def _safepip(*args: str, cwd: Path, script: bool = False) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run safepip with -X importtime (``script``: as the ``safepip`` command is, not with -m,
    whose runpy imports importlib and contextlib); return the result and every module it imported.
    """
    how = [str(ROOT / "bin" / "safepip")] if script else ["-m", "safepip"]
    done = subprocess.run([sys.executable, "-X", "importtime", *how, *args], cwd=cwd,
                          env=safepip_env(PIP_CONFIG_FILE=os.devnull), capture_output=True, text=True, check=False)
    imported = {ln.rsplit("|", 1)[1].strip() for ln in done.stderr.splitlines() if ln.startswith("import time:")}
    stderr = "".join(f"{ln}\n" for ln in done.stderr.splitlines() if not ln.startswith("import time:"))
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout, stderr), imported


def _forget() -> None:
    """Wipe safepip's remembered answers and decisions (nothing remembered: the full path)."""
    memo = memo_dir(os.environ)
    assert memo is not None
    shutil.rmtree(memo, ignore_errors=True)


@needs_managed
@pytest.mark.slow
def test_run_with_nothing_remembered_imports_nothing_heavy(project: Path) -> None:
    done, _ = _safepip("run", "python", "-c", "pass", cwd=project)  # creates the environment
    assert done.returncode == 0, done.stderr
    _forget()
    done, imported = _safepip("run", "python", "-c", "import sys; print(sys.prefix)", cwd=project / "src")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(project / ".venv")
    assert "safepip.facts.gather" in imported, "the full path decided"
    assert sorted(set(HEAVY) & imported) == []


@needs_managed
@pytest.mark.slow
def test_first_install_in_a_new_directory_imports_nothing_heavy(project: Path, wheelhouse: Path) -> None:
    done, _ = _safepip("install", *offline(wheelhouse), "lib-a", cwd=project)
    assert done.returncode == 0, done.stderr
    _forget()
    done, imported = _safepip("install", "--dry-run", *offline(wheelhouse), "lib-b", cwd=project / "src" / "pkg")
    assert done.returncode == 0, done.stderr
    assert "lib-b" in done.stdout
    assert "safepip.facts.gather" in imported, "the full path decided"
    assert sorted({"dataclasses", "inspect", "shutil", "base64"} & imported) == []


#: What reading the project's tool settings and the environment's state file loaded before,
#: and what the session's cleanup stack and runner block, and the verb's import, loaded.
UNREAD = ("tomllib", "typing", "datetime", "re", "json", "hmac", "hashlib", "_hashlib",
          "contextlib", "collections", "functools", "importlib", "warnings")


def _cold_run(project: Path) -> set[str]:
    """The modules ``safepip run`` imports in ``project`` with nothing remembered (its
    environment made by a first run, then safepip's memory of answers wiped)."""
    done, _ = _safepip("run", "python", "-c", "pass", cwd=project)  # creates the environment
    assert done.returncode == 0, done.stderr
    _forget()
    done, imported = _safepip("run", "python", "-c", "import sys; print(sys.prefix)", cwd=project, script=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(project / ".venv")
    return imported


@needs_managed
@pytest.mark.slow
def test_run_with_nothing_remembered_parses_no_toml_and_loads_no_openssl(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "myproj"\nversion = "0"\ndependencies = ["requests>=2"]\n\n'
        '[tool.ruff]\nline-length = 100\n\n[tool.pytest.ini_options]\naddopts = "-q"\n')
    imported = _cold_run(project)
    assert "safepip.venv.state" in imported, "the state file was checked"
    assert sorted(set(UNREAD) & imported) == []


#: What the full path imported and never called when the environment is whole: what makes,
#: locks or rebuilds an environment, Poetry's rules (the project is not Poetry's), root's rule
#: (``run`` writes nothing), types (a record's
#: ``__init__`` is made with the function type at hand), _json, a shared library (the
#: state file, an object of plain strings, is read and its proof computed without it), and
#: pip's option tables, nor the module that reads them (``run`` resolves a plain ``install``,
#: which reads none, with a pip at least as new as the newest table: the environment's, as
#: virtualenv seeds it; which table reads for a pip is the scanner's question). Root's and
#: sudo's rules are a section of safepip.decide (issue 29's merges): loaded with it, called only as root.
#: Nor the remembered decisions of ``install`` (what ``run`` looks for first, and remembers, is
#: in safepip.remembered.store).
UNCALLED = ("safepip.venv.create", "safepip.venv.lock", "safepip.venv.rebuild", "safepip.facts.poetryenv",
            "safepip.rootrule", "types", "_json", "safepip.facts._pipoptions", "safepip.facts.piptables",
            "safepip.remembered.decision")


@needs_managed
@pytest.mark.slow
def test_run_with_nothing_remembered_imports_nothing_it_does_not_call(project: Path) -> None:
    imported = _cold_run(project)
    assert {"safepip.facts.gather", "safepip.facts.toolenv", "safepip.venv.ensure"} <= imported, "the full path decided"
    assert sorted(set(UNCALLED) & imported) == []


#: How many of safepip's modules (its packages included) the full path of ``run`` imports: each
#: costs a cold call about 0.1 ms however small it is (finding, reading and running it). 35,
#: then 33: the scanner reads a plain ``install`` without the module of pip's option tables
#: (safepip.facts.piptables), and what a fact-gatherer read (Reads) is a record of
#: safepip.facts.interpreter, which every path that gathers facts imports (it was
#: safepip.facts.reads). Never raise it without saying why.
MAX_RUN_MODULES = 33


@needs_managed
@pytest.mark.slow
def test_run_with_nothing_remembered_imports_few_modules(project: Path) -> None:
    own = sorted(m for m in _cold_run(project) if m == "safepip" or m.startswith("safepip."))
    assert "safepip.facts.gather" in own, "the full path decided"
    assert len(own) <= MAX_RUN_MODULES, " ".join(own)


@needs_managed
@pytest.mark.slow
def test_run_not_as_root_imports_no_root_rules(other_user: User, traversable: Path) -> None:
    """Root's and sudo's rules (a section of safepip.decide) allow whoever else runs safepip: run
    by a user other than root, the full path does not ask them, nor import the one test they ask
    (safepip.rootrule)."""
    home = traversable / "home"
    project = home / "myproj"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "myproj"\nversion = "0"\n')
    env = {k: v for k, v in safepip_env().items() if not k.startswith(("XDG_", "SAFEPIP_", "PIP_", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), PIP_CONFIG_FILE=os.devnull)
    made = subprocess.run([sys.executable, "-m", "safepip", "run", "python", "-c", "pass"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert made.returncode == 0, made.stderr  # the environment, made in that home
    give(home, other_user)  # then everything there is the user's, as if they had made it
    shutil.rmtree(home / ".cache" / "safepip" / "noop", ignore_errors=True)
    # The user cannot enter this test interpreter's directories: Debian's python3 runs the
    # sources (the environment is there, and running in it needs none of safepip's dependencies).
    done = subprocess.run(
        [SYSTEM_PYTHON, "-X", "importtime", str(ROOT / "bin" / "safepip"), "run", "python", "-c",
         "import os, sys; print(sys.prefix, os.geteuid())"],
        cwd=project, env={**env, "PYTHONPATH": str(ROOT / "src"), "PYTHONDONTWRITEBYTECODE": "1"},
        user=other_user[1], group=other_user[2], extra_groups=[], capture_output=True, text=True, timeout=300, check=False)
    imported = {ln.rsplit("|", 1)[1].strip() for ln in done.stderr.splitlines() if ln.startswith("import time:")}
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(project / ".venv"), str(other_user[1])]
    assert "safepip.facts.gather" in imported, "the full path decided"
    assert "safepip.rootrule" not in imported


@needs_managed
@pytest.mark.slow
def test_a_remembered_run_imports_only_the_front_door(project: Path) -> None:
    """The second ``safepip run`` here execs the command from what the first remembered: the
    front door's modules alone, not the remembered decisions of ``install``."""
    done, _ = _safepip("run", "python", "-c", "pass", cwd=project, script=True)  # creates, remembers
    assert done.returncode == 0, done.stderr
    age_tree(project)  # past the racy window: the environment was made just now
    _forget()
    done, _ = _safepip("run", "python", "-c", "pass", cwd=project, script=True)  # remembers
    assert done.returncode == 0, done.stderr
    done, imported = _safepip("run", "python", "-c", "import sys; print(sys.prefix)", cwd=project, script=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(project / ".venv")
    assert "safepip.front" in imported and "safepip.facts.gather" not in imported, "the remembered environment"
    assert "safepip.remembered.decision" not in imported


@needs_managed
@pytest.mark.slow
def test_run_does_not_ask_which_pip_is_in_the_environment(project: Path, live: Cli,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare ``install`` reads the same with every pip, so ``run`` (which starts no pip) does
    not list the environment's site-packages for its pip's version, nor read a stored table."""
    made = live("run", "python", "-c", "pass", cwd=project)  # creates the environment
    assert made.returncode == 0, made.stderr
    from safepip.facts import piptables

    def asked(*_: object) -> str:
        raise AssertionError("the environment's pip was looked for")

    for name in ("in_sites", "in_directory", "own", "seeded"):
        monkeypatch.setattr(piptables, name, asked)
    done = live("run", "python", "-c", "import sys; print(sys.prefix)", cwd=project / "src")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(project / ".venv")
