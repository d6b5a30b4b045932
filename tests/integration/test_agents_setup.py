"""docs/agents.md's set-ups, each as the page writes it: ``pip install x && python3 -c 'import x'``
in shells nobody types into (``bash -c`` with ``BASH_ENV``, ``bash -lc`` with ``BASH_ENV``
exported in ``~/.profile``, a ``#!/bin/bash`` script, ``zsh -c`` with the line in ``~/.zshenv``,
``fish -c`` with it in ``config.fish``, a GitHub Actions step after the set-up step, a CI
script whose first line is the ``eval``, a Dockerfile's ``RUN`` as root).

As an ordinary user (a real second user, :class:`ptyshell.Person`), root for the Dockerfile.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from helpers import SYSTEM_PYTHON, needs_managed, offline
from ptyshell import Person, shell_path
from users import User

pytestmark = [pytest.mark.slow, needs_managed,
              pytest.mark.skipif(os.geteuid() != 0, reason="plays an ordinary user (a real second user)")]

PYPROJECT = '[project]\nname = "agentic"\nversion = "0"\n'
#: What the job checks: the interpreter ``python3`` runs, and that it imports what pip installed.
CHECK = "python3 -c 'import lib_a, sys; print(sys.prefix)'"


@pytest.fixture
def person(traversable: Path, other_user: User, pyz: Path) -> Iterator[Person]:
    machine = Person(traversable, other_user, pyz)
    yield machine
    machine.close()


def _line(person: Person, shell: str, exe: str = "safepip") -> str:
    """``safepip shell-init --rc SHELL``: the line the page puts in the file the shell reads
    (it names safepip by its absolute path: a login shell's /etc/profile resets PATH)."""
    done = person.run(exe, "shell-init", "--rc", shell, cwd=person.home)
    assert done.returncode == 0, done.stderr
    named = exe if "/" in exe else str(person.launcher / "safepip")  # the one found on PATH
    assert done.stdout.count("\n") == 1 and named in done.stdout, done.stdout
    return done.stdout


def _install(person: Person) -> str:
    return f"pip install -q {' '.join(offline(person.house))} lib-a"


def _project(person: Person, files: dict[str, str] | None = None) -> Path:
    return person.dir("agentic", {"pyproject.toml": PYPROJECT, "src/x.py": "", **(files or {})})


def _ran_in(done: subprocess.CompletedProcess[str], project: Path) -> None:
    """The job succeeded, and its python3 ran in the project's environment."""
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.strip().splitlines()[-1:] == [str(project / ".venv")], (done.stdout, done.stderr)


def test_bash_lc_with_bash_env_exported_in_profile(person: Person) -> None:
    """An agent that starts ``bash -lc`` per command: ~/.profile exports BASH_ENV. The login
    shell's /etc/profile sets PATH anew, without safepip's directory: the line from ``--rc``
    names safepip by its path, and safepip installed by ``self-install`` (not the test's
    launcher, which runs safepip from an archive) keeps calling itself by that path."""
    done = person.run(SYSTEM_PYTHON, str(person.where / "lib" / "app.pyz"), "self-install", cwd=person.home)
    assert done.returncode == 0, done.stderr
    person.dir(".", {".safepip-env.sh": _line(person, "bash", str(person.bin / "safepip")), ".profile": "export BASH_ENV=~/.safepip-env.sh\n"})
    project = _project(person)
    _ran_in(person.run("bash", "-lc", f"{_install(person)} && {CHECK}", cwd=project), project)
    _ran_in(person.run("bash", "-lc", CHECK, cwd=project / "src"), project)  # the next command, a new shell
    # ... and what the page says to check with (the agent's bash -c inherits BASH_ENV from the login).
    done = person.run("bash", "-lc", "bash -c 'echo \"$VIRTUAL_ENV\"'", cwd=project)
    assert done.stdout.strip() == str(project / ".venv"), done.stderr


def test_a_bash_script_with_bash_env(person: Person) -> None:
    rc = person.dir(".", {".safepip-env.sh": _line(person, "bash")}) / ".safepip-env.sh"
    project = _project(person, {"job.sh": f"#!/bin/bash\nset -e\n{_install(person)}\n{CHECK}\n"})
    _ran_in(person.run(str(project / "job.sh"), cwd=project, BASH_ENV=str(rc)), project)


#: shell -> (the directory under HOME and the file every ``shell -c`` reads, how it chains two commands).
EVERY_START = {"zsh": (".", ".zshenv", " && "), "fish": (".config/fish", "config.fish", "; and ")}


@pytest.mark.parametrize("name", sorted(EVERY_START))
def test_shell_c_with_the_line_in_the_file_it_always_reads(name: str, person: Person) -> None:
    """zsh -c with the line in .zshenv, fish -c with it in config.fish."""
    shell = shell_path(name)
    where, rc, then = EVERY_START[name]
    person.dir(where, {rc: _line(person, name)})
    project = _project(person)
    _ran_in(person.run(shell, "-c", f"{_install(person)}{then}{CHECK}", cwd=project), project)
    _ran_in(person.run(shell, "-c", CHECK, cwd=project / "src"), project)


def test_github_actions_a_set_up_step_then_later_steps(person: Person) -> None:
    """The runner runs each ``run:`` as ``bash --noprofile --norc -eo pipefail FILE``, with
    what earlier steps appended to $GITHUB_ENV in its environment."""
    github_env = person.dir("runner", {"github_env": ""}) / "github_env"
    setup = 'safepip shell-init --rc bash > ~/.safepip-env.sh && echo "BASH_ENV=$HOME/.safepip-env.sh" >> "$GITHUB_ENV"\n'
    project = _project(person, {"requirements.txt": "lib-a\n", "step1.sh": setup,
                                "step2.sh": f"pip install -q {' '.join(offline(person.house))} -r requirements.txt\n",
                                "step3.sh": f"{CHECK}\n"})
    step = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
    done = person.run(*step, "step1.sh", cwd=project, GITHUB_ENV=str(github_env))
    assert done.returncode == 0, done.stderr
    later = dict(line.split("=", 1) for line in github_env.read_text().splitlines())
    assert set(later) == {"BASH_ENV"}
    done = person.run(*step, "step2.sh", cwd=project, **later)
    assert done.returncode == 0, done.stderr
    _ran_in(person.run(*step, "step3.sh", cwd=project, **later), project)  # a later step sees it


def test_a_ci_script_whose_first_line_is_the_eval(person: Person) -> None:
    """GitLab CI, Jenkins: the script's lines run in one shell."""
    project = _project(person, {"ci.sh": f"eval \"$(safepip shell-init bash)\"\n{_install(person)}\n{CHECK}\n"})
    _ran_in(person.run("bash", "-e", "ci.sh", cwd=project), project)


def test_a_dockerfile_run_as_root_with_bash_env(person: Person, tmp_path: Path) -> None:
    """``SHELL ["/bin/bash", "-c"]``, ``ENV BASH_ENV=...``: each RUN is ``bash -c`` as root."""
    rc = tmp_path / "safepip-env.sh"
    rc.write_text(_line(person, "bash"))  # RUN safepip shell-init --rc bash > /etc/safepip-env.sh
    project = tmp_path / "app"
    project.mkdir()
    (project / "requirements.txt").write_text("lib-a\n")
    (project / "pyproject.toml").write_text(PYPROJECT)
    home = tmp_path / "root-home"
    home.mkdir()
    env = {**person.env(), "HOME": str(home), "BASH_ENV": str(rc)}
    run = f"pip install -q {' '.join(offline(person.house))} -r requirements.txt && {CHECK}"
    done = subprocess.run(["bash", "-c", run], cwd=project, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    _ran_in(done, project)
    again = subprocess.run(["bash", "-c", CHECK], cwd=project, env=env, capture_output=True, text=True, timeout=600,
                           check=False)  # the next RUN
    _ran_in(again, project)
