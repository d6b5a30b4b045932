"""What the pip flow remembers for the front door (see :mod:`safepip.remembered.store`): a
fast-path answer, or the route a call took to pip, with every path it depended on.
"""

from __future__ import annotations

import os

from safepip.decide import PASSTHROUGH, PROJECT_VENV, USER_ENV, Plan
from safepip.remembered.store import ANCHORED

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

    from safepip.facts.gather import Context
    from safepip.fastpath.answer import Answered
    from safepip.paths import Dirs
    from safepip.remembered.store import Lookup
    from safepip.venv.ensure import Ready


def remember_answer(
    args: list[str],
    ctx: Context,
    env: tuple[str, str] | None,
    environ: Mapping[str, str],
    answered: Answered | None,
    stderr: str,
    route: tuple[Any, ...] | None = None,
    extra: list[str] | None = None,
    stdout: str = "",
    anchored: bool = False,
    *,
    dirs: Dirs,
    lookup: Lookup | None = None,
) -> None:
    """Remember a fast-path answer, or a ``route`` to pip, with everything it depended on
    (see :mod:`safepip.remembered.store`, in the cache of ``dirs``: the session's): ``env``
    is the environment used (its directory and interpreter; :func:`environment`), ``extra``
    adds paths to the signatures. ``anchored``: a project's decision, remembered for the
    walk's anchor instead of this directory (:func:`safepip.facts.walkup.anchor`) when there is one.
    ``lookup``: what the call's own lookup worked out (the session's), taken instead of working it out again.
    """
    from safepip.remembered.store import remember
    from safepip.venv.state import STATE_FILE

    paths = list(ctx.reads.paths)
    owned = list(ctx.reads.owned)
    if env is not None:
        # The environment's own directory changes with use (uv's .lock): its files say what counts.
        env_dir, python = env
        owned.append(env_dir)
        paths.extend((os.path.join(env_dir, "pyvenv.cfg"), os.path.join(env_dir, STATE_FILE), python))
    if answered is not None:
        paths.extend(answered.paths)
        stdout = answered.stdout
    paths.extend(extra or ())
    cwd = ctx.cwd
    spot = _anchor(ctx, environ, lookup) if anchored else None
    if spot is not None:
        # What the walk read below the anchor (each directory's entries, pyenv's
        # .python-version): the front door checks it again wherever it is.
        cwd, below = spot[0], set(spot[1])
        args = [ANCHORED, *args]
        walked = below | {os.path.join(d, ".python-version") for d in below}
        paths = [p for p in paths if p not in walked]
        owned = [p for p in owned if p not in below]
    remember(args, environ, cwd, paths, stdout, stderr, owned=owned, route=route, dirs=dirs, lookup=lookup)


def environment(ready: Ready | None) -> tuple[str, str] | None:
    """What :func:`remember_answer` checks of the environment ``ready``: its directory and interpreter."""
    return None if ready is None else (ready.env_dir, ready.python)


def _anchor(ctx: Context, environ: Mapping[str, str], lookup: Lookup | None = None) -> tuple[str, tuple[str, ...]] | None:
    """Where a decision made here may be remembered for every directory of the project
    (:func:`safepip.facts.walkup.anchor`; the one ``lookup`` found from this directory
    earlier in the call, when it did): only inside a project, and only for the
    directory the walk from here sees first (the project's root or a blank path below it).
    """
    if ctx.project is None:
        return None
    if lookup is not None and lookup.cwd == ctx.cwd:
        spot = lookup.spot  # one observation of the walk for the whole call
    else:
        from safepip.facts.walkup import anchor

        spot = anchor(ctx.cwd, environ)
    if spot is None:
        return None
    # The interpreter, or a PATH directory searched for it, below the anchor: it depends on
    # more than the walk's names there (a python3 appearing in that directory).
    searched = {os.path.abspath(p) for p in environ.get("PATH", "").split(os.pathsep) if p}
    if os.path.dirname(ctx.interp.path) in spot[1] or searched & set(spot[1]):
        return None
    return spot


