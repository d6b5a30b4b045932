"""The one way through: :func:`resolve` turns a pip command line into one complete
:class:`Resolved` plan, :func:`execute` acts on it. ``install`` (every pip command),
``explain``, ``which``, ``run``, ``doctor`` and ``repair`` all resolve here, so that what
``explain`` shows (its "why" included) is what ``install`` executes.

::

    argv, environ --Session--> resolve:
        facts.gather ------------> Context (the call, the interpreter, the project, config, trust)
        decide.plan + settle ----> Plan (read again by the pip that will run it)
        outside a project: facts.apps --> decide_outside.route --> Plan with routes and steps
    execute:
        act.outside (steps, pipx) or act.flow (environment ready under its lock, pip exec'd)

Layers point one way: facts import no decision, decisions import no action, and act
imports neither this module nor the verbs.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from contextlib import AbstractContextManager
    from typing import Any, Iterator, Mapping

    from safepip.decide import Plan, Resolved
    from safepip.facts.gather import Context
    from safepip.session import Session


def resolve(args: list[str], session: Session, *, flags: Mapping[str, Any] | None = None,
            full: bool = False, pip_reads: bool = True) -> Resolved:
    """The complete plan for pip's ``args``: facts gathered, decided, read by the pip that
    will run it, and outside a project routed (the requirements' facts are gathered into a
    scratch directory that lives as long as ``session``). ``full`` reads every layer (doctor).
    ``pip_reads=False``: no pip will read ``args`` (``safepip run``'s bare ``install``, which
    every pip reads alike), so the environment's pip is not looked for (:func:`settle`).
    """
    from safepip.decide import USER_ENV, Resolved
    from safepip.facts.gather import gather
    from safepip.facts.pipargs import scan

    cwd = session.cwd  # the session's, read once
    ctx = gather(scan(args), session.environ, flags or {}, cwd=cwd, dirs=session.dirs, full=full,
                 debug=session.debug)
    ctx, plan = settle(ctx, session) if pip_reads else (ctx, decide(ctx))
    if plan.kind == USER_ENV:  # outside a project: each requirement may go its own way
        from safepip.decide_outside import needs_apps

        if needs_apps(ctx.call, plan):
            plan = _routed(ctx, plan, session)
    return Resolved(ctx, plan, tuple(args), flags)


def decide(ctx: Context) -> Plan:
    """Where the call the facts ``ctx`` describe goes (:func:`safepip.decide.plan`)."""
    from safepip.decide import plan

    return plan(
        ctx.call, ctx.interp, ctx.project, ctx.env, ctx.config, ctx.pip_settings, ctx.cwd,
        user_env=ctx.user_env, who=ctx.who, untrusted=ctx.untrusted,
    )


def runner_version(ctx: Context, planned: Plan) -> str | None:
    """The version of the pip that will run ``planned`` (None: unknown, or no pip runs)."""
    from safepip.decide import PASSTHROUGH, PROJECT_VENV, USER_ENV
    from safepip.facts import piptables
    from safepip.venv.layout import is_venv_dir, site_packages

    # An environment's site-packages listed here, then read by piptables (one visit to each).
    if planned.kind in (PROJECT_VENV, USER_ENV) and planned.env_dir:
        if not is_venv_dir(planned.env_dir):
            return piptables.seeded(ctx.interp.version)
        return piptables.in_sites(site_packages(planned.env_dir)) or piptables.own()
    if planned.kind != PASSTHROUGH:
        return None
    if planned.env_dir:
        return piptables.in_sites(site_packages(planned.env_dir)) or piptables.own()
    if planned.own_pip:
        return piptables.own()
    if ctx.interp.in_venv and ctx.interp.pip_dir is None:
        return piptables.in_sites(site_packages(ctx.interp.prefix))
    return piptables.in_directory(ctx.interp.pip_dir)


def _newer_note(version: str, session: Session) -> None:
    """SAFEPIP_DEBUG=1: say when a pip is newer than every stored table (the newest reads)."""
    from safepip.facts import _pipoptions
    from safepip.facts.piptables import release

    if release(version)[:2] > release(_pipoptions.PIP_VERSION)[:2]:
        session.say(f"pip {version} is newer than safepip's newest option table (pip {_pipoptions.PIP_VERSION}): "
                    "reading with that")


def settle(ctx: Context, session: Session) -> tuple[Context, Plan]:
    """The facts with the call read by the pip that will run it (options, abbreviations and
    value checks differ between pip versions), and the plan for them. A call the
    environment's pip would reject goes to that pip unchanged (it reports the error; nothing
    is created or changed).
    """
    from safepip.decide import PASSTHROUGH, PROJECT_VENV, USER_ENV, Plan
    from safepip.facts.pipargs import scan, table_version
    from safepip.venv.layout import is_venv_dir

    planned = decide(ctx)
    for _ in range(3):  # converges at once unless another reading sends the call elsewhere
        version = runner_version(ctx, planned)
        if version is not None and session.debug:
            _newer_note(version, session)
        if version is None or table_version(version) == ctx.call.pip_version:
            break
        ctx = ctx.replace_(call=scan(ctx.call.argv, version))
        if (ctx.call.error is not None and planned.kind in (PROJECT_VENV, USER_ENV) and planned.env_dir
                and is_venv_dir(planned.env_dir)):
            why = f"pip {version} in {planned.env_dir} will report: {ctx.call.error}"
            planned = Plan(PASSTHROUGH, why, tuple(ctx.call.argv), env_dir=planned.env_dir)
            break
        planned = decide(ctx)
    return ctx, planned


def _routed(ctx: Context, plan: Plan, session: Session) -> Plan:
    """``plan`` outside a project completed with its routes and steps, the requirements'
    facts gathered first (pip's reports go to a scratch directory that lives as long as
    the session).
    """
    from safepip.decide import PIPX
    from safepip.decide_outside import route, routes
    from safepip.facts.apps import gather_apps
    from safepip.runner import child_environ
    from safepip.venv.ownpip import metadata_pip_command

    environ = session.environ
    env = child_environ(environ, plan.env_changes, redirected=True)
    dest = session.stack.enter_context(scratch(environ))
    apps = gather_apps(
        ctx, env, session, dest, global_mode=plan.pipx_global,
        wants_pipx=lambda facts: any(r.to == PIPX for r in routes(ctx.call.positionals, ctx.config, facts)),
        metadata_pip=lambda: metadata_pip_command(environ),
    )
    exists = ctx.user_env.exists if ctx.user_env else False
    return route(ctx.call, plan, apps, ctx.interp.path, exists, ctx.config)


def execute(resolved: Resolved, session: Session) -> int:
    """Act on the plan: refuse; outside a project, run its steps (or list the per-user
    environment and pipx's applications); else prepare the environment and hand over to pip.
    """
    from safepip.act import flow

    ctx, plan = resolved.ctx, resolved.plan
    if plan.steps or plan.apps_to_pipx:  # outside a project: more than one hand-over, or pipx's part
        flow.refuse(plan)  # (the pip flow refuses first thing: flow.prepare)
        from safepip.act import outside
        from safepip.venv.layout import floor_umask

        floor_umask()  # the per-user environment (and pipx's) as any safepip chose: never writable by others
        if plan.steps:
            return outside.execute(ctx, plan, session)
        if ctx.call.command in ("list", "freeze"):
            return outside.list_all(ctx, plan, session)
        if ctx.call.command == "install":  # pip installs (from a requirements file...): the apps first
            outside.repair_apps(ctx, plan, session, offline=ctx.call.has("--no-index"))
    if session.cleanup is not None:  # pip may be exec'd: nothing of the classification is left behind
        session.cleanup.close()
    return flow.run_pip(resolved, session)


#: Scratch directories older than this are swept by later calls (a run killed with SIGKILL
#: cannot clean its own).
SWEEP_AGE = 3600.0


def _sweep(base: str) -> None:
    import os
    import shutil
    import time

    try:
        entries = os.listdir(base)
    except OSError:
        return
    for entry in entries:
        path = os.path.join(base, entry)
        try:
            old = time.time() - os.lstat(path).st_mtime > SWEEP_AGE
        except OSError:
            continue
        if entry.startswith("classify-") and old:
            shutil.rmtree(path, ignore_errors=True)


def scratch(environ: Mapping[str, str]) -> AbstractContextManager[str]:
    """A scratch directory for the classifying pip runs, removed on the way out, on SIGINT,
    SIGTERM and SIGHUP too; older ones that a killed run left are swept first.
    """
    import contextlib  # here: only a classification needs it (with collections and functools, ms)

    return contextlib.contextmanager(_scratch)(environ)


def _scratch(environ: Mapping[str, str]) -> Iterator[str]:
    import os
    import shutil
    import signal
    import tempfile

    from safepip.paths import cache_dir, directory_problem

    base = os.path.join(cache_dir(environ), "downloads")
    # pip runs what it downloads here: a private directory, or the system's temporary one.
    private = directory_problem(base, cache_dir(environ), create=True) is None
    if private:
        _sweep(base)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signum)

    saved = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            saved[number] = signal.signal(number, interrupted)
    dest = tempfile.mkdtemp(prefix="classify-", dir=base if private else None)
    try:
        yield dest
    finally:
        shutil.rmtree(dest, ignore_errors=True)
        for number, handler in saved.items():
            signal.signal(number, handler)
