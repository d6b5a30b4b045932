"""``safepip shell-init [bash|zsh|fish]``: shell code that makes ``pip`` and ``pip3`` run safepip.

For ``eval "$(safepip shell-init bash)"`` in ``~/.bashrc`` (zsh alike; fish:
``safepip shell-init fish | source``). Only the commands ``pip`` and ``pip3`` typed in that
shell change: ``python -m pip``, scripts and Makefiles keep the real pip. The code calls
safepip by the path it was printed from when that is known, so a later change of PATH (an
activated venv) does not lose it; without one it calls ``safepip`` from PATH.
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Mapping

from safepip.errors import UsageError

SHELLS = ("bash", "zsh", "fish")

_POSIX = """\
# safepip shell-init {shell}: `pip` and `pip3` typed here run safepip; `python -m pip` is unchanged.
unalias pip pip3 2>/dev/null || true
function pip {{ command {exe} "$@"; }}
function pip3 {{ command {exe} "$@"; }}
"""

_FISH = """\
# safepip shell-init fish: `pip` and `pip3` typed here run safepip; `python -m pip` is unchanged.
function pip --wraps pip --description 'pip, through safepip'
    command {exe} $argv
end
function pip3 --wraps pip3 --description 'pip3, through safepip'
    command {exe} $argv
end
"""


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def own_executable(environ: Mapping[str, str]) -> str:
    """The safepip command to call: this process's console script when it can be found,
    else ``safepip`` on PATH.
    """
    script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if os.path.basename(script).startswith("safepip") and os.access(script, os.X_OK) and os.path.isfile(script):
        return script
    import shutil

    return shutil.which("safepip", path=environ.get("PATH", os.defpath)) or "safepip"


def code(shell: str, exe: str) -> str:
    """The shell code for ``shell`` calling safepip as ``exe``."""
    if shell == "fish":
        return _FISH.format(exe=_fish_quote(exe))
    return _POSIX.format(shell=shell, exe=shlex.quote(exe))


def main(args: list[str], environ: Mapping[str, str]) -> int:
    """Print the code for the shell named (default: the basename of ``$SHELL``)."""
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(
            "usage: safepip shell-init [bash|zsh|fish]\n\n"
            "Print shell code making `pip` and `pip3` run safepip, for\n"
            '  eval "$(safepip shell-init bash)"        (~/.bashrc; zsh alike)\n'
            "  safepip shell-init fish | source          (~/.config/fish/config.fish)\n"
        )
        return 0
    if len(args) > 1:
        raise UsageError("safepip shell-init: one shell at most: bash, zsh or fish")
    shell = args[0] if args else os.path.basename(environ.get("SHELL", ""))
    if shell not in SHELLS:
        named = f"{shell!r} is not supported" if shell else "no shell named and $SHELL is not set"
        raise UsageError(f"safepip shell-init: {named}; use bash, zsh or fish")
    sys.stdout.write(code(shell, own_executable(environ)))
    return 0
