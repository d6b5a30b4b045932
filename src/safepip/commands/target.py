"""What the verbs share: "the environment safepip would install into", found through the
same plan as ``safepip install``, created only on request.
"""

from __future__ import annotations

import os

from safepip.errors import NoTargetError
from safepip.frozen import Frozen, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

    from safepip.decide import Plan, Resolved
    from safepip.facts.gather import Context
    from safepip.paths import Dirs
    from safepip.session import Session


def install_plan(
    session: Session, flags: Mapping[str, Any], python: str | None, *, full: bool = False
) -> Resolved:
    """The resolved plan of a plain ``pip install`` (optionally ``--python PYTHON``): where
    safepip would install is where ``run`` and ``which`` point. A bare ``install`` reads the
    same with every pip's options, so the environment's pip is not asked how it reads it;
    ``--python`` is one that older pips refuse, and they decide where that call goes.
    """
    from safepip.pipeline import resolve

    argv = ["--python", python, "install"] if python else ["install"]
    return resolve(argv, session, flags=flags, full=full, pip_reads=python is not None)


@record
class Target(Frozen):
    """The environment a plan points at: its directory, interpreter and scripts directory.

    ``venv`` says whether it is a virtual environment (``VIRTUAL_ENV`` is set only then);
    ``exists`` whether it is there now; ``problem`` why it cannot be used as it is.
    """

    env_dir: str
    python: str
    bin_dir: str
    venv: bool
    exists: bool = True
    problem: str | None = None
    created: bool = False


def locate(ctx: Context, plan: Plan, *, dirs: Dirs) -> Target:
    """Where ``plan`` would install, without creating anything. A refusal raises its error.
    ``dirs``: the session's directories (where the state files' key is).
    """
    from safepip.decide import PASSTHROUGH, REFUSE
    from safepip.venv.ensure import check_path, tree_broken
    from safepip.venv.layout import bin_python

    if plan.kind == REFUSE:  # the exit code install's refusal has (77 for a root or trust rule)
        raise NoTargetError(plan.reason, exit_code=plan.exit_code)
    if plan.env_dir is not None and plan.kind != PASSTHROUGH:
        # A path no command may use (``.venv -> .``): refused, even by which. Its tree, and whether
        # that is an environment, as the check found them.
        work, whole = check_path(plan.env_dir, dirs=dirs)
        python = bin_python(plan.env_dir)
        exists = whole
        if not exists:  # an interrupted rebuild goes on (its module is imported for this alone)
            from safepip.venv.ensure import pending

            exists = bool(pending(work, dirs=dirs))
        return Target(
            plan.env_dir,
            python,
            os.path.dirname(python),
            venv=True,
            exists=exists,
            # the path just checked, its tree just found: not again (venv.ensure.broken)
            problem=tree_broken(work, whole, dirs=dirs) if exists else None,
        )
    interp = ctx.interp
    return Target(
        interp.prefix,
        interp.path,
        interp.scripts or os.path.dirname(interp.path),
        venv=interp.in_venv,
    )


def ensure_target(ctx: Context, plan: Plan, session: Session) -> Target:
    """Where ``plan`` would install, created or repaired first if needed, exactly as
    ``safepip install`` would (same code; creation under the same lock). A whole
    environment is used without the lock: commands run in parallel (``make -j``) must not
    queue behind each other, and ordering them after an install is the Makefile's job.
    """
    target = locate(ctx, plan, dirs=session.dirs)
    if target.exists and target.problem is None:
        return target
    from safepip.act.flow import notice, prepare

    _, lock, ready = prepare(ctx, plan.replace_(lock=False), session)
    if lock is not None:  # pragma: no cover - no lock is asked for
        lock.release()
    if ready is None:
        return target
    if ready.created:
        notice(ctx, plan, ready, session, how_to_use=False)  # the caller is about to use it
    return Target(ready.env_dir, ready.python, os.path.dirname(ready.python), venv=True, created=ready.created)

