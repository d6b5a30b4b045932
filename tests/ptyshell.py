"""Real interactive shells under a pty (bash -i, zsh -i, fish -i: their prompt hooks run
between the lines typed), and an ordinary user's machine to run them on.

:class:`Person` is a real second user with a HOME of its own in a directory it can reach,
``safepip`` on PATH (safepip.pyz run by Debian's python3, behind a launcher that notes every
start in a log the test reads), small wheels, and the user's own defaults for every
directory (pip's, pipx's, safepip's, under HOME). :class:`Shell` types lines into a shell
started with ``safepip shell-init`` in its rc file, as that user or (``user=None``) as the
test's own.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, safepip_env
from users import GIT, User, give
from wheels import make_wheel

SHELLS = ["bash", "zsh", "fish"]
PROMPT = "@@ready@@"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\r")

#: Started in the shell's new session: the pty becomes its controlling terminal, as a terminal's
#: is (fish -i needs one), then the shell runs.
_TAKE_TERMINAL = "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execv(sys.argv[1], sys.argv[1:])"


def typed(out: str, *expected: str) -> None:
    """What the shell printed for a line typed into it: no error (a traceback, an unknown
    command, a missing file or module), and every ``expected`` text."""
    assert "Traceback" not in out, out
    assert "command not found" not in out and "Unknown command" not in out, out
    assert "No such file or directory" not in out and "ModuleNotFoundError" not in out, out
    for text in expected:
        assert text in out, out


def shell_path(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return path


class Shell:
    """An interactive shell under a pty: type a line, get what it printed up to the next prompt."""

    def __init__(self, name: str, cwd: Path, env: dict[str, str], init: str, options: str = "", *,
                 rc_dir: Path | None = None, user: User | None = None) -> None:
        self.name = name
        where = rc_dir or cwd.parent
        rc = where / f".{name}-rc-{os.getpid()}-{id(self)}"
        if name == "fish":
            rc.write_text(f"set -g fish_greeting ''\nfunction fish_prompt; printf '{PROMPT} '; end\n"
                          f"{init} shell-init {options} fish | source\n")
            argv = [shell_path(name), "--no-config", "-i", "-C", f"source {rc}"]
        elif name == "zsh":
            rc.mkdir()
            (rc / ".zshrc").write_text(f"PS1='{PROMPT} '\nunsetopt zle\neval \"$({init} shell-init {options} zsh)\"\n")
            env = {**env, "ZDOTDIR": str(rc)}
            argv = [shell_path(name), "-i"]
        else:
            rc.write_text(f"PS1='{PROMPT} '\neval \"$({init} shell-init {options} bash)\"\n")
            argv = [shell_path(name), "--noprofile", "--rcfile", str(rc), "-i"]
        master, slave = os.openpty()
        who: dict[str, object] = {}
        if user is not None:
            os.fchown(slave, user[1], user[2])  # the user's terminal, as a login gives it
            who = {"user": user[1], "group": user[2], "extra_groups": []}
        self.proc = subprocess.Popen([SYSTEM_PYTHON, "-I", "-c", _TAKE_TERMINAL, *argv], stdin=slave, stdout=slave,
                                     stderr=slave, cwd=cwd, env=env, start_new_session=True, **who)  # type: ignore[call-overload]
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

    def path(self) -> str:
        """PATH as the shell has it."""
        return self.value("(string join : $PATH)" if self.name == "fish" else '"$PATH"')

    def python3(self) -> str:
        """The python3 a command typed would run (the shell's python3 function left out)."""
        return self.value({"bash": '"$(type -P python3)"', "zsh": '"$(whence -p python3)"',
                           "fish": "(command -s python3)"}[self.name])

    def and_(self) -> str:
        """How this shell joins two commands, the second run only when the first succeeded."""
        return "; and " if self.name == "fish" else " && "

    def close(self) -> None:
        try:
            os.write(self.fd, b"exit\n")
            self.proc.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self.fd)


