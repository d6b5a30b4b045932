"""``safepip explain [--json] <pip args>``: the decision for that exact pip command line
(what would run, where, and why) without doing anything.

It resolves the command line as the pip flow does (:func:`safepip.pipeline.resolve`); it only does not
act on the plan: no environment is created, no lock is taken, pip is not run. Where a trust
rule refuses (an interpreter that came with the repository, a directory someone else could
change), the refusal is the decision it reports, with how to trust it; it exits 0.
"""

from __future__ import annotations

import json
import shlex
import sys
from typing import Any, Mapping

from safepip.runner import shown

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.session import Session

SCHEMA_VERSION = 1

USAGE = """usage: safepip explain [--json] [--safepip-KEY=VALUE ...] PIP-ARGS...

Show what safepip would do with `safepip PIP-ARGS...` (where, which command, why),
without doing it. --json prints a JSON object (schema in docs/commands.md).
"""


def report(args: list[str], session: Session, flags: Mapping[str, Any]) -> dict[str, Any]:
    """The decision for pip's ``args`` as a JSON-able dict (the documented schema): the plan
    :func:`safepip.pipeline.resolve` makes, the one ``install`` executes.
    """
    from safepip.act.flow import pip_command
    from safepip.act.outside import user_env_command
    from safepip.decide import PASSTHROUGH, PIPX, PROJECT_VENV, REFUSE, USER_ENV
    from safepip.pipeline import resolve
    from safepip.steps import PIP
    from safepip.venv.layout import bin_python, has_pip, is_venv_dir

    environ = session.environ
    resolved = resolve(args, session, flags=flags)  # classification downloads live as long as the session
    ctx, plan = resolved.ctx, resolved.plan
    environment = None
    command: list[str] | None = None
    warnings = list(plan.warnings)
    if plan.env_dir is not None:
        exists = is_venv_dir(plan.env_dir)
        if plan.kind in (PROJECT_VENV, USER_ENV):
            from safepip.act.flow import READ_ONLY, REPAIR_HINT
            from safepip.venv.ensure import broken

            why = broken(plan.env_dir, dirs=session.dirs)
            if why is not None:  # what install would do first, or why a read-only command stops
                first = "stops" if ctx.call.command in READ_ONLY else "rebuilds it first"
                warnings.append(f"{plan.env_dir} cannot be used as it is: {why}; this command {first}; {REPAIR_HINT}")
        environment = {
            "path": plan.env_dir,
            "exists": exists,
            "would_create": not exists and plan.kind not in (PASSTHROUGH, PIPX),
        }
        # A new environment always gets pip; an existing one may have been made without.
        command = pip_command(plan, bin_python(plan.env_dir), env_has_pip=not exists or has_pip(plan.env_dir), environ=environ)
    elif plan.kind != REFUSE:
        command = pip_command(plan, None, env_has_pip=False, environ=environ)
    steps: list[dict[str, Any]] = [
        {
            "what": step.what,
            "where": step.where,
            "run": None if step.skip else (
                user_env_command(plan, step.args, bin_python(step.where), session) if step.tool == PIP
                else list(step.args)
            ),
            "skip": step.skip,
        }
        for step in plan.steps
    ]
    if plan.steps:
        command = steps[0]["run"] if len(steps) == 1 else None
    elif plan.kind == REFUSE:
        steps = []
    else:
        steps = [{"what": shlex.join(args), "where": plan.env_dir or ctx.interp.path, "run": command, "skip": None}]
    return {
        "schema_version": SCHEMA_VERSION,
        "argv": list(args),
        "command": ctx.call.command,
        "decision": plan.kind,
        "why": plan.why,
        "message": plan.reason or None,
        "interpreter": {
            "path": ctx.interp.path,
            "how": ctx.interp.how,
            "managed": ctx.interp.managed,
            "in_venv": ctx.interp.in_venv,
        },
        "project": None if ctx.project is None else {"root": ctx.project.root, "why": ctx.project.why},
        "environment": environment,
        "run": command,
        "steps": steps,
        "environment_changes": dict(plan.env_changes),
        "lock": plan.lock,
        "notes": list(plan.notes),
        "warnings": warnings,
        "exit_code": plan.exit_code if plan.kind == REFUSE else None,
        "requirements": [
            {"requirement": r.requirement, "name": r.name, "to": r.to, "why": r.why, "link_commands": r.expose}
            for r in plan.routes
        ],
        "untrusted": untrusted_json(plan),
    }


def untrusted_json(plan: Any) -> dict[str, Any] | None:
    """What a trust rule refuses (explain's and doctor's ``untrusted``), or None."""
    found = plan.untrusted
    if found is None:
        return None
    return {"what": found.what, "path": found.path, "why": found.why, "python": found.python, "trust": found.trust}


def _text(data: dict[str, Any]) -> str:
    lines = [f"pip args:    {shlex.join(data['argv']) or '(none)'}", f"decision:    {data['decision']}"]
    lines.append(f"why:         {data['why']}")
    interp = data["interpreter"]
    lines.append(f"target:      {interp['path']} (chosen by {interp['how']})")
    if data["project"]:
        lines.append(f"project:     {data['project']['root']} ({data['project']['why']})")
    env = data["environment"]
    if env:
        state = "exists" if env["exists"] else ("would be created" if env["would_create"] else "does not exist")
        lines.append(f"environment: {env['path']} ({state})")
    if data["run"] is not None:
        lines.append(f"would run:   {shlex.join(shown(data['run']))}")
    elif len(data["steps"]) > 1:
        for step in data["steps"]:
            what = f"skipped: {step['skip']}" if step["run"] is None else shlex.join(shown(step["run"]))
            lines.append(f"then:        {step['what']} -> {step['where']}: {what}")
    for name, value in data["environment_changes"].items():
        lines.append(f"with:        {name}={'(unset)' if value is None else value}")
    if data["lock"]:
        lines.append("lock:        held on the environment until pip exits")
    lines.extend(f"note:        {n}" for n in data["notes"])
    lines.extend(f"warning:     {w}" for w in data["warnings"])
    for route in data["requirements"]:
        linked = "; its commands linked onto PATH" if route["link_commands"] else ""
        lines.append(f"requirement: {route['requirement']} -> {route['to']} ({route['why']}{linked})")
    if data["exit_code"] is not None:
        lines.append(f"refused:     {data['message']}")
        if data["untrusted"]:
            lines.append(f"not run:     {data['untrusted']['python'] or data['untrusted']['path']}")
            lines.append(f"to trust it: {data['untrusted']['trust']}")
        lines.append(f"exit code:   {data['exit_code']}")
    return "\n".join(lines) + "\n"


def main(args: list[str], session: Session) -> int:
    """Print the decision for the pip command line in ``args``."""
    from safepip.facts.config import split_flags

    if not args or args in (["-h"], ["--help"]):  # explain's own help; any other -h is pip's
        sys.stdout.write(USAGE)
        return 0
    as_json = args[0] == "--json"
    if as_json:
        args = args[1:]
    rest, flags = split_flags(args)
    data = report(rest, session, flags)
    sys.stdout.write(json.dumps(data, indent=2) + "\n" if as_json else _text(data))
    return 0
