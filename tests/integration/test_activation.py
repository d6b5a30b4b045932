"""shell-init's activation: the environment safepip uses in a directory is the active one
there, in real interactive shells (bash -i, zsh -i, fish -i under a pty, so that their prompt
hooks run between the lines typed), in ``bash -c`` with ``BASH_ENV``, and in ``make``
started from such a shell; it never changes where safepip sends a call; a venv activated
by hand and an environment that came with a repository are left alone; root's shell
(sudo) does not activate a user's environment.

The shells run as an ordinary user (a real second user, :class:`ptyshell.Person`), and
call safepip through a small launcher on PATH that notes each start, so that a test can
count them (nothing starts while the directory stays the same; a prompt that stays starts
no process at all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from helpers import installed, needs_managed, offline, run_safepip, safepip_env
from ptyshell import SHELLS, Person, Shell
from users import User, committed_clone, give, script

pytestmark = [needs_managed]

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="plays an ordinary user (a real second user)")


@pytest.fixture
def person(traversable: Path, other_user: User, pyz: Path) -> Iterator[Person]:
    """An ordinary user's machine, and their shells (closed afterwards)."""
    machine = Person(traversable, other_user, pyz)
    yield machine
    machine.close()


def _venv(where: Path) -> Path:
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(where)], check=True)
    return where


def _settle() -> None:
    """Let what was just made age past the memo's racy window, so the next answer is remembered."""
    time.sleep(2.2)


@pytest.mark.slow
@as_root
@pytest.mark.parametrize("name", SHELLS)
def test_cd_into_a_project_activates_its_venv_and_cd_out_restores(name: str, person: Person) -> None:
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n', "src/x.py": ""})
    venv = person.venv(project / ".venv")
    elsewhere = person.dir("elsewhere")
    shell = person.shell(name, elsewhere)
    before = shell.path()
    assert shell.value('"$VIRTUAL_ENV"') == ""
    assert before == f"{person.shims()}:{person.launcher}:{person.bin}:/usr/bin:/bin"
    count = len(person.starts())
    said = shell.type(f"cd {project / 'src'}")
    assert "safepip: activated ~/myproj/.venv" in said, said  # under HOME: said with ~
    assert len(person.starts()) == count + 1  # entering: one start
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)
    assert shell.value('"$SAFEPIP_ACTIVATED"') == str(venv)
    assert shell.path() == f"{person.shims()}:{venv / 'bin'}:{person.launcher}:{person.bin}:/usr/bin:/bin"
    assert shell.python3() == f"{person.shims()}/python3"  # the python3 launcher, first on PATH
    _settle()  # past the memo's racy window (the shims were just written)
    prefix = "(python3 -c 'import sys; print(sys.prefix)')" if name == "fish" else \
        '"$(python3 -c \'import sys; print(sys.prefix)\')"'
    assert shell.value(prefix) == str(venv)  # it runs the environment activation chose
    count = len(person.starts())
    assert shell.value(prefix) == str(venv)
    assert len(person.starts()) == count  # remembered under safepip's own activation: no safepip start
    for line in ("true", "echo same place", "cd .", f"cd {project / 'src'}"):
        shell.type(line)
    assert len(person.starts()) == count  # the directory did not change: nothing started
    shell.type(f"cd {elsewhere}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    assert shell.path() == before


@pytest.mark.slow
@as_root
@pytest.mark.parametrize("name", SHELLS)  # fish reads its own copy of the memo, in fish code
def test_entering_a_directory_again_starts_nothing_while_the_answer_holds(name: str, person: Person) -> None:
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n'})
    venv = person.venv(project / ".venv")
    outside = person.dir("elsewhere")
    person.dir(".cache/safepip/pyshim")  # the cache, there long before, as ~/.cache is
    shell = person.shell(name, outside)
    _settle()  # past the memo's racy window (the environment and the shims were just made)
    count = len(person.starts())
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)
    assert len(person.starts()) == count + 1  # the first visit: safepip decides (and remembers)
    shell.type(f"cd {outside}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    count = len(person.starts())
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)
    assert len(person.starts()) == count  # again: the remembered answer, nothing started
    shell.type(f"cd {outside}")
    assert shell.value('"$VIRTUAL_ENV"') == ""  # and leaving still puts everything back
    (venv / "pyvenv.cfg").unlink()  # no longer an environment: the remembered answer no longer holds
    count = len(person.starts())
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    assert len(person.starts()) == count + 1


