"""``safepip doctor [--json]``: everything safepip knows and would decide, in one report.

The target interpreter and how it was chosen; whether it is externally managed, with the
marker's path and the distribution's own message; venv and conda status; the project root
and why; the environment safepip would use and its health; pipx; whether shell-init is
configured (in the shells' startup files) and active in this shell; every configuration value
with the layer it came from. Nothing is created or changed, and nothing a trust rule
refuses is run (the refusal is reported, with how to trust it). The JSON form has a
documented schema (docs/commands.md) with a ``schema_version``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.paths import Dirs
    from safepip.session import Session

SCHEMA_VERSION = 1


def _python_runs(python: str) -> bool:
    """Whether the environment's interpreter starts and answers safepip's probe."""
    from safepip.errors import InterpreterError
    from safepip.facts.interpreter import run_probe

    try:
        run_probe(python)
    except InterpreterError:
        return False
    return True


def _environment(ctx: Any, plan: Any, dirs: Dirs) -> dict[str, Any]:
    from safepip.decide import PASSTHROUGH, REFUSE
    from safepip.venv.layout import bin_python, has_pip, is_venv_dir
    from safepip.venv.state import problem, state

    data: dict[str, Any] = {
        "decision": plan.kind,
        "why": plan.why,
        "message": plan.reason if plan.kind == REFUSE else None,
        "path": None,
        "exists": False,
        "python": None,
        "python_runs": None,
        "pip": None,
        "state": None,
        "problem": None,
    }
    if plan.kind == REFUSE:
        return data
    if plan.env_dir is not None and plan.kind != PASSTHROUGH:
        env_dir, python = plan.env_dir, bin_python(plan.env_dir)
        exists = is_venv_dir(env_dir)
        pip = has_pip(env_dir) if exists else None
    else:  # pip works on the interpreter's own environment
        env_dir, python, exists, pip = ctx.interp.prefix, ctx.interp.path, True, ctx.interp.has_pip
    data.update(path=env_dir, exists=exists, python=python, pip=pip)
    if plan.env_dir is not None and plan.kind != PASSTHROUGH:
        from safepip.errors import EnvironmentCreateError
        from safepip.venv.ensure import check_path

        try:
            check_path(env_dir, dirs=dirs)  # what every other command refuses (``.venv -> .``): reported
        except EnvironmentCreateError as exc:
            data["problem"] = str(exc)
            return data
    if exists:
        data["python_runs"] = _python_runs(python)
        if env_dir != ctx.interp.prefix or ctx.interp.in_venv:
            data["state"] = state(env_dir, dirs=dirs)
            data["problem"] = problem(env_dir, dirs=dirs) if is_venv_dir(env_dir) else None
    return data


def _pipx(environ: Mapping[str, str]) -> dict[str, Any]:
    import shutil

    path_var = environ.get("PATH", os.defpath)
    home = environ.get("HOME") or os.path.expanduser("~")
    # pipx's own default on POSIX; PIPX_BIN_DIR overrides it.
    bin_dir = environ.get("PIPX_BIN_DIR") or os.path.join(home, ".local", "bin")
    from safepip.paths import on_path

    return {"path": shutil.which("pipx", path=path_var), "bin_dir": bin_dir, "bin_dir_on_path": on_path(bin_dir, environ)}


def _shell_init(environ: Mapping[str, str]) -> dict[str, Any]:
    """Whether shell-init's code ran in this shell, and which startup files load it."""
    from safepip.commands.shellinit import MARK
    from safepip.commands.shellrc import configured_in

    active = environ.get(MARK) or None
    return {"active": active, "configured": [{"file": f, "line": n} for f, n in configured_in(environ)]}


