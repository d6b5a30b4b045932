"""Outside any project: run the plan's steps (:mod:`safepip.decide_outside` made them):
libraries in the per-user environment, applications with pipx. ``list`` shows the
per-user environment, then pipx's applications. Every part runs to the end; the exit code
is the first failing part's, and a summary line says which part failed.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from safepip import ui
from safepip.act import pipx, pipxrepair
from safepip.act.command import pip_command
from safepip.act.notice import notice
from safepip.act.run import call as _call
from safepip.act.run import capture, child_environ
from safepip.decide import PIPX, Plan, Route
from safepip.errors import EX_CANTCREAT, EX_UNAVAILABLE, NoTargetError
from safepip.facts.gather import Context
from safepip.paths import on_path
from safepip.steps import Step
from safepip.venv.ensure import Ready, broken_waiting, ensure
from safepip.venv.layout import bin_python, has_pip
from safepip.venv.lock import EnvLock


@dataclass(frozen=True)
class Part:
    """One hand-over of a multi-part command and how it ended."""

    what: str
    where: str
    code: int


def _env(plan: Plan, environ: Mapping[str, str]) -> dict[str, str]:
    return child_environ(environ, plan.env_changes, redirected=True)


def _pipx_env(plan: Plan, environ: Mapping[str, str]) -> dict[str, str]:
    """pipx's environment: the plan's, without ``PIP_PYTHON``. pipx runs pip in each
    application's own environment, made for the target (its ``--python``); the per-user
    environment's interpreter that the plan names for its own pip (or the caller's
    ``PIP_PYTHON``, already taken as the target) would make that pip install elsewhere.
    """
    return child_environ(environ, {**plan.env_changes, "PIP_PYTHON": None}, redirected=True)


def user_env_command(plan: Plan, args: Sequence[str], env_python: str, environ: Mapping[str, str]) -> list[str]:
    """pip's command line for a step in the per-user environment (``explain`` shows it)."""
    assert plan.env_dir is not None
    # A new environment always gets pip; an existing one may have been made without.
    has = not os.path.isdir(plan.env_dir) or has_pip(plan.env_dir)
    return pip_command(replace(plan, args=tuple(args)), env_python, env_has_pip=has, environ=environ)


def _user_env_pip(ctx: Context, plan: Plan, args: Sequence[str], environ: Mapping[str, str], *, create: bool) -> int:
    """Run pip in the per-user environment (created when ``create``), under its lock."""
    assert plan.env_dir is not None
    say = lambda m: ui.say(m, "notice", environ)  # noqa: E731
    lock = EnvLock(plan.env_dir, environ, say) if plan.lock else None
    if create:
        from safepip.act.command import index_options

        ready = ensure(plan.env_dir, ctx.interp.path, environ, say, lock, system_site_packages=True,
                       pip_options=index_options(ctx.call))
    else:
        ready = Ready(plan.env_dir, bin_python(plan.env_dir))
        if lock is not None:
            lock.acquire()
    try:
        notice(ctx, plan, ready, environ)
        if create and not ready.created:  # what an interrupted pip left half-installed
            from safepip.venv.halfinstalled import repair_made

            repair_made(ready.env_dir, environ)
        return _call(user_env_command(plan, args, ready.python, environ), _env(plan, environ))
    finally:
        if lock is not None:
            lock.release()


def _summary(parts: Sequence[Part], environ: Mapping[str, str], quiet: bool) -> int:
    failed = [p for p in parts if p.code != 0]
    if len(parts) > 1 and (failed or not quiet):
        done = "; ".join(f"{p.what} -> {p.where}" for p in parts if p.code == 0)
        line = f"done: {done}" if done else "nothing was done"
        if failed:
            line += "; failed: " + "; ".join(f"{p.what} -> {p.where} (exit code {p.code})" for p in failed)
        ui.say(line, "error" if failed else "notice", environ)
    return failed[0].code if failed else 0


