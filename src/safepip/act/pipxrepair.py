"""pipx's applications whose interpreter vanished (a Python upgrade), and their repair.

pipx makes every application's environment with ``python -m venv``: its ``bin/python``
links to the interpreter it was made with. When a distribution upgrade or pyenv removes
that interpreter, or the link now reaches another minor version than the environment was
made for, the application's commands stop working (and ``pipx list`` fails). Outside a
project, before an install, and in ``safepip repair``, safepip reinstalls each such
application for the target interpreter (``pipx reinstall --python TARGET APP``: pipx keeps
its recorded package, options and injected packages); read-only commands (``safepip
list``) only say so, and name the command that repairs them.
"""

from __future__ import annotations

import os
import shlex
from typing import Callable, Mapping, Sequence

from safepip import pipx
from safepip.runner import shown
from safepip.venv.state import problem


def _may_have_apps(env: Mapping[str, str], *, global_mode: bool) -> bool:
    """Whether one of the directories pipx keeps its environments in exists: pipx is asked
    only then (running it makes its directories and logs).
    """
    home = env.get("HOME") or os.path.expanduser("~")
    if global_mode:
        homes = [env.get("PIPX_GLOBAL_HOME") or "/opt/pipx"]
    elif env.get("PIPX_HOME"):
        homes = [env["PIPX_HOME"]]
    else:
        data = env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
        homes = [os.path.join(data, "pipx"), os.path.join(home, ".local", "pipx")]
    return any(os.path.isdir(os.path.join(h, "venvs")) for h in homes)


def venvs_dir(command: Sequence[str], env: Mapping[str, str], *, global_mode: bool) -> str | None:
    """Where pipx keeps its applications' environments (None: pipx cannot say, or has none)."""
    if not _may_have_apps(env, global_mode=global_mode):
        return None
    return pipx.value(command, env, "PIPX_LOCAL_VENVS", global_mode)


def stale(command: Sequence[str], env: Mapping[str, str], *, global_mode: bool) -> list[tuple[str, str]]:
    """``(application, why)`` for each of pipx's applications that cannot run: its
    environment's interpreter is gone or is now another minor version.
    """
    where = venvs_dir(command, env, global_mode=global_mode)
    if where is None:
        return []
    try:
        names = sorted(n for n in os.listdir(where) if not n.startswith("."))
    except OSError:
        return []
    found = []
    for name in names:
        venv = os.path.join(where, name)
        if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
            why = problem(venv)
            if why is not None:
                found.append((name, why))
    return found


def reinstall_argv(command: Sequence[str], name: str, target: str, *, global_mode: bool,
                   offline: bool = False) -> list[str]:
    """``pipx reinstall`` of one application for the target interpreter."""
    return [*command, "reinstall", *(["--global"] if global_mode else []),
            *(["--skip-maintenance"] if offline else []), "--python", target, name]


def hint(command: Sequence[str], found: Sequence[tuple[str, str]], target: str, *, global_mode: bool) -> str:
    """The line a read-only command says about ``found``: what is wrong, what repairs it."""
    which = "; ".join(f"{name}: {why}" for name, why in found)
    by_hand = " and ".join(f"`{shlex.join(shown(reinstall_argv(command, n, target, global_mode=global_mode)))}`" for n, _ in found)
    noun = "application" if len(found) == 1 else "applications"
    return (f"pipx's {noun} cannot run ({which}); `safepip repair` reinstalls "
            f"{'it' if len(found) == 1 else 'them'} for {target} (or by hand: {by_hand})")


def repair(
    env: Mapping[str, str],
    target: str,
    say: Callable[[str, str], object],
    call: Callable[[Sequence[str], Mapping[str, str]], int],
    *,
    global_mode: bool,
    offline: bool = False,
) -> list[str] | None:
    """Reinstall every stale application for ``target``; return what could not be
    repaired (each as ``name: reason``, and said), None when nothing was stale (or there is
    no pipx).
    """
    from safepip.errors import NoTargetError

    try:
        command = pipx.command(env)
    except NoTargetError:
        return None
    found = stale(command, env, global_mode=global_mode)
    if not found:
        return None
    failed = []
    # Debian 12's pipx 1.1.0 has no --skip-maintenance: only a pipx that has it is given it.
    skip = offline and "--skip-maintenance" in pipx.features(command, env)
    for name, why in found:
        say(f"pipx's {name} cannot run ({why}): reinstalling it for {target}", "warning")
        code = call(reinstall_argv(command, name, target, global_mode=global_mode, offline=skip), env)
        where = venvs_dir(command, env, global_mode=global_mode)
        still = problem(os.path.join(where, name)) if where and os.path.isdir(os.path.join(where, name)) else None
        if code != 0 or still is not None or where is None or not os.path.isdir(os.path.join(where, name)):
            failed.append(f"{name}: {still or f'pipx reinstall exited with {code}'}")
    if failed:
        say(f"could not reinstall {len(failed)} of pipx's applications for {target}: {'; '.join(failed)}", "error")
    return failed