def _forks(trace: Path) -> list[str]:
    """The lines of an strace log that start a process (fork, vfork, clone, exec); a new
    thread (``CLONE_THREAD``: fish reads and writes with a pool of them) is none."""
    calls = ("fork(", "vfork(", "clone(", "clone3(", "execve(")
    return [line for line in trace.read_text().splitlines()
            if any(call in line for call in calls) and "CLONE_THREAD" not in line]


@pytest.mark.slow
@as_root
@pytest.mark.parametrize("name", SHELLS)
def test_a_prompt_in_the_same_directory_starts_no_process(name: str, person: Person, tmp_path: Path) -> None:
    """The prompt hook when the directory did not change is plain shell code: strace, attached
    to the user's shell, sees no process start while builtins are typed in an activated project."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (apt-get install strace)")
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n'})
    venv = person.venv(project / ".venv")
    shell = person.shell(name, project)
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)
    trace = tmp_path / "strace.log"
    watcher = subprocess.Popen([strace, "-f", "-qq", "-e", "trace=process", "-o", str(trace), "-p", str(shell.proc.pid)],
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _attached(shell):
            assert watcher.poll() is None and time.monotonic() < deadline, "strace did not attach"
            time.sleep(0.1)
        for line in ("true", ":", "echo same place", "cd .", f"cd {project}"):
            shell.type(line)
        assert shell.value('"$VIRTUAL_ENV"') == str(venv)
        assert _forks(trace) == [], trace.read_text()
        # The proof can fail: a command that starts a process is seen.
        shell.type("/bin/true")
        time.sleep(0.5)
        assert _forks(trace), "strace saw nothing"
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)


def _attached(shell: Shell) -> bool:
    """Whether a tracer is attached to the shell (Linux's /proc status)."""
    status = Path(f"/proc/{shell.proc.pid}/status").read_text()
    return any(line.startswith("TracerPid:") and line.split()[1] != "0" for line in status.splitlines())


@pytest.mark.slow
@as_root
@pytest.mark.parametrize("name", SHELLS)
def test_pip_install_and_import_on_one_line(name: str, person: Person) -> None:
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n'})
    shell = person.shell(name, project)
    joined = shell.and_()
    out = shell.type(f"pip install -q {' '.join(offline(person.house))} lib-a app-c{joined}"
                     "python3 -c 'import lib_a, sys; print(\"prefix\", sys.prefix)'" + joined + "app-c")
    assert f"prefix {project / '.venv'}" in out, out
    assert "app-c 0.5" in out, out
    assert "activated ~/myproj/.venv" in out, out
    assert "safepip run COMMAND" not in out  # the shell activates it: nothing to tell
    assert {"lib-a", "app-c"} <= set(installed(project / ".venv"))


@pytest.mark.slow
@as_root
@pytest.mark.parametrize("name", ["bash", "fish"])
def test_a_venv_activated_by_hand_is_left_alone(name: str, person: Person) -> None:
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n', "src/x.py": ""})
    venv = person.venv(project / ".venv")
    mine = person.venv(person.home / "mine")
    shell = person.shell(name, project)
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)
    shell.type(f"source {mine / 'bin' / ('activate.fish' if name == 'fish' else 'activate')}")
    shell.type(f"cd {project / 'src'}")
    assert shell.value('"$VIRTUAL_ENV"') == str(mine)  # the user's, kept through a change of directory
    assert shell.python3() == str(mine / "bin" / "python3")
    shell.type("deactivate")
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)  # theirs gone: safepip's again


@pytest.mark.slow
@as_root
def test_a_conda_environment_is_left_alone(person: Person) -> None:
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n'})
    venv = person.venv(project / ".venv")
    shell = person.shell("bash", person.home, CONDA_PREFIX=str(person.home / "conda"))
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    shell.type("unset CONDA_PREFIX")
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)


