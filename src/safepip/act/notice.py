"""The one stderr line that says where the work went and why, with the plan's warnings."""

from __future__ import annotations

import os
from typing import Mapping

from safepip import ui
from safepip.decide import PASSTHROUGH, PROJECT_VENV, USER_ENV

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.decide import Plan
    from safepip.facts.gather import Context
    from safepip.session import Session
    from safepip.venv.ensure import Ready


def notice(ctx: Context, plan: Plan, ready: Ready | None, session: Session, *, how_to_use: bool = True) -> str:
    """The one stderr line saying where the work went and why (and the warnings); return
    what was written. After an install into an environment the shell does not have active,
    the line says how to use it (``how_to_use``: not for ``run``, which is using it).
    """
    environ = session.environ
    written = "".join(session.say(warning, "warning") for warning in plan.warnings)
    if ready is None or plan.kind == PASSTHROUGH:
        return written
    important = ready.created or ready.rebuilt is not None
    if ctx.config.quiet or (ctx.call.count("--quiet") and not important):
        return written
    where = ui.shortpath(ready.env_dir, environ)
    line = f"{plan.reason}; using {where}"
    if ready.rebuilt:
        line += f" (rebuilt: {ready.rebuilt})"
    elif ready.created:
        line += " (created)"
    notes = plan.notes + (plan.creation_notes if ready.created else ())
    for note in notes:
        line += "; " + note.replace(ready.env_dir, where)  # the path as the user would type it
    # A creation note (root's, from a script) already says how later commands reach it.
    told = ready.created and bool(plan.creation_notes)
    if how_to_use and not told and ctx.call.command == "install" and plan.kind in (PROJECT_VENV, USER_ENV):
        line += _how_to_use(ready.env_dir, environ)
    return written + session.say(line)


def _how_to_use(env_dir: str, environ: Mapping[str, str]) -> str:
    """How to run what was installed, unless the shell has the environment active already or
    activates it as soon as pip returns (shell-init's ``pip`` function says so).
    """
    # shell-init's variables (safepip.commands.activation: act does not import commands)
    active = environ.get("SAFEPIP_ACTIVATED")
    if environ.get("SAFEPIP_SHELL_ACTIVATES") == "1" or (active and os.path.realpath(active) == os.path.realpath(env_dir)):
        return ""
    python = ui.shortpath(os.path.join(env_dir, "bin", "python"), environ)
    return f"; use it with `safepip run COMMAND` or {python}, or let `safepip shell-init` activate it in your shell"
