"""shell-init in the shells people log in with: a real user with the system's stock startup files
(/etc/skel: Debian's ``~/.profile`` sources ``~/.bashrc`` *before* it puts ``~/.local/bin`` on
PATH, as Ubuntu's does), safepip self-installed from safepip.pyz, the line self-install prints
added where it says, then ``su -`` on a terminal (``script``), ``bash -l``, a non-login
interactive bash, zsh and fish. doctor tells a configured shell-init that did not run.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from helpers import SYSTEM_PYTHON, needs_managed
from safepip.commands.shellrc import rc_line

pytestmark = [needs_managed, pytest.mark.slow]

#: What a terminal session starts with (nothing of the test's environment).
TERMINAL = {"PATH": "/usr/bin:/bin", "TERM": "dumb", "LANG": "C.UTF-8"}


def _need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    if os.geteuid() != 0:
        pytest.skip("logging in as a test user needs root")


@pytest.fixture
def login_user(request: pytest.FixtureRequest) -> Iterator[pwd.struct_passwd]:
    """A user with a home made from /etc/skel and the login shell named by the test's ``shell``."""
    shell = shutil.which(getattr(request, "param", "bash")) or "/bin/bash"
    _need("su", "script", "useradd")
    name = f"spl{uuid.uuid4().hex[:9]}"
    _accounts(["useradd", "--create-home", "--shell", shell, name])
    try:
        user = pwd.getpwnam(name)
        if os.path.basename(shell) == "fish":
            # As for a user who started fish before: its first interactive start indexes every
            # manual page in the background (half a minute of a core, beside the suite).
            home = Path(user.pw_dir)
            for part in (".local", "share", "fish", "generated_completions"):
                home = home / part
                home.mkdir(exist_ok=True)
                os.chown(home, user.pw_uid, user.pw_gid)
        yield user
    finally:
        _accounts(["userdel", "--remove", name], check=False)


def _accounts(argv: list[str], check: bool = True) -> None:
    """useradd or userdel, again while another process holds /etc/passwd's lock (other tests
    make users too) or, for userdel, while the user's last login session is still ending (fish)."""
    for _ in range(40):
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode == 0 or not ("lock" in done.stderr or "used by process" in done.stderr):
            break
        time.sleep(0.5)
    if check:
        assert done.returncode == 0, done.stderr


@pytest.fixture
def shared_pyz(pyz: Path, traversable: Path) -> Path:
    """safepip.pyz where every user can read it."""
    copy = traversable / "safepip.pyz"
    shutil.copy(pyz, copy)
    copy.chmod(0o644)
    return copy


def as_login(user: pwd.struct_passwd, command: str) -> subprocess.CompletedProcess[str]:
    """``su - USER -c COMMAND``: a login shell without a terminal."""
    return subprocess.run(["su", "-", user.pw_name, "-c", command], env=TERMINAL, capture_output=True, text=True,
                          timeout=300, check=False)


def terminal(user: pwd.struct_passwd, lines: list[str], how: str = "") -> tuple[dict[str, str], str]:
    """Type ``lines`` into ``su - USER`` (its login shell on a terminal; ``how``: another command
    run there by ``su -c``); each ``@@name=value`` line it prints, and the whole transcript.

    The lines are echoed by the terminal too: ``@@""name`` keeps the echo from looking like output.
    """
    su = f"su - {user.pw_name}" + (f" -c {shlex.quote(how)}" if how else "")
    done = subprocess.run(["script", "-qec", su, "/dev/null"], input="\n".join([*lines, "exit", ""]), env=TERMINAL,
                          capture_output=True, text=True, timeout=300, check=False)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout.replace("\r", "\n"))  # fish and readline draw
    found = dict(re.findall(r"@@(\w+)=(.*)$", text, re.MULTILINE))
    return found, text


def self_install(user: pwd.struct_passwd, pyz: Path) -> tuple[str, str]:
    """Install safepip as ``user``; the line self-install says to add, and the file it names."""
    done = as_login(user, f"{SYSTEM_PYTHON} {pyz} self-install")
    assert done.returncode == 0, done.stderr
    found = re.search(r"add this line to (\S+):\n  (.+)\n", done.stdout)
    assert found, done.stdout
    where = found.group(1).replace("~", user.pw_dir, 1)
    return found.group(2), where


def append(user: pwd.struct_passwd, path: str, line: str) -> None:
    """Add ``line`` to the user's ``path``, as the user (the directory made if needed)."""
    done = as_login(user, f"mkdir -p {shlex.quote(os.path.dirname(path))} && printf '%s\\n' {shlex.quote(line)} >> "
                          f"{shlex.quote(path)}")
    assert done.returncode == 0, done.stderr