def _show_bin_dir(command: Sequence[str], plan: Plan, environ: Mapping[str, str], quiet: bool) -> None:
    where = pipx.bin_dir(command, _pipx_env(plan, environ), global_mode=plan.pipx_global)
    if where is None:
        return
    if on_path(where, environ):
        if quiet:
            return
        ui.say(f"the application's commands are in {ui.shortpath(where, environ)}", "notice", environ)
    else:
        hint = "add it to PATH" if plan.pipx_global else "run `pipx ensurepath` and open a new shell"
        ui.say(f"the application's commands are in {ui.shortpath(where, environ)}, which is not on PATH: {hint}",
               "warning", environ)


def _where(route: Route, plan: Plan, environ: Mapping[str, str]) -> str:
    if route.to == PIPX:
        return "pipx --global" if plan.pipx_global else "pipx"
    return ui.shortpath(plan.env_dir or "", environ)


def _say_routes(plan: Plan, environ: Mapping[str, str], quiet: bool) -> None:
    if quiet:
        return
    for route in plan.routes:
        line = f"{route.requirement} -> {_where(route, plan, environ)}: {route.why}"
        if route.other:
            line += f" (the other way: {route.other})"
        ui.say(line, "notice", environ)


def _link(plan: Plan, names: Sequence[str], environ: Mapping[str, str], quiet: bool) -> None:
    from safepip.act.links import expose, link_dir

    if not names or plan.env_dir is None:
        return
    where = link_dir(environ, plan.pipx_global)
    made = expose(plan.env_dir, list(names), where, lambda m: ui.say(m, "warning", environ))
    if not made:
        return
    commands = ", ".join(os.path.basename(m) for m in made)
    if not on_path(where, environ):
        ui.say(f"linked {commands} into {ui.shortpath(where, environ)}, which is not on PATH: add it to PATH",
               "warning", environ)
    elif not quiet:
        ui.say(f"linked {commands} into {ui.shortpath(where, environ)}", "notice", environ)


def _unlink(plan: Plan, names: Sequence[str], environ: Mapping[str, str]) -> None:
    from safepip.act.links import unexpose

    if not names or plan.env_dir is None:
        return
    for link in unexpose(plan.env_dir, list(names)):
        ui.say(f"removed the link {ui.shortpath(link, environ)}", "notice", environ)


def _pipx_step(step: Step, plan: Plan, environ: Mapping[str, str], installing: bool) -> int:
    """One pipx run; for an install, one pipx left half-done is done again, and a success
    pipx reports is checked.
    """
    env = _pipx_env(plan, environ)
    argv = step.args
    name = step.names[0] if installing and step.names else None
    command = _pipx_of(step.args)
    if name is not None and step.again:
        why = pipx.broken(command, env, name, global_mode=plan.pipx_global)
        if why is not None:
            ui.say(f"pipx's install of {name} is incomplete ({why}): installing it again", "warning", environ)
            argv = step.again
    code = _call(argv, env)
    if code == 0 and name is not None:
        why = pipx.broken(command, env, name, global_mode=plan.pipx_global)
        if why is not None:
            ui.say(f"pipx finished, but its install of {name} is incomplete ({why})", "error", environ)
            return 1
    return code


