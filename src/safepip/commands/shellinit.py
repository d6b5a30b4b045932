"""``safepip shell-init [--rc] [--no-shims] [--no-python] [--no-activate] [bash|zsh|fish]``: shell code that makes pip run safepip.

For ``eval`` in ``~/.bashrc`` (zsh alike; fish: ``| source``), by the line ``--rc`` prints
(below). The code:

* defines ``pip`` and ``pip3`` as functions calling safepip (what is typed in that shell);
* puts safepip's shim directory (``pip``, ``pip3``, ``pip3.X`` launchers, see
  :mod:`safepip.act.shims`) first on PATH, so that ``make``, scripts and tools started from the
  shell reach safepip too; not inside an active virtual environment, whose own pip must win
  (``--no-shims`` leaves PATH alone);
* with the shims, ``python`` and ``python3`` launchers there too: the interpreter of the
  environment safepip would use in the working directory, and ``-m pip`` sent to safepip
  (``--no-python`` leaves them out);
* defines ``python3.X`` functions (and ``python``, ``python3`` without the shims) that send
  ``-m pip ...``, and only that, to safepip with ``--python`` set to the interpreter named;
  anything else runs the interpreter unchanged (``--no-python`` leaves them out).
* makes the environment safepip uses in the working directory the active one, and follows
  the directory (see :mod:`safepip.commands.shellhooks`; ``--no-activate`` leaves it out):
  ``python3``, the environment's commands and ``make`` see what pip installed. ``pip``
  asks again right after it returns, so that ``pip install x && python3 -c 'import x'``
  works on one line.

safepip is called by the path it was printed from when that is known, so a later change of
PATH (an activated venv) does not lose it; without one it calls ``safepip`` from PATH.
``SAFEPIP_SHELL_INIT`` (exported: the shell's name) tells ``safepip doctor`` that the code ran.

The line that loads it (:func:`rc_line`, printed by ``shell-init --rc`` and ``self-install``)
names safepip by its absolute path and does nothing when that file is gone: Debian's and
Ubuntu's stock ``~/.profile`` sources ``~/.bashrc`` before it puts ``~/.local/bin`` on PATH,
so a bare ``safepip`` there is "command not found" in every login shell (ssh, the console,
``su -``). :func:`safepip.commands.shellrc.configured_in` finds such lines, for doctor.
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.session import Session

SHELLS = ("bash", "zsh", "fish")
#: Set (to the shell's name) and exported by the code: the shell that ran it, and its children.
MARK = "SAFEPIP_SHELL_INIT"
_MARK_POSIX = f"{MARK}={{shell}}; export {MARK}\n"
_MARK_FISH = f"set -gx {MARK} fish\n"

_POSIX_PIP = """\
# safepip shell-init {shell}: `pip` and `pip3` run safepip{shims_note}.
unalias pip pip3 2>/dev/null || true
function pip {{ command {exe} "$@"; }}
function pip3 {{ command {exe} "$@"; }}
"""

# With activation: pip's notice knows the shell activates the environment next, and it does.
_POSIX_PIP_ACTIVATING = """\
# safepip shell-init {shell}: `pip` and `pip3` run safepip{shims_note}.
unalias pip pip3 2>/dev/null || true
function pip {{ local s=0; SAFEPIP_SHELL_ACTIVATES=1 command {exe} "$@" || s=$?; __safepip_after_pip; return $s; }}
function pip3 {{ local s=0; SAFEPIP_SHELL_ACTIVATES=1 command {exe} "$@" || s=$?; __safepip_after_pip; return $s; }}
"""

# Not inside a venv the user activated (its own pip must win); safepip's own activation is no such venv.
_POSIX_SHIMS = """\
if [ -z "${{VIRTUAL_ENV:-}}" ] || [ "$VIRTUAL_ENV" = "${{SAFEPIP_ACTIVATED-}}" ]; then
  case ":$PATH:" in
    *:{dir}:*) ;;
    *) PATH={dir}":$PATH"; export PATH ;;
  esac
