"""How shell code calls safepip (:func:`own_executable`) and where shell-init's line goes: each shell's startup files, the line that loads safepip's
shell code by absolute path (so login shells, whose ~/.profile puts ~/.local/bin on PATH only
after ~/.bashrc ran, find it too), and where such a line is already configured.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import sys
from typing import Mapping


def rc_file(shell: str, environ: Mapping[str, str]) -> str:
    """The file ``shell`` reads in every interactive shell, login or not: where the line goes."""
    home = environ.get("HOME") or os.path.expanduser("~")
    if shell == "zsh":
        return os.path.join(environ.get("ZDOTDIR") or home, ".zshrc")
    if shell == "fish":
        return os.path.join(_config_home(environ), "fish", "config.fish")
    return os.path.join(home, ".bashrc")


def rc_line(shell: str, exe: str) -> str:
    """The line for :func:`rc_file` that loads shell-init's code, calling safepip as ``exe``.

    By absolute path, whatever PATH holds when the file is read, and silent when that file is
    gone (an uninstalled safepip must not break every new shell).
    """
    if shell == "fish":
        from safepip.commands.shellhooks import fish_quote

        quoted = fish_quote(exe)
        return f"if test -x {quoted}; {quoted} shell-init fish | source; end"
    quoted = shlex.quote(exe)
    return f'if [ -x {quoted} ]; then eval "$({quoted} shell-init {shell})"; fi'


def _config_home(environ: Mapping[str, str]) -> str:
    given = environ.get("XDG_CONFIG_HOME", "")
    if os.path.isabs(given):
        return given
    return os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".config")


def startup_files(environ: Mapping[str, str]) -> list[str]:
    """The files bash, zsh and fish read when they start, where shell-init's line may be."""
    home = environ.get("HOME") or os.path.expanduser("~")
    zdot = environ.get("ZDOTDIR") or home
    fish = os.path.join(_config_home(environ), "fish")
    found = [os.path.join(home, n) for n in (".bashrc", ".bash_profile", ".bash_login", ".profile")]
    found += [os.path.join(zdot, n) for n in (".zshenv", ".zprofile", ".zshrc", ".zlogin")]
    found.append(os.path.join(fish, "config.fish"))
    with contextlib.suppress(OSError):
        found += sorted(os.path.join(fish, "conf.d", n) for n in os.listdir(os.path.join(fish, "conf.d"))
                        if n.endswith(".fish"))
    return found


#: A line that runs ``safepip ... shell-init`` (a comment does not).
_CONFIGURED = re.compile(r"^[^#]*safepip\S*\s+shell-init\b")


def configured_in(environ: Mapping[str, str]) -> list[tuple[str, int]]:
    """Each (file, line number) where a startup file loads shell-init's code."""
    found = []
    for path in startup_files(environ):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read(1 << 20).splitlines()
        except OSError:
            continue
        found += [(path, n) for n, line in enumerate(lines, 1) if _CONFIGURED.search(line)]
    return found


def own_executable(environ: Mapping[str, str]) -> str:
    """The safepip command to call: this process's console script when it can be found
    (``self-install``'s launcher when this process is the installation it runs), else
    ``safepip`` on PATH, else self-install's launcher (not on PATH yet), else ``safepip``.
    """
    script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if os.path.basename(script).startswith("safepip") and os.access(script, os.X_OK) and os.path.isfile(script):
        return script
    launcher = _own_launcher(environ)
    if launcher is not None:
        return launcher
    import shutil

    found = shutil.which("safepip", path=environ.get("PATH", os.defpath))
    if found:
        return found
    # self-install's launcher runs ``python -m safepip``; it may not be on PATH yet (a login
    # shell's ~/.bashrc runs before ~/.profile adds ~/.local/bin).
    from safepip.commands.selfhome import is_ours, launcher_path

    launcher = launcher_path(environ)
    return launcher if is_ours(launcher) and os.access(launcher, os.X_OK) else "safepip"


def _own_launcher(environ: Mapping[str, str]) -> str | None:
    """``self-install``'s launcher (``~/.local/bin/safepip``) when it runs this very
    interpreter: it starts safepip as ``python -m safepip``, so ``sys.argv[0]`` does not name
    it, and ``~/.local/bin`` is often not on PATH yet where ``~/.bashrc`` runs (Debian's
    ``~/.profile`` adds it after sourcing ``~/.bashrc``).
    """
    from safepip.commands.selfhome import launcher_path, launcher_text

    launcher = launcher_path(environ)
    try:
        with open(launcher, encoding="utf-8") as handle:
            text = handle.read(8192)
    except (OSError, ValueError):
        return None
    if text != launcher_text(sys.executable) or not os.access(launcher, os.X_OK):
        return None
    return launcher