def execute(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> int:
    """Run the plan's steps in order, each to the end; the exit code is the first failing
    step's, and a summary line says which part failed. After pip's install the libraries'
    commands are linked onto PATH; after its uninstall their links are removed.
    """
    from safepip.steps import PIP

    quiet = ctx.config.quiet
    installing = ctx.call.command == "install"
    _say_routes(plan, environ, quiet or bool(ctx.call.count("--quiet")))
    parts: list[Part] = []
    if installing and plan.apps_to_pipx:
        part = repair_apps(ctx, plan, environ, offline=ctx.call.has("--no-index"))
        if part is not None:
            parts.append(part)
    pipx_done = False
    for step in plan.steps:
        for warning in step.warnings:
            ui.say(warning, "warning", environ)
        if step.tool == PIP:
            where = ui.shortpath(step.where, environ)
            if step.skip is not None:
                ui.say(step.skip.replace(step.where, where), "warning", environ)
                code = 0
            else:
                code = _user_env_pip(ctx, plan, step.args, environ, create=step.create)
                if code == 0:
                    if installing:
                        _link(plan, step.names, environ, quiet)
                    else:
                        _unlink(plan, step.names, environ)
            parts.append(Part(step.what, where, code))
            continue
        if step.notice and not quiet:
            ui.say(step.notice, "notice", environ)
        code = _pipx_step(step, plan, environ, installing)
        parts.append(Part(step.what, step.where, code))
        pipx_done = pipx_done or (code == 0 and installing)
    if pipx_done:
        command = next(a for a in plan.steps if a.tool != PIP).args
        _show_bin_dir(_pipx_of(command), plan, environ, quiet)
    return _summary(parts, environ, quiet)


def _pipx_of(argv: Sequence[str]) -> list[str]:
    """The pipx command at the start of a pipx step's argv (up to its subcommand)."""
    for at, word in enumerate(argv):
        if word in ("install", "upgrade", "uninstall"):
            return list(argv[:at])
    return list(argv)


def list_all(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> int:
    """``list`` outside a project: the per-user environment, then (a heading on stderr)
    the applications pipx manages.
    """
    call = ctx.call  # the facts already hold the scanned command line: no second scan
    assert ctx.user_env is not None
    env_dir, exists = ctx.user_env.path, ctx.user_env.exists
    code = 0
    why = broken_waiting(env_dir, environ, lambda m: ui.say(m, "notice", environ)) if exists else None
    if why is not None:  # a read-only command never rebuilds: it says what repairs it
        from safepip.act.command import REPAIR_HINT

        ui.say(f"{env_dir} cannot be used: {why}; {REPAIR_HINT}", "error", environ)
        code = EX_UNAVAILABLE
    elif exists:
        code = _user_env_pip(ctx, plan, plan.args, environ, create=False)
    else:
        ui.say(f"no per-user environment yet ({ui.shortpath(env_dir, environ)}); "
               "`safepip install NAME` outside a project creates it", "notice", environ)
    freeze = call.command == "freeze"
    if call.last("--format") not in (None, "columns") or freeze:
        what = "freeze's output" if freeze else "this format"
        ui.say(f"applications installed with pipx are not part of {what}: see `pipx list`", "notice", environ)
        return code
    try:
        command = pipx.command(environ)
    except NoTargetError:
        return code
    try:
        done = capture([*command, "list", "--short", *(["--global"] if plan.pipx_global else [])], _pipx_env(plan, environ))
    except OSError:
        done = None
    lines = [line for line in done.stdout.splitlines() if line.strip()] if done and done.returncode == 0 else []
    found = pipxrepair.stale(command, _pipx_env(plan, environ), global_mode=plan.pipx_global)
    if not lines and not found:
        ui.say("no applications installed with pipx", "notice", environ)
        return code
    if lines:
        ui.say("applications installed with pipx:", "notice", environ)
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        sys.stdout.flush()
    if found:
        ui.say(pipxrepair.hint(command, found, ctx.interp.path, global_mode=plan.pipx_global), "warning", environ)
    return code


def repair_apps(ctx: Context, plan: Plan, environ: Mapping[str, str], *, offline: bool) -> Part | None:
    """Reinstall pipx's applications whose interpreter vanished, for the target (before an
    install outside a project, and in ``safepip repair``); None: there was nothing to do.
    """
    failed = pipxrepair.repair(
        _pipx_env(plan, environ), ctx.interp.path, lambda m, level: ui.say(m, level, environ), _call,
        global_mode=plan.pipx_global, offline=offline,
    )
    if failed is None:
        return None
    where = "pipx --global" if plan.pipx_global else "pipx"
    return Part("reinstall of the applications whose Python is gone", where, EX_CANTCREAT if failed else 0)


def run(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> int | None:
    """The commands that need more than one hand-over; None: the ordinary flow handles it."""
    if plan.steps or plan.apps_to_pipx:
        from safepip.venv.layout import floor_umask

        floor_umask()  # the per-user environment (and pipx's) as any safepip chose: never writable by others
    if plan.steps:
        return execute(ctx, plan, environ)
    if not plan.apps_to_pipx:
        return None
    if ctx.call.command in ("list", "freeze"):
        return list_all(ctx, plan, environ)
    if ctx.call.command == "install":  # pip installs (from a requirements file...): the apps first
        repair_apps(ctx, plan, environ, offline=ctx.call.has("--no-index"))
    return None