def _problems(data: dict[str, Any]) -> list[str]:
    found = []
    managed = data["managed"]
    if managed["problem"]:
        found.append(
            f"the marker {managed['marker']} cannot be read ({managed['problem']}); pip still treats it as managed"
        )
    env = data["environment"]
    if env["decision"] == "refuse":
        found.append(env["message"])
    if env["exists"] and env["python_runs"] is False:
        found.append(f"{env['python']} does not run")
    if env["problem"]:
        from safepip.act.flow import REPAIR_HINT

        hint = f"; {REPAIR_HINT}" if env.get("state") is not None else ""  # safepip rebuilds only its own
        found.append(f"{env['path']} cannot be used as it is: {env['problem']}{hint}")
    if env["exists"] and env["pip"] is False and env["decision"] != "passthrough":
        found.append(f"{env['path']} has no pip (safepip drives it with its own pip)")
    shell = data["shell_init"]
    if shell["configured"] and not shell["active"]:
        where = ", ".join(f"{c['file']}:{c['line']}" for c in shell["configured"])
        found.append(
            f"shell-init is configured ({where}) but not active in this shell: did that line find safepip? "
            "(a login shell reads ~/.bashrc before ~/.profile puts ~/.local/bin on PATH); put there instead the "
            "line `safepip shell-init --rc` prints, which names safepip by its path, then start a new shell"
        )
    if data["pipx"]["path"] and not data["pipx"]["bin_dir_on_path"]:
        found.append(
            f"pipx's bin directory {data['pipx']['bin_dir']} is not on PATH: apps it installs will not be found"
        )
    return found


def report(session: Session, flags: Mapping[str, Any], python: str | None) -> dict[str, Any]:
    """The whole report as a JSON-able dict (the documented schema)."""
    environ = session.environ
    from safepip import __version__
    from safepip.commands.explain import untrusted_json
    from safepip.commands.target import install_plan
    from safepip.facts.config import DEFAULTS
    from safepip.paths import user_config_file

    resolved = install_plan(session, flags, python, full=True)
    ctx, plan = resolved.ctx, resolved.plan
    interp = ctx.interp
    config_file = user_config_file(environ)
    values = {}
    for key in DEFAULTS:
        value = getattr(ctx.config, key)
        values[key] = {"value": list(value) if isinstance(value, tuple) else value, "origin": ctx.config.origin[key]}
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "safepip": {"version": __version__, "python": sys.executable},
        "interpreter": {
            "path": interp.path,
            "how": interp.how,
            "version": interp.version_str,
            "implementation": interp.implementation,
            "prefix": interp.prefix,
            "base_prefix": interp.base_prefix,
            "in_venv": interp.in_venv,
            "conda": interp.conda,
            "pip": interp.has_pip,
            "probed": interp.probed,
        },
        "active": {
            "VIRTUAL_ENV": environ.get("VIRTUAL_ENV") or None,
            "CONDA_PREFIX": environ.get("CONDA_PREFIX") or None,
        },
        "managed": {
            "managed": interp.managed,
            "marker": interp.marker,
            "message": interp.marker_message,
            "problem": interp.marker_problem,
            "distributor": interp.distributor,
        },
        "project": None if ctx.project is None else {"root": ctx.project.root, "why": ctx.project.why},
        "environment": _environment(ctx, plan, session.dirs),
        "pipx": _pipx(environ),
        "shell_init": _shell_init(environ),
        "config": {"file": config_file, "file_exists": os.path.isfile(config_file), "values": values},
        "untrusted": untrusted_json(plan),
    }
    data["problems"] = _problems(data)
    return data


def _shell_init_line(shell: dict[str, Any]) -> str:
    where = ", ".join(f"{c['file']}:{c['line']}" for c in shell["configured"])
    if shell["active"]:
        return f"shell-init   active in this shell ({shell['active']})" + (f"; loaded by {where}" if where else "")
    if where:
        return f"shell-init   configured in {where}; NOT active in this shell"
    return "shell-init   not configured (pip typed in the shell is not safepip; see safepip shell-init --help)"