def _route_paths(ctx: Context, ready: Ready | None, answered: Answered | None) -> list[str] | None:
    """What a remembered route depends on besides what every remembered call does: the
    environment's pip (whether the route uses it, and which it is), and for ``install``
    everything the fast path read before it stood aside and the site-packages directories
    (an install, upgrade or removal changes them, and then the fast path may answer, or the
    repair scan find something). None: the route cannot be remembered.
    """
    paths = [os.path.join(site, "pip") for site in ready.site_packages] if ready is not None else []
    if ctx.call.command == "install":
        if answered is None or not answered.paths:
            return None
        paths.extend(answered.paths)
    return paths


def is_routable(
    plan: Plan, ready: Ready | None, flags: Mapping[str, Any], environ: Mapping[str, str], *, debug: bool
) -> bool:
    """Whether this call's route may be remembered and replayed by the front door (never
    while ``debug``, the session's ``SAFEPIP_DEBUG``: a debugging call goes the whole way).
    """
    if flags or debug or environ.get("SAFEPIP_NO_FASTPATH") == "1" or os.name != "posix":
        return False
    if ready is not None and (ready.created or ready.rebuilt is not None):
        return False
    return plan.kind in (PROJECT_VENV, PASSTHROUGH)


def lock_path_for(plan: Plan, dirs: Dirs) -> str | None:
    """The lock file a plan's pip run holds (None: it holds none; ``dirs``: the session's)."""
    if not plan.lock or plan.env_dir is None:
        return None
    from safepip.venv.lock import lock_path

    return lock_path(plan.env_dir, dirs)


def remember_route(
    args: list[str],
    ctx: Context,
    ready: Ready | None,
    plan: Plan,
    environ: Mapping[str, str],
    argv: list[str],
    *,
    said: str,
    answered: Answered | None = None,
    stdout: str = "",
    lock_file: str | None = None,
    suffix: str | None = None,
    dirs: Dirs,
) -> None:
    """Remember the route this call takes to pip (``argv``), for the front door to replay:
    what was ``said`` on stderr and is written to ``stdout`` first, the ``lock_file`` held
    through it, and ``suffix``: printed after pip runs as a child (None: pip is exec'd).
    """
    from safepip.remembered.store import stored_route

    extra = _route_paths(ctx, ready, answered)
    if extra is None:
        return
    remembered = stored_route(argv, plan.env_changes, plan.kind != PASSTHROUGH, lock_file, suffix)
    remember_answer(args, ctx, environment(ready), environ, None, said, route=remembered, extra=extra, stdout=stdout,
                    dirs=dirs)



