"""shell-init's activation: the environment safepip uses in a directory is the active one
there, in real interactive shells (bash -i, zsh -i, fish -i under a pty, so that their prompt
hooks run between the lines typed), in ``bash -c`` with ``BASH_ENV``, and in ``make``
started from such a shell; it never changes where safepip sends a call; a venv activated
by hand and an environment that came with a repository are left alone.

The shells run the test's safepip through a small launcher on PATH that notes each start,
so that a test can count them (nothing starts while the directory stays the same).
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from helpers import installed, needs_managed, offline, run_safepip, safepip_env
from users import User, script, their_repository

pytestmark = [needs_managed]

SHELLS = ["bash", "zsh", "fish"]
PROMPT = "@@ready@@"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\r")


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return path


@pytest.fixture
def launcher(tmp_path: Path) -> Path:
    """A ``safepip`` on PATH that notes every start in ``starts.log`` beside it, then runs
    the test's safepip (shell-init's code calls it by this path).
    """
    where = tmp_path / "launcher"
    where.mkdir()
    exe = where / "safepip"
    exe.write_text(f'#!/bin/sh\necho "$*" >> {where / "starts.log"}\nexec {sys.executable} -m safepip "$@"\n')
    exe.chmod(0o755)
    return where


def starts(launcher: Path) -> list[str]:
    log = launcher / "starts.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def pipx_dirs(tmp_path: Path) -> dict[str, str]:
    """Every pipx directory in tmp_path (as root, pipx works in its --global mode)."""
    names = {"PIPX_HOME": "pipx", "PIPX_BIN_DIR": "bin", "PIPX_MAN_DIR": "man", "PIPX_GLOBAL_HOME": "gpipx",
             "PIPX_GLOBAL_BIN_DIR": "gbin", "PIPX_GLOBAL_MAN_DIR": "gman"}
    return {k: str(tmp_path / v) for k, v in names.items()}


def shell_env(launcher: Path, **extra: str) -> dict[str, str]:
    return safepip_env(PATH=f"{launcher}:/usr/bin:/bin", TERM="dumb", **extra)


#: Started in the shell's new session: the pty becomes its controlling terminal, as a terminal's
#: is (fish -i needs one), then the shell runs.
_TAKE_TERMINAL = "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execv(sys.argv[1], sys.argv[1:])"


class Shell:
    """An interactive shell under a pty: type a line, get what it printed up to the next prompt."""

    def __init__(self, name: str, cwd: Path, env: dict[str, str], init: str, options: str = "") -> None:
        rc = cwd.parent / f".{name}-rc-{os.getpid()}-{id(self)}"
        if name == "fish":
            rc.write_text(f"set -g fish_greeting ''\nfunction fish_prompt; printf '{PROMPT} '; end\n"
                          f"{init} shell-init {options} fish | source\n")
            argv = [_shell(name), "--no-config", "-i", "-C", f"source {rc}"]
        elif name == "zsh":
            rc.mkdir()
            (rc / ".zshrc").write_text(f"PS1='{PROMPT} '\nunsetopt zle\neval \"$({init} shell-init {options} zsh)\"\n")
            env = {**env, "ZDOTDIR": str(rc)}
            argv = [_shell(name), "-i"]
        else:
            rc.write_text(f"PS1='{PROMPT} '\neval \"$({init} shell-init {options} bash)\"\n")
            argv = [_shell(name), "--noprofile", "--rcfile", str(rc), "-i"]
        master, slave = os.openpty()
        self.proc = subprocess.Popen([sys.executable, "-c", _TAKE_TERMINAL, *argv], stdin=slave, stdout=slave,
                                     stderr=slave, cwd=cwd, env=env, start_new_session=True)
        os.close(slave)
        self.fd = master
        self.started = self._until_prompt().split(PROMPT)[0]

    def _until_prompt(self, timeout: float = 120, after: bytes = b"") -> str:
        """What the shell printed until its next prompt (after ``after``, when given)."""
        buf = b""
        end = time.monotonic() + timeout
        while True:
            start = buf.find(after) if after else 0
            if start >= 0 and PROMPT.encode() in buf[start + len(after):]:
                break
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no prompt within {timeout}s; the shell printed: {buf.decode(errors='replace')}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the shell ended: {buf.decode(errors='replace')}")
                buf += chunk
        return _ANSI.sub("", buf.decode(errors="replace"))

    def type(self, line: str, timeout: float = 300) -> str:
        """Type ``line`` (then a marker, on the same line); what the shell printed until the
        prompt after it (fish redraws its prompt as the line is typed: the marker says when
        the line has run).
        """
        os.write(self.fd, line.encode() + b"; printf '@@%s@@\\n' done\n")
        return self._until_prompt(timeout, after=b"@@done@@")

    def value(self, expression: str) -> str:
        """The value of a shell expression (``$VIRTUAL_ENV``; fish's lists joined with ':')."""
        out = self.type(f"printf '<%s>\\n' {expression}")
        found = re.findall(r"<([^<>\n]*)>", out)
        assert found, out
        return str(found[-1])

    def close(self) -> None:
        try:
            os.write(self.fd, b"exit\n")
            self.proc.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self.fd)


