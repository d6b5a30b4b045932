"""Outside any project: run the plan's steps (:mod:`safepip.decide_outside` made them):
libraries in the per-user environment, applications with pipx. ``list`` shows the
per-user environment, then pipx's applications. Every part runs to the end; the exit code
is the first failing part's, and a summary line says which part failed.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Sequence

from safepip import pipx
from safepip.act import pipxrepair
from safepip.act.flow import REPAIR_HINT, index_options, notice, pip_command
from safepip.decide import PIPX, Plan, Route
from safepip.errors import EX_CANTCREAT, EX_UNAVAILABLE, NoTargetError
from safepip.paths import on_path
from safepip.runner import call as _call
from safepip.runner import capture, child_environ
from safepip.session import shortpath
from safepip.steps import Step
from safepip.venv.ensure import broken_waiting, ensure, ready_at, repair_made
from safepip.venv.layout import has_pip
from safepip.venv.lock import EnvLock

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.facts.gather import Context
    from safepip.session import Session


@dataclass(frozen=True)
class Part:
    """One hand-over of a multi-part command and how it ended."""

    what: str
    where: str
    code: int


def _env(plan: Plan, session: Session) -> dict[str, str]:
    return child_environ(session.environ, plan.env_changes, redirected=True)


def _pipx_env(plan: Plan, session: Session) -> dict[str, str]:
    """pipx's environment: the plan's, without ``PIP_PYTHON``. pipx runs pip in each
    application's own environment, made for the target (its ``--python``); the per-user
    environment's interpreter that the plan names for its own pip (or the caller's
    ``PIP_PYTHON``, already taken as the target) would make that pip install elsewhere.
    """
    return child_environ(session.environ, {**plan.env_changes, "PIP_PYTHON": None}, redirected=True)


def user_env_command(plan: Plan, args: Sequence[str], env_python: str, session: Session) -> list[str]:
    """pip's command line for a step in the per-user environment (``explain`` shows it)."""
    assert plan.env_dir is not None
    # A new environment always gets pip; an existing one may have been made without.
    has = not os.path.isdir(plan.env_dir) or has_pip(plan.env_dir)
    return pip_command(plan.replace_(args=tuple(args)), env_python, env_has_pip=has, environ=session.environ)


def _user_env_pip(ctx: Context, plan: Plan, args: Sequence[str], session: Session, *, create: bool) -> int:
    """Run pip in the per-user environment (created when ``create``), under its lock."""
    assert plan.env_dir is not None
    say = session.say
    lock = EnvLock(plan.env_dir, session.dirs, say) if plan.lock else None
    if create:
        ready = ensure(plan.env_dir, ctx.interp, session.environ, say, lock, system_site_packages=True,
                       pip_options=index_options(ctx.call), dirs=session.dirs)
    else:
        ready = ready_at(plan.env_dir)
        if lock is not None:
            lock.acquire()
    try:
        notice(ctx, plan, ready, session)
        if create and not ready.created:  # what an interrupted pip left half-installed
            repair_made(ready.env_dir, session.environ, dirs=session.dirs)
        return _call(user_env_command(plan, args, ready.python, session), _env(plan, session))
    finally:
        if lock is not None:
            lock.release()


def _summary(parts: Sequence[Part], session: Session, quiet: bool) -> int:
    failed = [p for p in parts if p.code != 0]
    if len(parts) > 1 and (failed or not quiet):
        done = "; ".join(f"{p.what} -> {p.where}" for p in parts if p.code == 0)
        line = f"done: {done}" if done else "nothing was done"
        if failed:
            line += "; failed: " + "; ".join(f"{p.what} -> {p.where} (exit code {p.code})" for p in failed)
        session.say(line, "error" if failed else "notice")
    return failed[0].code if failed else 0


def _show_bin_dir(command: Sequence[str], plan: Plan, session: Session, quiet: bool) -> None:
    where = pipx.bin_dir(command, _pipx_env(plan, session), global_mode=plan.pipx_global)
    if where is None:
        return
    if on_path(where, session.environ):
        if quiet:
            return
        session.say(f"the application's commands are in {shortpath(where, session.environ)}", "notice")
    else:
        hint = "add it to PATH" if plan.pipx_global else "run `pipx ensurepath` and open a new shell"
        session.say(f"the application's commands are in {shortpath(where, session.environ)}, which is not on PATH: {hint}",
                    "warning")


def _where(route: Route, plan: Plan, session: Session) -> str:
    if route.to == PIPX:
        return "pipx --global" if plan.pipx_global else "pipx"
    return shortpath(plan.env_dir or "", session.environ)


def _say_routes(plan: Plan, session: Session, quiet: bool) -> None:
    if quiet:
        return
    for route in plan.routes:
        line = f"{route.requirement} -> {_where(route, plan, session)}: {route.why}"
        if route.other:
            line += f" (the other way: {route.other})"
        session.say(line, "notice")


def _link(plan: Plan, names: Sequence[str], session: Session, quiet: bool) -> None:
    from safepip.act.links import expose, link_dir

    if not names or plan.env_dir is None:
        return
    where = link_dir(session.environ, plan.pipx_global)
    made = expose(plan.env_dir, list(names), where, lambda m: session.say(m, "warning"))
    if not made:
        return
    commands = ", ".join(os.path.basename(m) for m in made)
    if not on_path(where, session.environ):
        session.say(f"linked {commands} into {shortpath(where, session.environ)}, which is not on PATH: add it to PATH",
                    "warning")
    elif not quiet:
        session.say(f"linked {commands} into {shortpath(where, session.environ)}", "notice")


