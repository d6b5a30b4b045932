"""The pipeline, facts to plan: :func:`decide_call` is what both ``install`` and ``explain``
run, so that what ``explain`` shows is what ``install`` executes.

::

    argv, cwd, environ --facts.gather--> Context --decide.plan--> Plan
        (outside a project, apps = "pipx": --facts.apps--> AppFacts --decide_outside.route--> Plan with steps)
    Plan --act.flow / act.outside--> environment ready, pip or pipx run through act.run
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Iterator, Mapping

if TYPE_CHECKING:
    from safepip.decide import Plan
    from safepip.facts.gather import Context


@contextlib.contextmanager
def scratch(environ: Mapping[str, str]) -> Iterator[str]:
    """A scratch directory for classification downloads, removed afterwards."""
    import os
    import shutil
    import tempfile

    from safepip.paths import cache_dir
    from safepip.safefs import directory_problem

    base = os.path.join(cache_dir(environ), "downloads")
    # pip runs what it downloads here: a private directory, or the system's temporary one.
    private = directory_problem(base, cache_dir(environ), create=True) is None
    dest = tempfile.mkdtemp(prefix="classify-", dir=base if private else None)
    try:
        yield dest
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def decide_call(ctx: Context, environ: Mapping[str, str], stack: contextlib.ExitStack[bool | None] | None) -> Plan:
    """The complete plan for ``ctx``. Outside a project with ``apps = "pipx"`` this gathers
    the routing facts (classification downloads go to a scratch directory that lives as
    long as ``stack``: the install finds them there) and completes the plan with its steps.
    Without a ``stack`` no routing facts are gathered.
    """
    from safepip.decide_outside import needs_apps, route

    plan = ctx.plan()
    if stack is None or not needs_apps(ctx.call, plan):
        return plan
    from safepip.act.run import child_environ
    from safepip.facts.apps import gather_apps

    env = child_environ(environ, plan.env_changes, redirected=True)
    dest = stack.enter_context(scratch(environ))
    apps = gather_apps(ctx, env, environ, dest, global_mode=plan.pipx_global)
    exists = ctx.user_env[1] if ctx.user_env else False
    return route(ctx.call, plan, apps, ctx.interp.path, exists)
