"""``safepip repair [PIP-OPTIONS]``: rebuild a broken environment, keeping what it holds.

The same repair ``safepip install`` does before it installs (see :mod:`safepip.venv.rebuild`),
without installing anything else: an environment whose interpreter is gone or changed
minor version is rebuilt and every distribution it held is installed again; a rebuild a
killed process left unfinished is finished; distributions an interrupted pip left without
``RECORD`` are cleared for pip to install again. Outside a project the per-user environment is
repaired so, and pipx's applications whose interpreter vanished are reinstalled for the target
(see :mod:`safepip.act.pipxrepair`). Options that tell pip where to find
distributions (``--index-url``, ``--find-links``, ``--no-index``...) are given to the reinstall.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.decide import Plan
    from safepip.facts.gather import Context
    from safepip.facts.pipargs import PipCall
    from safepip.session import Session

USAGE = """usage: safepip repair [--python PYTHON] [PIP-INDEX-OPTIONS...]

Rebuild the environment safepip installs into when it is broken (its Python was
upgraded or removed, a rebuild was interrupted), reinstalling every distribution it
held and keeping .venv/src and your own files; outside a project, also pipx's
applications whose Python is gone (reinstalled for the target). pip's --index-url, --extra-index-url,
--find-links, --no-index, --trusted-host, --cert, --pre... are used for the reinstall.
"""


def main(args: list[str], session: Session) -> int:
    """Repair the environment; return 0 (or raise the error that says what is left)."""
    from safepip.act.flow import index_options, refuse
    from safepip.decide import PROJECT_VENV, USER_ENV
    from safepip.errors import NoTargetError, UsageError
    from safepip.facts.pipargs import scan
    from safepip.session import shortpath
    from safepip.venv.ensure import ensure, pending, repair
    from safepip.venv.lock import EnvLock
    from safepip.venv.state import COMPLETE, state

    from .args import split_verb_flags
    from .target import install_plan

    rest, flags = split_verb_flags(args)
    if "-h" in rest or "--help" in rest:
        sys.stdout.write(USAGE)
        return 0
    call = scan(["install", *rest])
    if call.error is not None or call.positionals:
        raise UsageError(f"safepip repair: {call.error or 'takes no requirements'} (see safepip repair --help)")
    if call.last("--python") == "":
        from .args import EMPTY

        raise UsageError(f"safepip repair: --python: {EMPTY}")
    resolved = install_plan(session, flags, call.last("--python"))
    ctx, plan = resolved.ctx, resolved.plan
    refuse(plan)  # where install refuses, so does repair (a root or trust rule: 77)
    if plan.kind not in (PROJECT_VENV, USER_ENV) or plan.env_dir is None:
        raise NoTargetError(f"nothing to repair: {plan.reason} (safepip repairs only the environments it makes)")
    say = session.say
    outside = plan.kind == USER_ENV
    if outside and not os.path.lexists(plan.env_dir) and not pending(plan.env_dir, dirs=session.dirs):
        session.say(f"{shortpath(plan.env_dir, session.environ)}: nothing to repair (no per-user environment)", "notice")
        return _apps(ctx, plan, call, session)
    lock = EnvLock(plan.env_dir, session.dirs, say)
    try:
        ready = ensure(
            plan.env_dir, ctx.interp, session.environ, say, lock, system_site_packages=plan.system_site,
            pip_options=index_options(call), dirs=session.dirs,
        )
        torn: list[str] = []
        if state(ready.env_dir, dirs=session.dirs) == COMPLETE and not ready.created:
            torn = repair(ready.env_dir, lambda m: session.say(m, "warning"))
    finally:
        lock.release()
    where = shortpath(ready.env_dir, session.environ)
    if ready.rebuilt:
        session.say(f"{where}: rebuilt ({ready.rebuilt}), everything it held reinstalled", "notice")
    elif ready.created:
        session.say(f"{where}: created", "notice")
    elif not torn:
        session.say(f"{where}: nothing to repair", "notice")
    return _apps(ctx, plan, call, session) if outside else 0


def _apps(ctx: Context, plan: Plan, call: PipCall, session: Session) -> int:
    """Outside a project: reinstall pipx's applications whose interpreter vanished."""
    if not plan.apps_to_pipx:
        return 0
    from safepip.act.outside import repair_apps

    part = repair_apps(ctx, plan, session, offline=call.has("--no-index"))
    if part is None:
        session.say(f"{'pipx --global' if plan.pipx_global else 'pipx'}: nothing to repair", "notice")
        return 0
    if part.code == 0:
        session.say(f"{part.where}: reinstalled the applications whose Python was gone", "notice")
    return part.code
