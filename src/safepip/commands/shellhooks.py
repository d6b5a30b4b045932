"""shell-init's activation, as shell code: the environment follows the directory.

In each directory the shell asks :func:`safepip.commands.activation.choose` (through
``safepip which env --for-activation``) which environment to have active, and makes it so
as ``activate`` would: its ``bin`` first on PATH (after safepip's pip launchers, which must
keep reaching safepip), ``VIRTUAL_ENV`` set, ``PYTHONHOME`` unset; ``SAFEPIP_ACTIVATED``
names it, so that safepip knows the activation is its own. Leaving takes out exactly what
was put in (the user's own changes to PATH meanwhile stay).

What it costs: the prompt hook compares ``$PWD`` (and the active environment) with what it
saw last, in plain shell code: no process starts while neither changed. Entering a
directory starts safepip at most once: the hook first reads the answer remembered for
the directory (``safepip which env --for-activation`` writes it, :func:`remember`; for fish
a copy in fish code), and starts nothing while everything it read holds. The ``pip`` function asks again right after pip returns
when the shell has no environment of safepip's active, so that ``pip install x &&
python3 -c 'import x'`` works on one line, in ``bash -c`` too (``BASH_ENV``).

Left alone: a venv the user activated (``VIRTUAL_ENV`` set, not by safepip) and a conda
environment (``CONDA_PREFIX``, ``CONDA_DEFAULT_ENV``); activating one of those by hand
over safepip's is the user's choice, and a conda one takes safepip's away.

One line on stderr when an interactive shell activates an environment on entering a
directory or after pip (not when the shell starts); ``SAFEPIP_QUIET_ACTIVATE=1`` keeps it quiet.
"""

from __future__ import annotations

import os
import shlex
from typing import Mapping

from safepip.remembered import pythons as pymemo

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.facts.interpreter import Reads

#: Shared by bash and zsh (functions in the ``function name { }`` form both read).
_POSIX = """\
# safepip: the environment safepip uses in a directory is active there (`--no-activate` turns this off).
function __safepip_on {{
  local bin="$1/bin"
{put}  VIRTUAL_ENV=$1; SAFEPIP_ACTIVATED=$1; export PATH VIRTUAL_ENV SAFEPIP_ACTIVATED
  if [ -n "${{PYTHONHOME+set}}" ]; then __safepip_home=$PYTHONHOME; __safepip_had_home=1; unset PYTHONHOME; fi
  hash -r 2>/dev/null || true
}}
function __safepip_off {{
  local p=":$PATH:" t=":$SAFEPIP_ACTIVATED/bin:"
  p=${{p/"$t"/:}}; p=${{p#:}}; PATH=${{p%:}}; export PATH
  if [ "${{VIRTUAL_ENV-}}" = "$SAFEPIP_ACTIVATED" ]; then unset VIRTUAL_ENV; fi
  unset SAFEPIP_ACTIVATED
  if [ -n "${{__safepip_had_home-}}" ]; then PYTHONHOME=$__safepip_home; export PYTHONHOME; unset __safepip_had_home; fi
  hash -r 2>/dev/null || true
}}
function __safepip_said {{
  if [ "${{SAFEPIP_QUIET_ACTIVATE-}}" = 1 ] || [ -z "${{__safepip_started-}}" ]; then return 0; fi
  case $- in *i*) ;; *) return 0 ;; esac
  local shown=$1
  if [ -n "${{HOME-}}" ] && [ "$HOME" != / ]; then
    case $shown in "$HOME"/*) shown="~${{shown#"$HOME"}}" ;; esac
  fi
  printf 'safepip: activated %s\\n' "$shown" >&2
}}
function __safepip_check {{
  __safepip_pwd=$PWD
  if [ -n "${{CONDA_PREFIX-}}${{CONDA_DEFAULT_ENV-}}" ]; then
    if [ -n "${{SAFEPIP_ACTIVATED-}}" ] && [ "${{VIRTUAL_ENV-}}" = "$SAFEPIP_ACTIVATED" ]; then __safepip_off; fi
  elif [ -z "${{VIRTUAL_ENV-}}" ] || [ "$VIRTUAL_ENV" = "${{SAFEPIP_ACTIVATED-}}" ]; then
    # What is left of ours once a venv's `deactivate` took VIRTUAL_ENV away goes first.
    if [ -n "${{SAFEPIP_ACTIVATED-}}" ] && [ -z "${{VIRTUAL_ENV-}}" ]; then __safepip_off; fi
    local want
    if [ $# -gt 0 ]; then want=$1; else
      # The answer remembered for this directory while everything it read holds (the python
      # launchers' kind of memo, safepip.remembered.pythons): then no process starts at all.
      local _safepip_py= _safepip_ok= _safepip_memo=
      case $PWD in /*) _safepip_memo={memo} ;; esac
      if [ -n "$_safepip_memo" ] && [ -f "$_safepip_memo" ] && [ -O "$_safepip_memo" ] && [ ! -L "$_safepip_memo" ]; then
        . "$_safepip_memo"
      fi
      if [ -n "$_safepip_ok" ]; then want=$_safepip_py; else want=$(command {exe} which env --for-activation); fi
    fi
    if [ "$want" != "${{SAFEPIP_ACTIVATED-}}" ] || [ "${{VIRTUAL_ENV-}}" != "$want" ]; then
      if [ -n "${{SAFEPIP_ACTIVATED-}}" ]; then __safepip_off; fi
      if [ -n "$want" ]; then __safepip_on "$want"; __safepip_said "$want"; fi
    fi
  fi
  __safepip_seen="${{VIRTUAL_ENV-}}:${{CONDA_PREFIX-}}"
  return 0
}}
function __safepip_hook {{
  local s=$?
  if [ "$PWD" != "${{__safepip_pwd-}}" ] || [ "${{VIRTUAL_ENV-}}:${{CONDA_PREFIX-}}" != "${{__safepip_seen-}}" ]; then
    __safepip_check
  fi
  return $s
}}
function __safepip_after_pip {{
  hash -r 2>/dev/null || true
  if [ -z "${{SAFEPIP_ACTIVATED-}}" ] || [ "${{VIRTUAL_ENV-}}" != "$SAFEPIP_ACTIVATED" ] || [ ! -d "$SAFEPIP_ACTIVATED/bin" ]; then
    __safepip_check
  fi
  return 0
}}
"""

