"""The next command after ``pip install`` runs with what pip installed: the ten project flows
of a new user (a script repository with requirements.txt, a Django app, Makefile projects, a
tox project with uv.lock, PDM, Hatch, pipenv, Poetry, a monorepo) and the flows outside a
project (a library, then ``python3 -c 'import x'``; a metapackage, then its dependency's
command), each typed into the user's interactive shell with ``safepip shell-init`` in its rc
file, without ``safepip run``.

Offline: the tools are small wheels that provide commands named like the real ones (the
point is that the tool's command is found right after ``pip install <tool>`` in the
project); the Django app is a tiny stand-in with the same ``#!/usr/bin/env python`` line
(Debian has no ``python``). :mod:`test_next_command_real_tools` (``network``) does the same
with the real tools from PyPI.

As an ordinary user (a real second user, :class:`ptyshell.Person`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from helpers import SYSTEM_PYTHON, installed, needs_managed, offline
from localproj import make_project
from ptyshell import SHELLS, Person, typed
from users import User
from wheels import make_wheel

pytestmark = [pytest.mark.slow, needs_managed,
              pytest.mark.skipif(os.geteuid() != 0, reason="plays an ordinary user (a real second user)")]

#: Tools a project installs for itself, each with a command of the same name (version 9.x).
TOOLS = ("tox", "pdm", "hatch", "pipenv", "poetry", "pylint")


@pytest.fixture
def person(traversable: Path, other_user: User, pyz: Path) -> Iterator[Person]:
    machine = Person(traversable, other_user, pyz)
    for number, tool in enumerate(TOOLS):
        make_wheel(machine.house, tool, f"9.{number}", scripts={tool: f"{tool}:main"})
    make_wheel(machine.house, "tool-b", "2.0", scripts={"tool-b": "tool_b:main"})
    make_wheel(machine.house, "tool-a", "1.5", scripts={"tool-a": "tool_a:main"}, requires=["tool-b", "lib-a"])
    make_wheel(machine.house, "meta", "3.0", requires=["tool-a>=1"], module=False)
    machine.readable(machine.house)
    yield machine
    machine.close()


PYPROJECT = '[project]\nname = "{name}"\nversion = "0"\n'
APP = "import lib_a, sys\nprint('app', lib_a.VERSION, sys.prefix)\n"
MANAGE = "#!/usr/bin/env python\nimport sys\nimport lib_b\nprint('manage', sys.argv[1], lib_b.VERSION, sys.prefix)\n"

#: name -> (files of the project, whether it is a git repository, the tool it installs).
TOOL_FLOWS = {
    "tox-uv-lock": ({"pyproject.toml": PYPROJECT.format(name="toxed"), "uv.lock": "version = 1\n",
                     "tox.ini": "[tox]\nenv_list = py3\n"}, False, "tox"),
    "pdm": ({"pyproject.toml": PYPROJECT.format(name="pdmed") + "\n[tool.pdm]\ndistribution = false\n",
             "pdm.lock": "# pdm lock\n"}, False, "pdm"),
    "hatch": ({"pyproject.toml": PYPROJECT.format(name="hatched") + "\n[tool.hatch.envs.default]\n",
               "hatch.toml": "[envs.default]\n"}, False, "hatch"),
    "pipenv": ({"Pipfile": '[packages]\nlib-a = "*"\n', "Pipfile.lock": "{}\n", "main.py": APP}, True, "pipenv"),
    "poetry": ({"pyproject.toml": '[tool.poetry]\nname = "poems"\nversion = "0"\n', "poetry.lock": "# lock\n"},
               False, "poetry"),
}


def _project(person: Person, name: str, files: dict[str, str], git: bool) -> Path:
    root = person.dir(name, files)
    if git:
        person.git_init(root)
    return root


@pytest.mark.parametrize("name", SHELLS)
def test_script_repository_requirements_then_python3_app_py(name: str, person: Person) -> None:
    root = _project(person, "photon", {"requirements.txt": "lib-a\n", "app.py": APP}, git=True)
    shell = person.shell(name, root)
    out = shell.type(f"pip install {' '.join(offline(person.house))} -r requirements.txt")
    assert "safepip run COMMAND" not in out, out
    typed(shell.type("python3 app.py"), f"app 1.0 {root / '.venv'}")


def test_django_app_requirements_dir_then_manage_py(person: Person) -> None:
    root = _project(person, "site", {"requirements/base.txt": "lib-a\n", "requirements/dev.txt": "-r base.txt\nlib-b\n",
                                     "manage.py": MANAGE}, git=True)
    shell = person.shell("bash", root)
    shell.type(f"pip install {' '.join(offline(person.house))} -r requirements/dev.txt")
    typed(shell.type("./manage.py check"), f"manage check 2.0 {root / '.venv'}")
    typed(shell.type("cd requirements && ../manage.py migrate"), "manage migrate 2.0")  # a subdirectory too


def test_makefile_lint_calls_a_command_pip_installed(person: Person) -> None:
    root = _project(person, "linted", {"pyproject.toml": PYPROJECT.format(name="linted"),
                                       "Makefile": "lint:\n\tpylint src\n"}, git=False)
    shell = person.shell("bash", root)
    shell.type(f"pip install {' '.join(offline(person.house))} pylint")
    typed(shell.type("make -s lint"), "pylint 9.5")


def test_makefile_installs_with_python3_m_pip_then_runs_the_app(person: Person) -> None:
    makefile = (f"deps:\n\tpython3 -m pip install {' '.join(offline(person.house))} -r requirements.txt\n"
                "run:\n\tpython3 app.py\n")
    root = _project(person, "made", {"Makefile": makefile, "requirements.txt": "lib-a\n", "app.py": APP}, git=True)
    shell = person.shell("bash", root)
    typed(shell.type("make -s deps && make -s run"), f"app 1.0 {root / '.venv'}")


@pytest.mark.parametrize("flow", sorted(TOOL_FLOWS))
def test_the_projects_tool_is_found_after_pip_install(flow: str, person: Person) -> None:
    files, git, tool = TOOL_FLOWS[flow]
    root = _project(person, flow, files, git)
    shell = person.shell("zsh" if flow == "pdm" else "fish" if flow == "poetry" else "bash", root)
    shell.type(f"pip install {' '.join(offline(person.house))} {tool}")
    typed(shell.type(f"{tool} --version"), f"{tool} 9.{TOOLS.index(tool)}")
    # The project's own environment (the one its tool keeps, where it keeps one), not pipx's:
    # the one the shell has active here.
    env = Path(shell.value('"$VIRTUAL_ENV"'))
    assert env != Path() and tool in installed(env), env
    assert not (person.bin / tool).exists()


def test_monorepo_backend_editable_then_import(person: Person) -> None:
    root = person.dir("mono", {"pyproject.toml": PYPROJECT.format(name="mono")})
    make_project(root / "backend", "backend-pkg", "0.3")
    person.git_init(root)
    shell = person.shell("bash", root)
    out = shell.type(f"cd backend && pip install {' '.join(offline(person.house))} -e . && "
                     "python3 -c 'import backend_pkg, sys; print(\"backend\", backend_pkg.VERSION, sys.prefix)'")
    # One environment for the repository: the root is a project, and the backend shares its environment.
    typed(out, f"backend 0.3 {root / '.venv'}")


def test_outside_a_library_then_python3_imports_it(person: Person) -> None:
    downloads = person.dir("downloads")
    shell = person.shell("bash", downloads)
    out = shell.type(f"pip install {' '.join(offline(person.house))} lib-a && python3 -c 'import lib_a; print(lib_a.VERSION)'")
    typed(out, "1.0")
    user_env = shell.value('"$VIRTUAL_ENV"')
    assert user_env.startswith(str(person.home / ".local" / "share" / "safepip")), user_env
    typed(shell.type(f"cd {person.home} && python3 -c 'import lib_a, sys; print(\"again\", sys.prefix)'"),
           f"again {user_env}")


def test_outside_a_metapackage_then_its_dependencys_command(person: Person) -> None:
    downloads = person.dir("downloads")
    shell = person.shell("bash", downloads)
    shell.type(f"pip install {' '.join(offline(person.house))} meta")
    typed(shell.type("tool-a --version && tool-b"), "tool-a 1.5", "tool-b 2.0")


def test_bash_c_with_bash_env_after_self_install_with_local_bin_not_on_path(person: Person) -> None:
    """docs/agents.md's set-up with safepip installed by ``self-install``: the line names the
    launcher by its path (Debian's ~/.profile puts ~/.local/bin on PATH only after ~/.bashrc
    ran; an agent's environment may have none of it), and the code it prints keeps calling
    safepip by that path: pip, and the python3 launcher, find it without PATH."""
    archive = person.where / "lib" / "app.pyz"
    done = person.run(SYSTEM_PYTHON, str(archive), "self-install", cwd=person.home)
    assert done.returncode == 0, done.stderr
    exe = person.bin / "safepip"
    rc = person.dir(".config/agent", {"env.sh": f'eval "$({exe} shell-init bash)"\n'}) / "env.sh"
    project = _project(person, "agentic", {"pyproject.toml": PYPROJECT.format(name="agentic"), "src/x.py": ""}, git=True)
    line = f"pip install -q {' '.join(offline(person.house))} lib-a && python3 -c 'import lib_a, sys; print(sys.prefix)'"
    done = person.run("bash", "-c", line, cwd=project, BASH_ENV=str(rc), PATH="/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(project / ".venv")
    again = person.run("bash", "-c", "python3 -c 'import lib_a, sys; print(sys.prefix)'", cwd=project / "src",
                       BASH_ENV=str(rc), PATH="/usr/bin:/bin")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(project / ".venv")