BASH_PROBE = ['echo "@@""kind=$(type -t pip)"', 'echo "@@""mark=$SAFEPIP_SHELL_INIT"', 'echo "@@""pip=$(pip --version)"',
              'echo "@@""doctor=$(safepip doctor | grep "^shell-init")"']


def test_bash_login_and_non_login_shells_find_safepip_with_the_stock_dotfiles(
    login_user: pwd.struct_passwd, shared_pyz: Path
) -> None:
    assert Path(login_user.pw_dir, ".profile").read_text() == Path("/etc/skel/.profile").read_text()
    line, where = self_install(login_user, shared_pyz)
    assert where == f"{login_user.pw_dir}/.bashrc"
    launcher = f"{login_user.pw_dir}/.local/bin/safepip"
    assert line == rc_line("bash", launcher)
    append(login_user, where, line)

    # su - on a terminal: what ssh and the console run (~/.profile, which reads ~/.bashrc first).
    seen, text = terminal(login_user, BASH_PROBE)
    assert "command not found" not in text, text
    assert seen["kind"] == "function", text
    assert seen["mark"] == "bash", text
    assert seen["pip"].startswith("safepip "), text
    assert seen["doctor"].startswith("shell-init   active in this shell (bash)"), text
    # bash -l and a non-login interactive bash, each from an empty environment (nothing on PATH but the system's).
    empty = f"exec env -i HOME={login_user.pw_dir} TERM=dumb PATH=/usr/bin:/bin"
    for how in (f"{empty} bash -l -i", f"{empty} bash -i"):
        seen, text = terminal(login_user, BASH_PROBE[:3], how)
        assert "command not found" not in text, (how, text)
        assert (seen["kind"], seen["mark"]) == ("function", "bash"), (how, text)
        assert seen["pip"].startswith("safepip "), (how, text)


def test_the_advice_on_path_knows_the_stock_profile(login_user: pwd.struct_passwd, shared_pyz: Path) -> None:
    done = as_login(login_user, f"{SYSTEM_PYTHON} {shared_pyz} self-install")
    assert done.returncode == 0, done.stderr
    assert "~/.profile puts it there in new login shells" in done.stdout
    # ...and it does: the next login finds the launcher on PATH.
    assert as_login(login_user, "command -v safepip").stdout.strip() == f"{login_user.pw_dir}/.local/bin/safepip"


def test_doctor_says_when_shell_init_is_configured_but_did_not_run(
    login_user: pwd.struct_passwd, shared_pyz: Path
) -> None:
    self_install(login_user, shared_pyz)
    # The line README gave before: needs safepip on PATH, which ~/.profile has not set up yet.
    append(login_user, f"{login_user.pw_dir}/.bashrc", 'eval "$(safepip shell-init bash)"')
    seen, text = terminal(login_user, [*BASH_PROBE[:2], 'safepip doctor | grep -e "^shell-init" -e "^problem: shell-init"'])
    assert "safepip: command not found" in text
    assert seen["kind"] == "file", text  # /usr/bin/pip: what the user is back to
    assert f"shell-init   configured in {login_user.pw_dir}/.bashrc:" in text
    assert "NOT active in this shell" in text
    assert "problem: shell-init is configured" in text and "safepip shell-init --rc" in text


@pytest.mark.parametrize("login_user", ["zsh", "fish"], indirect=True)
def test_zsh_and_fish_login_shells_find_safepip(login_user: pwd.struct_passwd, shared_pyz: Path) -> None:
    shell = os.path.basename(login_user.pw_shell)
    _need(shell)
    line, where = self_install(login_user, shared_pyz)
    expected = {"zsh": ".zshrc", "fish": ".config/fish/config.fish"}[shell]
    assert where == f"{login_user.pw_dir}/{expected}"
    append(login_user, where, line)
    probe = ['echo "@@""mark=$SAFEPIP_SHELL_INIT"', 'echo "@@""pip=$(pip --version)"']
    seen, text = terminal(login_user, probe)
    assert "command not found" not in text and "Unknown command" not in text, text
    assert seen["mark"] == shell, text
    assert seen["pip"].startswith("safepip "), text


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_line_is_silent_when_safepip_is_gone(shell: str, tmp_path: Path) -> None:
    _need(shell)
    gone = tmp_path / "it's gone" / "safepip"
    done = subprocess.run([shutil.which(shell) or shell, "-c", f"{rc_line(shell, str(gone))}\necho after"],
                          capture_output=True, text=True, env=TERMINAL, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "after\n", "")