def remember_decision(
    args: list[str],
    ctx: Context,
    ready: Ready | None,
    plan: Plan,
    environ: Mapping[str, str],
    argv: list[str],
    said: str,
    lock_file: str | None,
    fast_python: str | None,
    answered: Answered | None = None,
    *,
    dirs: Dirs,
) -> None:
    """Remember where this call went for every command line of its kind (see
    :mod:`safepip.remembered.store`): only for a call whose route is pip's command line before
    the arguments exactly as given, with nothing in it that :func:`safepip.decide.plan`
    reads besides the command (``DECISIVE``) and the command first. ``fast_python`` is the
    interpreter whose environment the fast path reads for an ``install``; ``answered``: what
    the fast path read of it this call.
    """
    from safepip.facts.pipargs import command_table
    from safepip.remembered.decision import DECISIVE, decision_key
    from safepip.venv.layout import venv_of

    call = ctx.call
    if call.error is not None or call.command is None or args[:1] != [call.command] or call.informational:
        return
    if any(option.name in DECISIVE for option in call.options):
        return
    head = len(argv) - len(args)
    if tuple(plan.args) != tuple(args) or head < 1 or list(argv[head:]) != list(args):
        return
    fast = None
    if call.command == "install" and fast_python is not None:
        # The environment the flow made ready is its own interpreter's (pyvenv.cfg is there).
        where = ready.env_dir if ready is not None and fast_python == ready.python else venv_of(fast_python)
        fast = (fast_python, where, _probed(fast_python, ready, environ, answered))
    # The options the call was read with, when they are this command's in this pip (as scanned).
    table = call.table if call.table is not None else command_table(call.pip_version, call.command)
    decision = (
        tuple(argv[:head]), tuple(sorted(plan.env_changes.items())), plan.kind != PASSTHROUGH, lock_file,
        table, call.pip_version, fast,
        ready.env_dir if ready is not None else None,
        call.command == "install" and ready is not None and plan.kind in (PROJECT_VENV, USER_ENV),
    )
    # Whether the route uses the environment's pip, and which: as for a remembered route.
    pips = [os.path.join(site, "pip") for site in ready.site_packages] if ready is not None else []
    key = list(decision_key(call.command, "--quiet" in call.given))
    remember_answer(key, ctx, environment(ready), environ, None, said, route=decision, extra=pips,
                    anchored=plan.kind == PROJECT_VENV, dirs=dirs)


def _probed(python: str, ready: Ready | None, environ: Mapping[str, str],
            answered: Answered | None = None) -> tuple[Any, ...] | None:
    """What the fast path reads of its interpreter's probe (prefix, purelib, platlib, marker
    values), kept in the decision so that its check after a change probes nothing: only for
    the environment's own interpreter, not a script, whose whole signature the decision checks
    (the probe cache's key is part of it). What the fast path read this call (``answered``),
    else what the probe cache holds. None: the check probes it.
    """
    if ready is None or python != ready.python:
        return None
    if answered is not None and answered.probed is not None:
        return answered.probed
    from safepip.errors import SafepipError
    from safepip.facts.interpreter import cached

    try:
        interp = cached(python, "the fast path", environ)  # remembering never starts a probe
    except SafepipError:
        return None
    if interp is None or not interp.in_venv:
        return None
    return (interp.prefix, interp.purelib, interp.platlib, dict(interp.markers))


def remember_run(ctx: Context, env: tuple[str, str] | None, bin_dir: str, environ: Mapping[str, str], *,
                 debug: bool, dirs: Dirs, project: bool = False, lookup: Lookup | None = None) -> None:
    """Remember the environment ``safepip run`` uses in this directory (see
    :func:`safepip.front.run_answer`), with what its choice depended on (not while ``debug``):
    ``env``, a virtual environment's directory and interpreter (None: an interpreter's own
    prefix), and ``bin_dir``; ``project``: it is the project's environment, the same in all
    its directories. ``lookup``: what the front door's lookup worked out (the session's).
    """
    if debug or environ.get("SAFEPIP_NO_FASTPATH") == "1" or os.name != "posix":
        return
    from safepip.remembered.store import RUN

    route = (bin_dir, None if env is None else env[0])
    remember_answer([RUN], ctx, env, environ, None, "", route=route, anchored=project, dirs=dirs, lookup=lookup)


def remember_activation(ctx: Context, env_dir: str | None, extra: list[str], environ: Mapping[str, str], *,
                        debug: bool, dirs: Dirs) -> None:
    """Remember the environment activation chooses here (None: none; see
    :func:`safepip.front.activation_answer`), with what the choice read (``extra``: besides
    the facts' own reads); in a project, for every directory of it. Never while ``debug``
    (the session's ``SAFEPIP_DEBUG``).
    """
    if debug or environ.get("SAFEPIP_NO_FASTPATH") == "1" or os.name != "posix":
        return
    from safepip.remembered.store import ACTIVATE

    remember_answer([ACTIVATE], ctx, None, environ, None, "", route=(env_dir,), extra=extra, anchored=True,
                    dirs=dirs)