_BASH_HOOK = """\
case ";${PROMPT_COMMAND-};" in
  *";__safepip_hook;"*) ;;
  *) PROMPT_COMMAND="__safepip_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;;
esac
"""

_ZSH_HOOK = """\
autoload -Uz add-zsh-hook && add-zsh-hook precmd __safepip_hook && add-zsh-hook chpwd __safepip_hook
"""

#: The environment's bin first on PATH; with pip launchers first there, right after them.
_PUT = '  PATH="$bin${PATH:+:$PATH}"\n'
_PUT_AFTER = """\
  case "$PATH" in
    {shims}:*) PATH={shims}":$bin${{PATH#{shims}}}" ;;
    *) PATH="$bin${{PATH:+:$PATH}}" ;;
  esac
"""
_FISH_PUT = "    set -gx PATH $want/bin $PATH\n"
_FISH_PUT_AFTER = """\
    if test (count $PATH) -gt 0; and test "$PATH[1]" = {shims}
        set -gx PATH $PATH[1] $want/bin $PATH[2..]
    else
        set -gx PATH $want/bin $PATH
    end
"""

#: The decision printed with the code, for the directory it was printed in (no second start).
_POSIX_START = """\
if [ "$PWD" = {here} ]; then __safepip_check {want}; else __safepip_check; fi
__safepip_started=1
"""

_FISH = """\
# safepip: the environment safepip uses in a directory is active there (`--no-activate` turns this off).
function __safepip_on --argument-names want
{put}    set -gx VIRTUAL_ENV $want
    set -gx SAFEPIP_ACTIVATED $want
    if set -q PYTHONHOME
        set -g __safepip_home $PYTHONHOME
        set -e PYTHONHOME
    end
end
function __safepip_off
    set -l i (contains -i -- $SAFEPIP_ACTIVATED/bin $PATH); and set -e PATH[$i]
    if test "$VIRTUAL_ENV" = "$SAFEPIP_ACTIVATED"
        set -e VIRTUAL_ENV
    end
    set -e SAFEPIP_ACTIVATED
    if set -q __safepip_home
        set -gx PYTHONHOME $__safepip_home
        set -e __safepip_home
    end
end
function __safepip_said --argument-names shown
    if test "$SAFEPIP_QUIET_ACTIVATE" = 1; or not set -q __safepip_started; or not status is-interactive
        return 0
    end
    if test -n "$HOME"; and test "$HOME" != /; and string match -q -- "$HOME/*" $shown
        set shown "~"(string sub -s (math (string length -- $HOME) + 1) -- $shown)
    end
    printf 'safepip: activated %s\\n' $shown >&2
end
function __safepip_check
    set -g __safepip_pwd $PWD
    if test -n "$CONDA_PREFIX$CONDA_DEFAULT_ENV"
        if test -n "$SAFEPIP_ACTIVATED"; and test "$VIRTUAL_ENV" = "$SAFEPIP_ACTIVATED"
            __safepip_off
        end
    else if test -z "$VIRTUAL_ENV"; or test "$VIRTUAL_ENV" = "$SAFEPIP_ACTIVATED"
        # What is left of ours once a venv's `deactivate` took VIRTUAL_ENV away goes first.
        if test -n "$SAFEPIP_ACTIVATED"; and test -z "$VIRTUAL_ENV"
            __safepip_off
        end
        set -l want
        if test (count $argv) -gt 0
            set want $argv[1]
        else
            # The answer remembered for this directory while everything it read holds (fish's
            # own copy of the memo bash and zsh read): then no process starts at all.
            set -l _safepip_py
            set -l _safepip_ok
            set -l _safepip_memo
            if string match -q -- '/*' $PWD
                set _safepip_memo {memo}
                if test -f $_safepip_memo; and test -O $_safepip_memo; and not test -L $_safepip_memo
                    source $_safepip_memo 2>/dev/null
                end
            end
            if test -n "$_safepip_ok"
                set want $_safepip_py
            else
                set want (command {exe} which env --for-activation --memo-for=fish)
            end
        end
        if test "$want" != "$SAFEPIP_ACTIVATED"; or test "$VIRTUAL_ENV" != "$want"
            if test -n "$SAFEPIP_ACTIVATED"
                __safepip_off
            end
            if test -n "$want"
                __safepip_on $want
                __safepip_said $want
            end
        end
    end
    set -g __safepip_seen "$VIRTUAL_ENV:$CONDA_PREFIX"
end
function __safepip_hook --on-event fish_prompt --on-variable PWD
    if test "$PWD" != "$__safepip_pwd"; or test "$VIRTUAL_ENV:$CONDA_PREFIX" != "$__safepip_seen"
        __safepip_check
    end
end
function __safepip_after_pip
    if test -z "$SAFEPIP_ACTIVATED"; or test "$VIRTUAL_ENV" != "$SAFEPIP_ACTIVATED"; or not test -d "$SAFEPIP_ACTIVATED/bin"
        __safepip_check
    end
end
if test "$PWD" = {here}
    __safepip_check {want}
else
    __safepip_check
end
set -g __safepip_started 1
"""