def _text(data: dict[str, Any]) -> str:
    from safepip.facts.interpreter import pip_lines

    interp, managed, env = data["interpreter"], data["managed"], data["environment"]
    out = [f"safepip {data['safepip']['version']} (running on {data['safepip']['python']})", ""]
    if not interp["probed"]:  # a trust rule stopped the facts before it ran
        out.append(f"interpreter  {interp['path'] or '(none)'} (not run; chosen by {interp['how']})")
    else:
        out.append(f"interpreter  {interp['path']} (Python {interp['version']}, chosen by {interp['how']})")
    kind = (
        "a virtual environment"
        if interp["in_venv"]
        else "a conda environment"
        if interp["conda"]
        else "not a virtual environment"
    )
    if interp["probed"]:
        out.append(f"             {kind}; prefix {interp['prefix']}; pip {'present' if interp['pip'] else 'absent'}")
    for name, value in data["active"].items():
        if value:
            out.append(f"             {name}={value}")
    if not interp["probed"]:
        out.append("managed      unknown (the interpreter was not run)")
    elif managed["managed"]:
        who = f" by {managed['distributor']}" if managed["distributor"] else ""
        out.append(f"managed      yes{who}: {managed['marker']}")
        # Line for line as pip shows it under its "╰─>": blank lines kept, the first one too
        # (Alpine's and Gentoo's message starts on the line after "Error=").
        out.extend(f"             | {line}".rstrip() for line in pip_lines(managed["message"] or ""))
    else:
        out.append("managed      no")
    project = data["project"]
    out.append(
        f"project      {project['root']} ({project['why']})" if project else "project      none (not inside a project)"
    )
    out.append(f"decision     {env['decision']}: {env['why']}")
    if data["untrusted"]:
        out.append(f"not trusted  {data['untrusted']['python'] or data['untrusted']['path']}: {data['untrusted']['trust']}")
    if env["path"]:
        if env["exists"]:
            health = [
                "python runs" if env["python_runs"] else "python DOES NOT RUN",
                "pip present" if env["pip"] else "no pip" if env["pip"] is False else "",
            ]
            if env["state"]:
                health.append(f"safepip-made, {env['state']}")
            out.append(f"environment  {env['path']} ({', '.join(h for h in health if h)})")
        else:
            out.append(f"environment  {env['path']} (does not exist yet; created on first install or run)")
    pipx = data["pipx"]
    where = pipx["path"] or "not found"
    out.append(
        f"pipx         {where}; bin directory {pipx['bin_dir']} {'on' if pipx['bin_dir_on_path'] else 'NOT on'} PATH"
    )
    out.append(_shell_init_line(data["shell_init"]))
    cfg = data["config"]
    out.append(f"config file  {cfg['file']}{'' if cfg['file_exists'] else ' (none)'}")
    for key, item in cfg["values"].items():
        out.append(f"  {key:<9} {json.dumps(item['value'])}  ({item['origin']})")
    out.append("")
    if data["problems"]:
        out.extend(f"problem: {p}" for p in data["problems"])
    else:
        out.append("no problems found")
    return "\n".join(out) + "\n"


def main(args: list[str], session: Session) -> int:
    """Print the report (``--json``: as JSON). Exit 0 even when it lists problems."""
    from safepip.commands.args import given, parse, parser, split_verb_flags

    rest, flags = split_verb_flags(args)
    p = parser(
        "doctor", "Show what safepip sees and would decide here, and every configuration value's origin."
    )
    p.add_argument("--json", action="store_true", help="print a JSON object (schema in docs/commands.md)")
    p.add_argument("--python", metavar="PYTHON", type=given, help="the target interpreter, as pip's own --python")
    ns = parse(p, rest)
    if isinstance(ns, int):
        return ns
    data = report(session, flags, ns.python)
    sys.stdout.write(json.dumps(data, indent=2) + "\n" if ns.json else _text(data))
    return 0
