"""The one stderr line that says where the work went and why, with the plan's warnings."""

from __future__ import annotations

from typing import Mapping

from safepip import ui
from safepip.decide import PASSTHROUGH, USER_ENV

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.act.envs import Ready
    from safepip.decide import Plan
    from safepip.facts.gather import Context


def notice(ctx: Context, plan: Plan, ready: Ready | None, environ: Mapping[str, str]) -> str:
    """The one stderr line saying where the work went and why (and the warnings); return
    what was written.
    """
    written = "".join(ui.say(warning, "warning", environ) for warning in plan.warnings)
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
    if plan.kind == USER_ENV and ctx.call.command == "install":
        line += ", or `safepip run COMMAND`"
    return written + ui.say(line, "notice", environ)