fish_quote = pymemo.fish_quote


#: The name of the activation's remembered answer in a directory's memo directory (beside the
#: python launchers' ``@python3``; no launcher has this name), and of fish's copy.
MEMO_NAME = "@activate"
FISH_MEMO_NAME = "@activate.fish"


def here(environ: Mapping[str, str]) -> str:
    """The working directory as the shell spells it (``$PWD`` when it names this directory)."""
    cwd = os.getcwd()
    pwd = environ.get("PWD", "")
    try:
        if pwd and os.path.isabs(pwd) and os.path.samefile(pwd, cwd):
            return pwd
    except OSError:
        pass
    return cwd


def code(shell: str, exe: str, shim_dir: str | None, cwd: str, want: str | None, memo_root: str) -> str:
    """The activation code for ``shell`` (bash, zsh or fish) calling safepip as ``exe``;
    ``shim_dir`` is the launcher directory that stays first on PATH; ``want`` is the
    environment to have active in ``cwd`` (decided while printing: the shell starts no
    second safepip when it is still there). Each shell reads the answers remembered under
    ``memo_root`` (:func:`remember`; fish its own copy, in fish code) before it starts safepip.
    """
    if shell == "fish":
        put = _FISH_PUT_AFTER.format(shims=fish_quote(shim_dir)) if shim_dir else _FISH_PUT
        memo = fish_quote(memo_root) + "$PWD" + fish_quote("/" + FISH_MEMO_NAME)
        return _FISH.format(exe=fish_quote(exe), put=put, here=fish_quote(cwd), want=fish_quote(want or ""), memo=memo)
    quote = shlex.quote
    put = _PUT_AFTER.format(shims=quote(shim_dir)) if shim_dir else _PUT
    return "".join((
        _POSIX.format(exe=quote(exe), put=put, memo=quote(memo_root) + '"$PWD"' + quote("/" + MEMO_NAME)),
        _BASH_HOOK if shell == "bash" else _ZSH_HOOK,
        _POSIX_START.format(here=quote(cwd), want=quote(want or "")),
    ))


def remember(environ: Mapping[str, str], env_dir: str | None, reads: Reads, *, fish: bool = False) -> bool:
    """Remember ``env_dir`` (None: nothing to activate) as the answer for the shell's working
    directory, with the tests that say it still holds (:mod:`safepip.remembered.pythons`): the
    variables as the shell has them now (safepip's own activation included: the decision
    looked through it, and it is part of what must still hold), every path the decision read
    and PATH's directories (where the interpreter was found). ``fish``: as fish code, for
    fish's hook. Return whether it was written.
    """
    from safepip.act.shims import memo_root

    key = environ.get("PWD", "")
    try:
        cwd = os.getcwd()
    except OSError:
        return False
    path_dirs = [d for d in os.environ.get("PATH", os.defpath).split(os.pathsep) if d]
    name = (FISH_MEMO_NAME if fish else MEMO_NAME)[1:]
    return pymemo.remember(memo_root(os.environ), key, name, cwd, os.environ, [*reads.paths, *path_dirs], reads.owned,
                           env_dir, fish=fish)
