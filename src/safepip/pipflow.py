"""The pip flow: gather facts, plan, prepare the environment, say where, hand over to pip."""

from __future__ import annotations

import os
import sys
from typing import Any, Mapping

from . import ui
from .context import Context, gather
from .decide import PASSTHROUGH, PROJECT_VENV, REFUSE, Plan
from .envs import EnvLock, Ready, ensure, has_pip
from .errors import NoTargetError
from .handoff import child_environ, pip_argv, run
from .pipargs import PipCall

HELP_SECTION = """
safepip:
  safepip runs pip where it is safe: when the target Python is externally managed
  (PEP 668), install, uninstall, list, freeze, show, check and inspect go to the
  project's virtual environment (created as .venv at the project root if needed).
  Everything else goes to pip unchanged. One line on stderr says where and why.

  Environment: SAFEPIP_PYTHON, SAFEPIP_POLICY, SAFEPIP_VENV, SAFEPIP_OUTSIDE,
  SAFEPIP_APPS, SAFEPIP_QUIET, SAFEPIP_DEBUG. Flags: --safepip-policy=auto|always|never,
  --safepip-venv=PATH, --safepip-outside=..., --safepip-quiet. Exit codes 64-78 are
  safepip's own (see the README); every other code is pip's.
"""


def notice(ctx: Context, plan: Plan, ready: Ready | None, environ: Mapping[str, str]) -> None:
    """The one stderr line saying where the work went and why (and the warnings)."""
    for warning in plan.warnings:
        ui.say(warning, "warning", environ)
    if ready is None or plan.kind == PASSTHROUGH:
        return
    important = ready.created or ready.rebuilt is not None
    if ctx.config.quiet or (ctx.call.count("--quiet") and not important):
        return
    where = ui.shortpath(ready.env_dir, environ)
    line = f"{plan.reason}; using {where}"
    if ready.rebuilt:
        line += f" (rebuilt: {ready.rebuilt})"
    elif ready.created:
        line += " (created)"
    for note in plan.notes:
        line += f"; {note}"
    ui.say(line, "notice", environ)


def prepare(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> tuple[list[str], EnvLock | None, Ready | None]:
    """Create or check the environment the plan needs; return pip's command line and the
    lock to keep through the hand-over."""
    if plan.kind == REFUSE:
        raise NoTargetError(plan.reason)
    if plan.env_dir is None:
        python = plan.python if plan.python and not plan.own_pip else sys.executable
        return pip_argv(python, plan.args), None, None
    lock = EnvLock(plan.env_dir, environ, lambda m: ui.say(m, "notice", environ)) if plan.lock else None
    if plan.kind == PROJECT_VENV:
        ready = ensure(plan.env_dir, ctx.interp.path, environ, lambda m: ui.say(m, "notice", environ), lock)
    else:  # pass-through that borrows the project environment's pip
        from .interpreter import bin_python

        ready = Ready(plan.env_dir, bin_python(plan.env_dir))
    if not has_pip(ready.env_dir):
        # An environment made without pip (uv venv, venv --without-pip): drive it with
        # safepip's own pip rather than change what the user made.
        return pip_argv(sys.executable, ["--python", ready.python, *plan.args]), lock, ready
    return pip_argv(ready.python, plan.args), lock, ready


def run_pip(args: list[str], environ: Mapping[str, str], flags: Mapping[str, Any], call: PipCall) -> int:
    """safepip's main job: run one pip command line where it belongs."""
    ctx = gather(call, environ, flags)
    plan = ctx.plan()
    if ctx.call.command is None and ctx.call.has("--version") and not ctx.call.has("--help"):
        from . import __version__

        sys.stdout.write(f"safepip {__version__} from {os.path.dirname(os.path.abspath(__file__))}\n")
    argv, lock, ready = prepare(ctx, plan, environ)
    notice(ctx, plan, ready, environ)
    env = child_environ(environ, plan.env_changes, redirected=plan.kind != PASSTHROUGH)
    wants_help = ctx.call.command is None and ctx.call.has("--help") or (
        ctx.call.command == "help" and not ctx.call.positionals
    )
    if wants_help:
        code = run(argv, env, replace=False)
        sys.stdout.write(HELP_SECTION)
        return code
    # The lock must cover pip's whole run: handed to pip through exec where it can be,
    # else held here while pip runs as a child.
    replace = lock is None or lock.keep_through_exec()
    try:
        return run(argv, env, replace=replace)
    finally:
        if lock is not None:
            lock.release()