class Person:
    """An ordinary user's machine: HOME, ``safepip`` on PATH behind a launcher that notes each
    start, wheels (lib-a, lib-b needing lib-a, app-c with the command app-c); their shells.
    """

    def __init__(self, where: Path, user: User, pyz: Path) -> None:
        self.where, self.user = where, user
        self.home = where / "home-of-user"
        self.home.mkdir()
        lib = where / "lib"
        lib.mkdir()
        archive = lib / "app.pyz"  # not named safepip*: shell-init then calls the launcher, found on PATH
        shutil.copy(pyz, archive)
        self.launcher = where / "launcher"
        self.launcher.mkdir()
        self.log = self.launcher / "starts.log"
        self.log.touch()
        exe = self.launcher / "safepip"
        exe.write_text(f'#!/bin/sh\necho "$*" >> {self.log}\nexec {SYSTEM_PYTHON} {archive} "$@"\n')
        self.house = where / "wheels"
        make_wheel(self.house, "lib-a", "1.0")
        make_wheel(self.house, "lib-b", "2.0", requires=["lib-a>=1.0"])
        make_wheel(self.house, "app-c", "0.5", scripts={"app-c": "app_c:main"})
        self.rc = where / "rc"
        self.rc.mkdir()
        for item in [lib, archive, exe, self.rc]:
            item.chmod(0o755)
        self.readable(self.house)
        give(self.home, user)
        give(self.launcher, user)  # the log is the user's to write
        self.opened: list[Shell] = []

    @staticmethod
    def readable(tree: Path) -> None:
        """Let every user read ``tree`` (wheels made by the test)."""
        for item in [tree, *tree.rglob("*")]:
            item.chmod(0o755 if item.is_dir() else 0o644)

    @property
    def bin(self) -> Path:
        """~/.local/bin, on the user's PATH (Debian's ~/.profile puts it there once it exists)."""
        return self.home / ".local" / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        env = safepip_env(HOME=str(self.home), PATH=f"{self.launcher}:{self.bin}:/usr/bin:/bin", TERM="dumb")
        env.update(extra)
        for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_DIRS",
                     "PIP_CONFIG_FILE", "VIRTUALENV_OVERRIDE_APP_DATA"):
            env.pop(name, None)  # the user's own defaults, under HOME
        return env

    def shims(self) -> str:
        """shell-init's launcher directory for this user."""
        return str(self.home / ".local" / "share" / "safepip" / "shims")

    def dir(self, relative: str, files: dict[str, str] | None = None) -> Path:
        """A directory of the user's under HOME (made with ``files``: path -> text; a text
        starting with ``#!`` is executable)."""
        root = self.home / relative
        root.mkdir(parents=True, exist_ok=True)
        for name, text in (files or {}).items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
            if text.startswith("#!"):
                (root / name).chmod(0o755)
        give(self.home, self.user)
        return root

    def git_init(self, root: Path) -> None:
        """``git init`` in ``root`` (as the test: git refuses the directories above it), then the user's."""
        subprocess.run([*GIT, "init", "-q", str(root)], check=True, capture_output=True)
        give(root, self.user)

    def starts(self) -> list[str]:
        """Every safepip start so far (its arguments)."""
        return self.log.read_text().splitlines()

    def run(self, *argv: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv], cwd=cwd, env=self.env(**extra), capture_output=True, text=True, user=self.user[1],
            group=self.user[2], extra_groups=[], timeout=600, check=False,
        )

    def venv(self, where: Path) -> Path:
        """A virtual environment of the user's own (no pip)."""
        done = self.run(SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(where), cwd=self.home)
        assert done.returncode == 0, done.stderr
        return where

    def shell(self, name: str, cwd: Path, options: str = "", **extra: str) -> Shell:
        """The user's interactive shell ``name`` in ``cwd``, with shell-init in its rc file."""
        opened = Shell(name, cwd, self.env(**extra), "safepip", options, rc_dir=self.rc, user=self.user)
        self.opened.append(opened)
        return opened

    def close(self) -> None:
        for opened in self.opened:
            opened.close()