@pytest.fixture
def shells() -> Iterator[list[Shell]]:
    opened: list[Shell] = []
    yield opened
    for shell in opened:
        shell.close()


def _path(shell: Shell, name: str) -> str:
    return shell.value("(string join : $PATH)" if name == "fish" else '"$PATH"')


def _python3(shell: Shell, name: str) -> str:
    """The python3 a command typed would run (the shell's python3 function left out)."""
    return shell.value({"bash": '"$(type -P python3)"', "zsh": '"$(whence -p python3)"', "fish": "(command -s python3)"}[name])


def _venv(where: Path) -> Path:
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(where)], check=True)
    return where


@pytest.mark.slow
@pytest.mark.parametrize("name", SHELLS)
def test_cd_into_a_project_activates_its_venv_and_cd_out_restores(
    name: str, tmp_path: Path, project: Path, launcher: Path, shells: list[Shell], hermetic: dict[str, str]
) -> None:
    venv = _venv(project / ".venv")
    shell = Shell(name, tmp_path, shell_env(launcher), str(launcher / "safepip"))
    shells.append(shell)
    before = _path(shell, name)
    assert shell.value('"$VIRTUAL_ENV"') == ""
    shims = str(Path(hermetic["XDG_DATA_HOME"]) / "safepip" / "shims")
    assert before == f"{shims}:{launcher}:/usr/bin:/bin"
    count = len(starts(launcher))
    said = shell.type(f"cd {project / 'src'}")
    assert "safepip: activated " + str(venv) in said  # HOME is elsewhere: the path in full
    assert len(starts(launcher)) == count + 1  # entering: one start
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)
    assert shell.value('"$SAFEPIP_ACTIVATED"') == str(venv)
    assert _path(shell, name) == f"{shims}:{venv / 'bin'}:{launcher}:/usr/bin:/bin"  # pip's launchers stay first
    assert _python3(shell, name) == f"{shims}/python3"  # the python3 launcher, first on PATH
    time.sleep(2.1)  # past the memo's racy window (the shims were just written)
    prefix = "(python3 -c 'import sys; print(sys.prefix)')" if name == "fish" else \
        '"$(python3 -c \'import sys; print(sys.prefix)\')"'
    assert shell.value(prefix) == str(venv)  # it runs the environment activation chose
    count = len(starts(launcher))
    assert shell.value(prefix) == str(venv)
    assert len(starts(launcher)) == count  # remembered under safepip's own activation: no safepip start
    for line in ("true", "echo same place", "cd .", f"cd {project / 'src'}"):
        shell.type(line)
    assert len(starts(launcher)) == count  # the directory did not change: nothing started
    shell.type(f"cd {tmp_path}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    assert _path(shell, name) == before


@pytest.mark.slow
@pytest.mark.parametrize("name", SHELLS)  # fish reads its own copy, in fish code
def test_entering_a_directory_again_starts_nothing_while_the_answer_holds(
    name: str, tmp_path: Path, project: Path, launcher: Path, shells: list[Shell]
) -> None:
    venv = _venv(project / ".venv")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shell = Shell(name, outside, shell_env(launcher), str(launcher / "safepip"))
    shells.append(shell)
    # The cache is made inside tmp_path, a directory every answer here reads: made now, its first
    # memo does not change tmp_path (as ~/.cache, there long before, does not change ~).
    (Path(os.environ["XDG_CACHE_HOME"]) / "safepip" / "pyshim").mkdir(parents=True, exist_ok=True)
    time.sleep(2.1)  # past the memo's racy window (the environment and the shims were just made)
    count = len(starts(launcher))
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)
    assert len(starts(launcher)) == count + 1  # the first visit: safepip decides (and remembers)
    shell.type(f"cd {outside}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    count = len(starts(launcher))
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)
    assert len(starts(launcher)) == count  # again: the remembered answer, nothing started
    (venv / "pyvenv.cfg").unlink()  # no longer an environment: the remembered answer no longer holds
    shell.type(f"cd {outside}")
    count = len(starts(launcher))
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    assert len(starts(launcher)) == count + 1