def _unlink(plan: Plan, names: Sequence[str], session: Session) -> None:
    from safepip.act.links import unexpose

    if not names or plan.env_dir is None:
        return
    for link in unexpose(plan.env_dir, list(names)):
        session.say(f"removed the link {shortpath(link, session.environ)}", "notice")


def _pipx_step(step: Step, plan: Plan, session: Session, installing: bool) -> int:
    """One pipx run; for an install, one pipx left half-done is done again, and a success
    pipx reports is checked.
    """
    env = _pipx_env(plan, session)
    argv = step.args
    name = step.names[0] if installing and step.names else None
    command = _pipx_of(step.args)
    if name is not None and step.again:
        why = pipx.broken(command, env, name, global_mode=plan.pipx_global)
        if why is not None:
            session.say(f"pipx's install of {name} is incomplete ({why}): installing it again", "warning")
            argv = step.again
    code = _call(argv, env)
    if code == 0 and name is not None:
        why = pipx.broken(command, env, name, global_mode=plan.pipx_global)
        if why is not None:
            session.say(f"pipx finished, but its install of {name} is incomplete ({why})", "error")
            return 1
    return code


def execute(ctx: Context, plan: Plan, session: Session) -> int:
    """Run the plan's steps in order, each to the end; the exit code is the first failing
    step's, and a summary line says which part failed. After pip's install the libraries'
    commands are linked onto PATH; after its uninstall their links are removed.
    """
    from safepip.steps import PIP

    quiet = ctx.config.quiet
    installing = ctx.call.command == "install"
    _say_routes(plan, session, quiet or "--quiet" in ctx.call.given)
    parts: list[Part] = []
    if installing and plan.apps_to_pipx:
        part = repair_apps(ctx, plan, session, offline=ctx.call.has("--no-index"))
        if part is not None:
            parts.append(part)
    pipx_done = False
    for step in plan.steps:
        for warning in step.warnings:
            session.say(warning, "warning")
        if step.tool == PIP:
            where = shortpath(step.where, session.environ)
            if step.skip is not None:
                session.say(step.skip.replace(step.where, where), "warning")
                code = 0
            else:
                code = _user_env_pip(ctx, plan, step.args, session, create=step.create)
                if code == 0:
                    if installing:
                        _link(plan, step.names, session, quiet)
                    else:
                        _unlink(plan, step.names, session)
            parts.append(Part(step.what, where, code))
            continue
        if step.notice and not quiet:
            session.say(step.notice, "notice")
        code = _pipx_step(step, plan, session, installing)
        parts.append(Part(step.what, step.where, code))
        pipx_done = pipx_done or (code == 0 and installing)
    if pipx_done:
        command = next(a for a in plan.steps if a.tool != PIP).args
        _show_bin_dir(_pipx_of(command), plan, session, quiet)
    return _summary(parts, session, quiet)


def _pipx_of(argv: Sequence[str]) -> list[str]:
    """The pipx command at the start of a pipx step's argv (up to its subcommand)."""
    for at, word in enumerate(argv):
        if word in ("install", "upgrade", "uninstall"):
            return list(argv[:at])
    return list(argv)


def list_all(ctx: Context, plan: Plan, session: Session) -> int:
    """``list`` outside a project: the per-user environment, then (a heading on stderr)
    the applications pipx manages.
    """
    call = ctx.call  # the facts already hold the scanned command line: no second scan
    assert ctx.user_env is not None
    env_dir, exists = ctx.user_env.path, ctx.user_env.exists
    code = 0
    why = broken_waiting(env_dir, session.environ, session.say, dirs=session.dirs) if exists else None
    if why is not None:  # a read-only command never rebuilds: it says what repairs it
        session.say(f"{env_dir} cannot be used: {why}; {REPAIR_HINT}", "error")
        code = EX_UNAVAILABLE
    elif exists:
        code = _user_env_pip(ctx, plan, plan.args, session, create=False)
    else:
        session.say(f"no per-user environment yet ({shortpath(env_dir, session.environ)}); "
               "`safepip install NAME` outside a project creates it", "notice")
    freeze = call.command == "freeze"
    if call.last("--format") not in (None, "columns") or freeze:
        what = "freeze's output" if freeze else "this format"
        session.say(f"applications installed with pipx are not part of {what}: see `pipx list`", "notice")
        return code
    try:
        command = pipx.command(session.environ)
    except NoTargetError:
        return code
    try:
        done = capture([*command, "list", "--short", *(["--global"] if plan.pipx_global else [])], _pipx_env(plan, session))
    except OSError:
        done = None
    lines = [line for line in done.stdout.splitlines() if line.strip()] if done and done.returncode == 0 else []
    found = pipxrepair.stale(command, _pipx_env(plan, session), global_mode=plan.pipx_global)
    if not lines and not found:
        session.say("no applications installed with pipx", "notice")
        return code
    if lines:
        session.say("applications installed with pipx:", "notice")
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        sys.stdout.flush()
    if found:
        session.say(pipxrepair.hint(command, found, ctx.interp.path, global_mode=plan.pipx_global), "warning")
    return code


def repair_apps(ctx: Context, plan: Plan, session: Session, *, offline: bool) -> Part | None:
    """Reinstall pipx's applications whose interpreter vanished, for the target (before an
    install outside a project, and in ``safepip repair``); None: there was nothing to do.
    """
    failed = pipxrepair.repair(
        _pipx_env(plan, session), ctx.interp.path, session.say, _call,
        global_mode=plan.pipx_global, offline=offline,
    )
    if failed is None:
        return None
    where = "pipx --global" if plan.pipx_global else "pipx"
    return Part("reinstall of the applications whose Python is gone", where, EX_CANTCREAT if failed else 0)