@pytest.mark.slow
@as_root
def test_an_environment_that_came_with_the_repository_is_not_activated_until_trusted(person: Person) -> None:
    trace = person.home / "TRACE"  # the user's own: a planted interpreter that runs leaves it
    files = {
        "pyproject.toml": '[project]\nname = "bait"\nversion = "0"\n',
        ".venv/pyvenv.cfg": "home = /usr/bin\ninclude-system-site-packages = false\n",
        ".venv/bin/python": script(trace),
        ".venv/bin/python3": script(trace),
    }
    clone = committed_clone(person.where / "upstream", person.home / "clone", files,
                            executable=(".venv/bin/python", ".venv/bin/python3"))
    give(clone, person.user)  # the user's clone: every file theirs, the .venv committed
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n'})
    mine = person.venv(project / ".venv")
    shell = person.shell("bash", person.home)
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == str(mine)
    shell.type(f"cd {clone}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    assert str(clone) not in shell.path()
    shell.type("python3 -c pass")
    assert not trace.exists()  # nothing of the repository's ran
    trusted = person.run("safepip", "trust", str(clone), cwd=clone)
    assert trusted.returncode == 0, trusted.stderr
    shell.type(f"cd {person.home}")
    shell.type(f"cd {clone}")
    assert shell.value('"$VIRTUAL_ENV"') == str(clone / ".venv")


@pytest.mark.slow
@as_root
def test_root_shell_does_not_activate_a_users_environment(person: Person) -> None:
    """A root shell with shell-init (``sudo -s`` keeps SUDO_USER and, often, HOME) in the user's
    project or HOME activates nothing of the user's: the sudo and root rules refuse it."""
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n'})
    venv = person.venv(project / ".venv")
    downloads = person.dir("downloads")
    made = person.run("safepip", "install", *offline(person.house), "lib-a", cwd=downloads)
    assert made.returncode == 0, made.stderr
    user_env = person.run("safepip", "which", "env", cwd=downloads).stdout.strip()
    assert user_env.startswith(str(person.home)), user_env
    name, uid, gid = person.user
    sudo = {"SUDO_USER": name, "SUDO_UID": str(uid), "SUDO_GID": str(gid)}
    root_home = person.where / "root-home"
    root_home.mkdir()
    # Root's own files (its shims, its memory) in the test's tree: with the user's HOME and XDG
    # directories, which root does not trust, safepip would fall back to /root's.
    own = {f"SAFEPIP_{kind.upper()}_DIR": str(root_home / kind) for kind in ("cache", "config", "data")}
    env = {k: v for k, v in person.env(**sudo, **own).items() if k != "HOME"}
    for how in ({**env, "HOME": str(person.home)}, {**env, "HOME": str(root_home)}):
        shell = Shell("bash", person.where, how, "safepip", rc_dir=person.rc)
        person.opened.append(shell)
        for where in (project, downloads):
            shell.type(f"cd {where}")
            assert shell.value('"$VIRTUAL_ENV"') == "", where
            path = shell.path().split(":")
            assert str(venv / "bin") not in path and f"{user_env}/bin" not in path, path
        shell.type("cd /")
    # The rule can be seen to act: SAFEPIP_ALLOW_ROOT=1 lets root use the user's environment.
    allowed = Shell("bash", person.where, {**env, "HOME": str(root_home), "SAFEPIP_ALLOW_ROOT": "1"}, "safepip",
                    rc_dir=person.rc)
    person.opened.append(allowed)
    allowed.type(f"cd {project}")
    assert allowed.value('"$VIRTUAL_ENV"') == str(venv)


@pytest.mark.slow
@as_root
def test_bash_c_with_bash_env(person: Person) -> None:
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n', "src/x.py": ""})
    rc = person.dir(".config/safepip-env", {"bash_env": 'eval "$(safepip shell-init bash)"\n'}) / "bash_env"
    line = f"pip install -q {' '.join(offline(person.house))} lib-a && python3 -c 'import lib_a, sys; print(sys.prefix)'"
    done = person.run("bash", "-c", line, cwd=project, BASH_ENV=str(rc))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(project / ".venv")
    assert "activated" not in done.stderr  # not an interactive shell: nothing said
    again = person.run("bash", "-c", "python3 -c 'import lib_a, sys; print(sys.prefix)'", cwd=project / "src",
                       BASH_ENV=str(rc))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(project / ".venv")


MAKEFILE = "show:\n\t@python3 -c 'import lib_a, sys; print(\"make\", sys.prefix)'\n\t@app-c\n\t@pip --version\n"


@pytest.mark.slow
@as_root
def test_make_started_from_an_activated_shell_sees_the_environment(person: Person) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed (apt-get install make)")
    project = person.dir("myproj", {"pyproject.toml": '[project]\nname = "myproj"\nversion = "0"\n',
                                    "Makefile": MAKEFILE})
    made = person.run("safepip", "install", *offline(person.house), "lib-a", "app-c", cwd=project)
    assert made.returncode == 0, made.stderr
    shell = person.shell("bash", project)
    out = shell.type("make show")
    assert f"make {project / '.venv'}" in out, out
    assert "app-c 0.5" in out, out
    assert any(line.startswith("safepip ") for line in out.splitlines()), out  # pip in make: still safepip


@pytest.mark.slow
@as_root
def test_own_activation_changes_no_route(person: Person) -> None:
    elsewhere = person.dir("downloads")
    first = person.run("safepip", "install", *offline(person.house), "lib-a", cwd=elsewhere)
    assert first.returncode == 0, first.stderr
    shell = person.shell("bash", elsewhere)
    user_env = shell.value('"$VIRTUAL_ENV"')
    assert user_env and Path(user_env, "pyvenv.cfg").is_file()
    out = shell.type(f"pip install {' '.join(offline(person.house))} app-c lib-b")
    assert "app-c -> pipx" in out, out
    assert "lib-b -> ~/" in out or f"lib-b -> {user_env}" in out, out
    assert "app-c" not in installed(Path(user_env))
    assert "lib-b" in installed(Path(user_env))
    assert shell.value('"$(command -v app-c)"') == str(person.bin / "app-c")  # pipx's, on the user's PATH


def test_which_for_activation_and_the_view_safepip_decides_with(project: Path, tmp_path: Path) -> None:
    none = run_safepip("which", "env", "--for-activation", cwd=project)
    assert (none.returncode, none.stdout, none.stderr) == (0, "", "")  # no environment yet: nothing
    venv = _venv(project / ".venv")
    found = run_safepip("which", "env", "--for-activation", cwd=project / "src")
    assert (found.returncode, found.stdout) == (0, f"{venv}\n")
    python = run_safepip("which", "python", "--for-activation", cwd=project)
    assert python.stdout == f"{venv / 'bin' / 'python'}\n"
    mine = _venv(tmp_path / "mine")
    by_hand = safepip_env(VIRTUAL_ENV=str(mine), PATH=f"{mine / 'bin'}:/usr/bin:/bin")
    assert run_safepip("which", "env", "--for-activation", cwd=project, env=by_hand).stdout == ""
    # safepip's own activation: the plan is the one without it (a project venv, not a pass-through)
    ours = safepip_env(VIRTUAL_ENV=str(venv), SAFEPIP_ACTIVATED=str(venv), PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    plain = run_safepip("explain", "install", "x", cwd=project)
    active = run_safepip("explain", "install", "x", cwd=project, env=ours)
    assert active.returncode == plain.returncode == 0, active.stderr
    assert active.stdout == plain.stdout
    assert "project-venv" in active.stdout
    assert run_safepip("which", "env", "--for-activation", cwd=project, env=ours).stdout == f"{venv}\n"


def test_the_notice_says_how_to_use_an_environment_the_shell_does_not_have_active(
    project: Path, wheelhouse: Path
) -> None:
    made = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=project)  # as root from a script,
    assert made.returncode == 0, made.stderr  # the creation note says how later commands reach it
    done = run_safepip("install", *offline(wheelhouse), "lib-b", cwd=project)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stderr.splitlines() if "using " in x)
    assert line.endswith(f"; use it with `safepip run COMMAND` or {project / '.venv' / 'bin' / 'python'}, "
                         "or let `safepip shell-init` activate it in your shell"), line
    venv = str(project / ".venv")
    active = safepip_env(VIRTUAL_ENV=venv, SAFEPIP_ACTIVATED=venv, PATH=f"{venv}/bin:/usr/bin:/bin")
    again = run_safepip("install", *offline(wheelhouse), "app-c", cwd=project, env=active)
    assert again.returncode == 0, again.stderr
    assert "using " in again.stderr and "safepip run" not in again.stderr  # active in the shell already
    told = run_safepip("install", *offline(wheelhouse), "lib-a", "--force-reinstall", cwd=project,
                       env=safepip_env(SAFEPIP_SHELL_ACTIVATES="1"))
    assert told.returncode == 0, told.stderr
    assert "using " in told.stderr and "safepip run" not in told.stderr  # the shell activates it next