@pytest.mark.slow
@pytest.mark.parametrize("name", SHELLS)
def test_pip_install_and_import_on_one_line(
    name: str, project: Path, wheelhouse: Path, launcher: Path, shells: list[Shell]
) -> None:
    shell = Shell(name, project, shell_env(launcher), str(launcher / "safepip"))
    shells.append(shell)
    joined = "; and " if name == "fish" else " && "
    out = shell.type(f"pip install -q {' '.join(offline(wheelhouse))} lib-a app-c{joined}"
                     "python3 -c 'import lib_a, sys; print(\"prefix\", sys.prefix)'" + joined + "app-c")
    assert f"prefix {project / '.venv'}" in out, out
    assert "app-c 0.5" in out, out
    assert f"activated {project / '.venv'}" in out
    assert "safepip run COMMAND" not in out  # the shell activates it: nothing to tell
    assert {"lib-a", "app-c"} <= set(installed(project / ".venv"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bash", "fish"])
def test_a_venv_activated_by_hand_is_left_alone(
    name: str, tmp_path: Path, project: Path, launcher: Path, shells: list[Shell]
) -> None:
    venv = _venv(project / ".venv")
    mine = _venv(tmp_path / "mine")
    shell = Shell(name, project, shell_env(launcher), str(launcher / "safepip"))
    shells.append(shell)
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)
    shell.type(f"source {mine / 'bin' / ('activate.fish' if name == 'fish' else 'activate')}")
    shell.type(f"cd {project / 'src'}")
    assert shell.value('"$VIRTUAL_ENV"') == str(mine)  # the user's, kept through a change of directory
    assert _python3(shell, name) == str(mine / "bin" / "python3")
    shell.type("deactivate")
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)  # theirs gone: safepip's again


@pytest.mark.slow
def test_a_conda_environment_is_left_alone(project: Path, launcher: Path, shells: list[Shell], tmp_path: Path) -> None:
    venv = _venv(project / ".venv")
    shell = Shell("bash", tmp_path, shell_env(launcher, CONDA_PREFIX=str(tmp_path / "conda")), str(launcher / "safepip"))
    shells.append(shell)
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    shell.type("unset CONDA_PREFIX")
    assert shell.value('"$VIRTUAL_ENV"') == str(venv)


