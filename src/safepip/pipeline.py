"""The pipeline, facts to plan: :func:`decide_call` is what both ``install`` and ``explain``
run, so that what ``explain`` shows is what ``install`` executes.

::

    argv, cwd, environ --facts.gather--> Context --decide.plan--> Plan
        (an install outside a project: --facts.apps--> AppFacts --decide.routes, decide_outside.route--> Plan with steps)
    Plan --act.flow / act.outside--> environment ready, pip or pipx run through act.run
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.decide import Plan
    from safepip.facts.gather import Context


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


@contextlib.contextmanager
def scratch(environ: Mapping[str, str]) -> Iterator[str]:
    """A scratch directory for the classifying pip runs, removed on the way out, on SIGINT,
    SIGTERM and SIGHUP too; older ones that a killed run left are swept first.
    """
    import os
    import shutil
    import signal
    import tempfile

    from safepip.paths import cache_dir
    from safepip.safefs import directory_problem

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


def decide_call(ctx: Context, environ: Mapping[str, str], stack: contextlib.ExitStack[bool | None] | None) -> Plan:
    """The complete plan for ``ctx``. Outside a project this gathers the routing facts
    (pip's reports go to a scratch directory that lives as long as ``stack``) and completes
    the plan with its routes and steps.
    Without a ``stack`` no routing facts are gathered.
    """
    from safepip.decide_outside import needs_apps, route, routes
    from safepip.plans import PIPX

    plan = ctx.plan()
    if stack is None or not needs_apps(ctx.call, plan):
        return plan
    from safepip.act.run import child_environ
    from safepip.facts.apps import gather_apps

    env = child_environ(environ, plan.env_changes, redirected=True)
    dest = stack.enter_context(scratch(environ))
    apps = gather_apps(ctx, env, environ, dest, global_mode=plan.pipx_global, wants_pipx=lambda facts: any(
        r.to == PIPX for r in routes(ctx.call.positionals, ctx.config, facts)))
    exists = ctx.user_env.exists if ctx.user_env else False
    return route(ctx.call, plan, apps, ctx.interp.path, exists, ctx.config)