fi
"""

# `python3 -m pip ARGS` -> safepip --python <the python3 found now> ARGS; anything else: python3 itself.
# The python3 found is the one without safepip's own activation, which never changes a decision.
_POSIX_PYTHON_HELPER = """\
function __safepip_where {{
  if [ -n "${{SAFEPIP_ACTIVATED-}}" ] && [ "${{VIRTUAL_ENV-}}" = "$SAFEPIP_ACTIVATED" ]; then
    local p=":$PATH:" t=":$SAFEPIP_ACTIVATED/bin:"; p=${{p/"$t"/:}}; p=${{p#:}}; PATH=${{p%:}}
  fi
  {lookup} "$1"
}}
function __safepip_python {{
  local name="$1" py; shift
  if [ "${{1:-}}" = "-m" ] && [ "${{2:-}}" = "pip" ] && py=$(__safepip_where "$name"); then
    shift 2; {run}
  else
    command "$name" "$@"
  fi
}}
"""
_POSIX_PYTHON = 'function {name} {{ __safepip_python {name} "$@"; }}\n'

#: The path of a command, functions left out (``command -v`` names the function itself).
_LOOKUP = {"bash": "type -P", "zsh": "whence -p"}

_FISH_PIP = """\
# safepip shell-init fish: `pip` and `pip3` run safepip{shims_note}.
function pip --wraps pip --description 'pip, through safepip'
    command {exe} $argv
end
function pip3 --wraps pip3 --description 'pip3, through safepip'
    command {exe} $argv
end
"""

_FISH_PIP_ACTIVATING = """\
# safepip shell-init fish: `pip` and `pip3` run safepip{shims_note}.
function pip --wraps pip --description 'pip, through safepip'
    SAFEPIP_SHELL_ACTIVATES=1 command {exe} $argv
    set -l s $status
    __safepip_after_pip
    return $s
end
function pip3 --wraps pip3 --description 'pip3, through safepip'
    SAFEPIP_SHELL_ACTIVATES=1 command {exe} $argv
    set -l s $status
    __safepip_after_pip
    return $s
end
"""

_FISH_SHIMS = """\
if begin; test -z "$VIRTUAL_ENV"; or test "$VIRTUAL_ENV" = "$SAFEPIP_ACTIVATED"; end; and not contains -- {dir} $PATH
    set -gx PATH {dir} $PATH
end
"""

_FISH_PYTHON_HELPER = """\
function __safepip_where --argument-names name
    if test -n "$SAFEPIP_ACTIVATED"; and test "$VIRTUAL_ENV" = "$SAFEPIP_ACTIVATED"
        set -lx PATH $PATH
        set -l i (contains -i -- $SAFEPIP_ACTIVATED/bin $PATH); and set -e PATH[$i]
        command -s $name
    else
        command -s $name
    end
end
function __safepip_python --argument-names name
    set -e argv[1]
    set -l py
    if test (count $argv) -ge 2; and test "$argv[1]" = -m; and test "$argv[2]" = pip; and set py (__safepip_where $name)
        {run}
    else
        command $name $argv
    end
end
"""
_FISH_PYTHON = """\
function {name} --wraps {name} --description '{name}; -m pip goes through safepip'
    __safepip_python {name} $argv
end
"""


#: How the python helpers run safepip: plain, or telling it the shell activates next, then activating.
_POSIX_RUN = 'command {exe} --python "$py" "$@"'
_POSIX_RUN_ACTIVATING = (
    'local s=0; SAFEPIP_SHELL_ACTIVATES=1 command {exe} --python "$py" "$@" || s=$?; __safepip_after_pip; return $s'
)
_FISH_RUN = "command {exe} --python $py $argv[3..-1]"
_FISH_RUN_ACTIVATING = """\
SAFEPIP_SHELL_ACTIVATES=1 command {exe} --python $py $argv[3..-1]
        set -l s $status
        __safepip_after_pip
        return $s"""


def code(
    shell: str, exe: str, shim_dir: str | None = None, pythons: tuple[str, ...] = (),
    activation: tuple[str, str | None, str] | None = None,
) -> str:
    """The shell code for ``shell`` calling safepip as ``exe``; with ``shim_dir`` first on
    PATH; with functions for the interpreter commands in ``pythons``; with the activation
    that follows the directory when ``activation`` is given: (the working directory, the
    environment to have active there, the directory of remembered answers; see
    :mod:`safepip.commands.shellhooks`).
    """
    from safepip.commands import shellhooks

    fish = shell == "fish"
    quote = shellhooks.fish_quote if fish else shlex.quote
    note = "; so do `pip` in make and scripts (PATH)" if shim_dir else ""
    if pythons:
        note += "; `python -m pip` typed here runs safepip"
    if activation is None:
        pip = _FISH_PIP if fish else _POSIX_PIP
        run = _FISH_RUN if fish else _POSIX_RUN
    else:
        pip = _FISH_PIP_ACTIVATING if fish else _POSIX_PIP_ACTIVATING
        run = _FISH_RUN_ACTIVATING if fish else _POSIX_RUN_ACTIVATING
    parts = [pip.format(shell=shell, exe=quote(exe), shims_note=note),
             _MARK_FISH if fish else _MARK_POSIX.format(shell=shell)]
    if shim_dir:
        parts.append((_FISH_SHIMS if fish else _POSIX_SHIMS).format(dir=quote(shim_dir)))
    if pythons:
        helper = _FISH_PYTHON_HELPER if fish else _POSIX_PYTHON_HELPER
        parts.append(helper.format(run=run.format(exe=quote(exe)), lookup=_LOOKUP.get(shell, "")))
    for name in pythons:
        parts.append((_FISH_PYTHON if fish else _POSIX_PYTHON).format(name=name))
    if activation is not None:
        parts.append(shellhooks.code(shell, exe, shim_dir, *activation))
    return "".join(parts)


def main(args: list[str], session: Session) -> int:
    """Print the code for the shell named (default: the basename of ``$SHELL``)."""
    environ = session.environ
    from safepip.commands.args import parse, parser
    from safepip.errors import UsageError

    cli = parser("shell-init", "Print shell code making pip (typed, and on PATH for make and scripts) run safepip.")
    cli.epilog = (
        "Use: safepip shell-init --rc bash >> ~/.bashrc (zsh: ~/.zshrc; fish: ~/.config/fish/config.fish): "
        "that line calls safepip by its absolute path, so login shells find it too. "
        "The environment safepip uses in a directory is then active there (python3 and its commands on PATH); "
        "SAFEPIP_QUIET_ACTIVATE=1 keeps its 'activated' line quiet."
    )
    cli.add_argument("shell", nargs="?", help="bash, zsh or fish (default: from $SHELL)")
    cli.add_argument("--rc", action="store_true",
                     help="print the line that loads this code, for the shell's startup file (~/.bashrc, ~/.zshrc, "
                          "config.fish), instead of the code")
    cli.add_argument("--no-shims", action="store_true", help="leave PATH alone: only pip typed in the shell runs safepip")
    cli.add_argument("--no-python", action="store_true", help="no python/python3 functions for `python -m pip`")
    cli.add_argument("--no-activate", action="store_true",
                     help="no activation: the environment safepip uses in a directory is not made the active one there")
    options = parse(cli, args)
    if isinstance(options, int):
        return options
    shell = options.shell or os.path.basename(environ.get("SHELL", ""))
    if shell not in SHELLS:
        named = f"{shell!r} is not supported" if shell else "no shell named and $SHELL is not set"
        raise UsageError(f"safepip shell-init: {named}; use bash, zsh or fish")
    from safepip.commands.shellrc import own_executable, rc_line

    exe = own_executable(environ)
    if options.rc:
        if not os.path.isabs(exe):
            from safepip.errors import NoTargetError

            raise NoTargetError("safepip shell-init --rc: cannot tell where the safepip command is (not on PATH); "
                                "run it as the installed safepip (for example ~/.local/bin/safepip shell-init --rc)")
        print(rc_line(shell, exe))
        return 0
    directory = None
    if not options.no_shims:
        directory = _shims(exe, environ, python=not options.no_python)
    from safepip.act.shims import PYTHON_SHIMS, python_commands

    pythons = () if options.no_python else tuple(python_commands(environ))
    if directory is not None:  # the python shims do what these functions would, for make and scripts too
        pythons = tuple(p for p in pythons if p not in PYTHON_SHIMS)
    activation = None
    if not options.no_activate:
        from safepip.act.shims import memo_root
        from safepip.commands.activation import choose
        from safepip.commands.shellhooks import here

        chosen = choose(environ)
        activation = (here(environ), None if chosen is None else os.path.abspath(chosen.env_dir),
                      memo_root(environ))
    sys.stdout.write(code(shell, exe, directory, pythons, activation))
    return 0


def _shims(exe: str, environ: Mapping[str, str], *, python: bool) -> str | None:
    """Make the shim directory current (with ``python``, the python shims too); None (no
    PATH change) when it cannot be written.
    """
    from safepip.act.shims import memo_root, refresh, shim_dir, wanted
    from safepip.session import say

    directory = shim_dir(environ)
    try:
        outcome = refresh(directory, wanted(exe, _versions(environ, directory), memo_root(environ) if python else None))
    except OSError as exc:
        say(f"cannot write pip launchers in {directory} ({exc.strerror}); pip on PATH is unchanged", "warning", environ)
        return None
    for name in outcome.foreign:
        say(f"{os.path.join(directory, name)} was not written by safepip: left as it is", "warning", environ)
    return directory


def _versions(environ: Mapping[str, str], directory: str) -> list[str]:
    from safepip.act.shims import python_versions

    return python_versions(environ, skip=(directory,))
