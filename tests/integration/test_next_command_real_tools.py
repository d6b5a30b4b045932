"""The next command after ``pip install``, with the real tools from PyPI (``network``): the
flows of :mod:`test_next_command` that name a tool, with that tool instead of a stand-in
wheel. Typed into the user's interactive shell with ``safepip shell-init`` in its rc file,
as an ordinary user (a real second user, :class:`ptyshell.Person`), without ``safepip run``.

In a project: ``pip install requests`` then ``python3 app.py`` (the README's first example);
``pip install -r requirements/dev.txt`` (Django) then ``./manage.py check``;
``pip install tox`` then ``tox --version``; ``pip install pylint`` then ``make lint``;
``pip install black`` then ``black --version``; in a Hatch, PDM, pipenv and Poetry project,
``pip install <the tool>`` then its ``--version`` and one command of the tool that names the
environment it works in, which must be the one safepip chose (the shell's active one).
Outside a project: ``pip install requests`` then ``python3 -c 'import requests'``, and
``pip install jupyter`` (the metapackage) then ``jupyter --version``.

One machine (user, HOME, pip's cache) for the whole module and one shell per flow: the tools
share many dependencies, downloaded once. One xdist group: the flows run one after another
on one worker, not all at once beside the rest of the suite.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from helpers import installed, needs_managed
from ptyshell import Person, Shell, typed
from users import User

pytestmark = [pytest.mark.slow, pytest.mark.network, pytest.mark.xdist_group("real-tools"), needs_managed,
              pytest.mark.skipif(os.geteuid() != 0, reason="plays an ordinary user (a real second user)")]

PYPROJECT = '[project]\nname = "{name}"\nversion = "0"\n'
#: A module pylint finds nothing to say about.
CLEAN = '"""The app."""\n\nprint("hello")\n'
APP = "import requests, sys\nprint('app', requests.__version__, sys.prefix)\n"


@pytest.fixture(scope="module")
def machine(other_user: User, pyz: Path) -> Iterator[Person]:
    """The user's machine, kept for the module (so is pip's cache under its HOME)."""
    where = Path(tempfile.mkdtemp(prefix="safepip-open-", dir="/tmp"))  # as conftest's traversable
    try:
        where.chmod(0o711)
        yield Person(where, other_user, pyz)
    finally:
        shutil.rmtree(where)


@pytest.fixture
def person(machine: Person) -> Iterator[Person]:
    """The machine; the shells a test opened are closed after it."""
    yield machine
    machine.close()
    machine.opened.clear()


def _install(shell: Shell, *names: str) -> None:
    """``pip install NAMES`` typed in the shell, from PyPI (pip's own index options: the
    machine's, as a user has them)."""
    typed(shell.type(f"pip install -q {' '.join(names)}", timeout=900))


def _active(shell: Shell) -> Path:
    """The environment the shell has active (safepip's activation)."""
    env = shell.value('"$VIRTUAL_ENV"')
    assert env and Path(env, "pyvenv.cfg").is_file(), env
    assert shell.value('"$SAFEPIP_ACTIVATED"') == env  # safepip's, not one activated by hand
    return Path(env)


def test_requests_in_a_script_repository_then_python3_app_py(person: Person) -> None:
    """The README's first example."""
    root = person.dir("myproj", {"requirements.txt": "requests\n", "app.py": APP, "pyproject.toml":
                                 PYPROJECT.format(name="myproj")})
    shell = person.shell("bash", root)
    _install(shell, "requests")
    typed(shell.type("python3 app.py"), "app 2.", f"{root / '.venv'}")


def test_django_requirements_dir_then_manage_py(person: Person) -> None:
    """Django's manage.py starts with ``#!/usr/bin/env python`` (Debian has no ``python``)."""
    root = person.dir("site", {"requirements/base.txt": "django\n", "requirements/dev.txt": "-r base.txt\n"})
    person.git_init(root)
    shell = person.shell("bash", root)
    _install(shell, "-r", "requirements/dev.txt")
    env = _active(shell)
    assert env == root / ".venv"
    typed(shell.type("django-admin startproject mysite . && ./manage.py check"), "System check identified no issues")
    typed(shell.type("./manage.py shell -c 'import django, sys; print(\"django\", sys.prefix)'"), f"django {env}")


def test_tox_in_a_project_with_uv_lock_then_tox_version(person: Person) -> None:
    root = person.dir("toxed", {"pyproject.toml": PYPROJECT.format(name="toxed"), "uv.lock": "version = 1\n",
                                "tox.ini": "[tox]\nenv_list = py3\n[testenv]\ncommands = python -c pass\n"})
    shell = person.shell("bash", root)
    _install(shell, "tox")
    env = _active(shell)
    # tox says where it runs from: the environment safepip chose.
    typed(shell.type("tox --version"), f" from {env}/")
    typed(shell.type("tox list --no-desc"), "py3")
    assert "tox" in installed(env)


def test_pylint_then_make_lint_runs_it(person: Person) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed (apt-get install make)")
    root = person.dir("linted", {"pyproject.toml": PYPROJECT.format(name="linted"), "app.py": CLEAN,
                                 "Makefile": "lint:\n\t@command -v pylint\n\tpylint app.py\n"})
    shell = person.shell("bash", root)
    _install(shell, "pylint")
    env = _active(shell)
    typed(shell.type("make lint"), f"{env}/bin/pylint", "rated at 10.00/10")


def test_black_in_a_project_then_black_runs(person: Person) -> None:
    root = person.dir("formatted", {"pyproject.toml": PYPROJECT.format(name="formatted"), "app.py": CLEAN})
    shell = person.shell("bash", root)
    _install(shell, "black")
    typed(shell.type("black --version"), "black, ")
    typed(shell.type("black --check app.py"), "1 file would be left unchanged")
    assert "black" in installed(root / ".venv")


#: name -> (files of the project, the shell, the tool, a command of the tool's that prints the
#: environment it works in).
FLOWS = {
    "hatch": ({"pyproject.toml": PYPROJECT.format(name="hatched") + "\n[tool.hatch.envs.default]\n"}, "bash",
              "hatch env find default"),
    "pdm": ({"pyproject.toml": PYPROJECT.format(name="pdmed") + "\n[tool.pdm]\ndistribution = false\n"}, "zsh",
            "pdm info --python"),
    "pipenv": ({"Pipfile": "[packages]\n", "main.py": CLEAN}, "bash", "pipenv --venv"),
    "poetry": ({"pyproject.toml": '[tool.poetry]\nname = "poems"\nversion = "0.1.0"\ndescription = ""\n'
                                  'authors = []\n[tool.poetry.dependencies]\npython = ">=3.9"\n'}, "fish",
               "poetry env info -p"),
}


@pytest.mark.parametrize("tool", sorted(FLOWS))
def test_the_projects_tool_then_it_sees_the_environment_safepip_chose(tool: str, person: Person) -> None:
    files, name, where = FLOWS[tool]
    root = person.dir(f"{tool}-project", files)
    shell = person.shell(name, root, PIPENV_YES="1", PIPENV_NOSPIN="1", NO_COLOR="1")
    _install(shell, tool)
    env = _active(shell)
    typed(shell.type(f"{tool} --version"), "version")
    out = shell.type(where)
    typed(out)
    assert str(env) in out, out  # the tool works in the environment safepip chose
    assert tool in installed(env)
    assert not (person.bin / tool).exists()  # the project's own, not pipx's


def test_outside_requests_then_python3_imports_it(person: Person) -> None:
    downloads = person.dir("downloads")
    shell = person.shell("bash", downloads)
    _install(shell, "requests")
    user_env = _active(shell)
    assert str(user_env).startswith(str(person.home / ".local" / "share" / "safepip")), user_env
    typed(shell.type("python3 -c 'import requests, sys; print(\"imported\", requests.__file__)'"),
           f"imported {user_env}/")


def test_outside_jupyter_then_jupyter_version(person: Person) -> None:
    """The metapackage: its dependencies' commands are on PATH."""
    downloads = person.dir("downloads")
    shell = person.shell("bash", downloads)
    _install(shell, "jupyter")
    typed(shell.type("jupyter --version"), "jupyter_core", "notebook", "jupyterlab")
    user_env = _active(shell)  # the per-user environment holds it; its commands are linked into ~/.local/bin
    for command in ("jupyter", "jupyter-lab", "jupyter-notebook"):
        assert (person.bin / command).resolve() == user_env / "bin" / command, command
        assert shell.value(f'"$(command -v {command})"') in {str(person.bin / command), str(user_env / "bin" / command)}
    typed(shell.type("jupyter-lab --version && jupyter-notebook --version"))


def test_poetry_from_pipx_then_poetry_install_in_a_new_project(person: Person) -> None:
    """Poetry installed outside a project (pipx), then ``poetry install`` in a new Poetry
    project with no environment yet: Poetry looks ``python`` up before python3 and runs it;
    safepip's ``python`` launcher there must be the python3 Poetry would otherwise use, not a
    127 that stops Poetry (Debian has no ``python``)."""
    shell = person.shell("bash", person.dir("downloads-poetry"))
    _install(shell, "poetry")
    files = {"pyproject.toml": '[tool.poetry]\nname = "fresh-poems"\nversion = "0.1.0"\ndescription = ""\n'
                               'authors = []\n[tool.poetry.dependencies]\npython = ">=3.9"\n'}
    root = person.dir("fresh-poems", files)
    typed(shell.type(f"cd {root}"))
    made = shell.type("poetry install --no-root && poetry env info -p")
    typed(made, "Writing lock file")
    assert "returned non-zero exit status" not in made, made
    envs = [Path(line.strip()) for line in made.splitlines() if line.strip().startswith(str(person.home))]
    assert envs and (envs[-1] / "pyvenv.cfg").is_file(), made  # the environment Poetry made for it