@pytest.mark.slow
def test_an_environment_that_came_with_the_repository_is_not_activated_until_trusted(
    tmp_path: Path, project: Path, other_user: User, launcher: Path, shells: list[Shell]
) -> None:
    trace = tmp_path / "TRACE"
    clone = their_repository(tmp_path, other_user, {
        "pyproject.toml": '[project]\nname = "bait"\nversion = "0"\n',
        ".venv/pyvenv.cfg": "home = /usr/bin\ninclude-system-site-packages = false\n",
        ".venv/bin/python": script(trace),
        ".venv/bin/python3": script(trace),
    }, (".venv/bin/python", ".venv/bin/python3"))
    mine = _venv(project / ".venv")
    shell = Shell("bash", tmp_path, shell_env(launcher), str(launcher / "safepip"))
    shells.append(shell)
    shell.type(f"cd {project}")
    assert shell.value('"$VIRTUAL_ENV"') == str(mine)
    shell.type(f"cd {clone}")
    assert shell.value('"$VIRTUAL_ENV"') == ""
    assert str(clone) not in _path(shell, "bash")
    shell.type("python3 -c pass")
    assert not trace.exists()  # nothing of the repository's ran
    trusted = run_safepip("trust", str(clone), cwd=clone, env=shell_env(launcher), input="y\n")
    assert trusted.returncode == 0, trusted.stderr
    shell.type(f"cd {tmp_path}")
    shell.type(f"cd {clone}")
    assert shell.value('"$VIRTUAL_ENV"') == str(clone / ".venv")


@needs_managed
@pytest.mark.slow
def test_bash_c_with_bash_env(project: Path, wheelhouse: Path, launcher: Path, tmp_path: Path) -> None:
    rc = tmp_path / "bash_env"
    rc.write_text(f'eval "$({launcher / "safepip"} shell-init bash)"\n')
    env = shell_env(launcher, BASH_ENV=str(rc))
    line = f"pip install -q {' '.join(offline(wheelhouse))} lib-a && python3 -c 'import lib_a, sys; print(sys.prefix)'"
    done = subprocess.run(["bash", "-c", line], cwd=project, env=env, capture_output=True, text=True, check=False,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(project / ".venv")
    assert "activated" not in done.stderr  # not an interactive shell: nothing said
    again = subprocess.run(["bash", "-c", "python3 -c 'import lib_a, sys; print(sys.prefix)'"], cwd=project / "src",
                           env=env, capture_output=True, text=True, check=False, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(project / ".venv")


MAKEFILE = "show:\n\t@python3 -c 'import lib_a, sys; print(\"make\", sys.prefix)'\n\t@app-c\n\t@pip --version\n"


@pytest.mark.slow
def test_make_started_from_an_activated_shell_sees_the_environment(
    project: Path, wheelhouse: Path, launcher: Path, shells: list[Shell]
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed (apt-get install make)")
    made = run_safepip("install", *offline(wheelhouse), "lib-a", "app-c", cwd=project)
    assert made.returncode == 0, made.stderr
    (project / "Makefile").write_text(MAKEFILE)
    shell = Shell("bash", project, shell_env(launcher), str(launcher / "safepip"))
    shells.append(shell)
    out = shell.type("make show")
    assert f"make {project / '.venv'}" in out, out
    assert "app-c 0.5" in out, out
    assert any(line.startswith("safepip ") for line in out.splitlines()), out  # pip in make: still safepip


@pytest.mark.slow
def test_own_activation_changes_no_route(
    tmp_path: Path, wheelhouse: Path, launcher: Path, pipx_dirs: dict[str, str], shells: list[Shell]
) -> None:
    elsewhere = tmp_path / "home" / "downloads"
    elsewhere.mkdir()
    first = run_safepip("install", *offline(wheelhouse), "lib-a", cwd=elsewhere, env=safepip_env(**pipx_dirs))
    assert first.returncode == 0, first.stderr
    shell = Shell("bash", elsewhere, shell_env(launcher, **pipx_dirs), str(launcher / "safepip"))
    shells.append(shell)
    user_env = shell.value('"$VIRTUAL_ENV"')
    assert user_env and Path(user_env, "pyvenv.cfg").is_file()
    out = shell.type(f"pip install {' '.join(offline(wheelhouse))} app-c lib-b")
    assert "app-c -> pipx" in out, out
    assert f"lib-b -> {user_env}" in out, out
    assert "app-c" not in installed(Path(user_env))
    assert "lib-b" in installed(Path(user_env))


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
