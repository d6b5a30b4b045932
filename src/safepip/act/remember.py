"""What the pip flow remembers for the front door (see :mod:`safepip.noop.memo`): a
fast-path answer, or the route a call took to pip, with every path it depended on.
"""

from __future__ import annotations

import os

from safepip.decide import PASSTHROUGH, PROJECT_VENV, Plan

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

    from safepip.act.envs import Ready
    from safepip.facts.gather import Context
    from safepip.noop import fastpath, memo


def remember_answer(
    args: list[str],
    ctx: Context,
    ready: Ready | None,
    environ: Mapping[str, str],
    answered: fastpath.Answered | None,
    stderr: str,
    route: memo.Route | None = None,
    extra: list[str] | None = None,
    stdout: str = "",
) -> None:
    """Remember a fast-path answer, or a ``route`` to pip, with everything it depended on
    (see :mod:`safepip.noop.memo`); ``extra`` adds paths to the signatures.
    """
    from safepip.act.envs import STATE_FILE
    from safepip.facts.pipconf import config_files
    from safepip.noop.memo import ancestors, remember
    from safepip.paths import user_config_file
    from safepip.venvdir import bin_python

    # Project discovery reads the directories from here up to the root (their entries);
    # above it, up to where the walk stopped, only the markers and environments it looks for
    # (a busy /tmp above a project must not make every answer stale); above that only
    # ownership and modes count (the trust rules). Without a project, the walk reads every
    # directory up to home.
    upward = ancestors(ctx.cwd) if ctx.walked else []
    stop = ctx.project.root if ctx.project is not None else os.path.realpath(environ.get("HOME") or "/")
    walked = upward[: upward.index(stop) + 1] if stop in upward else upward
    paths = [*walked, ctx.interp.path, user_config_file(environ)]
    paths.extend(pyenv_selection(ctx.interp.path, ctx.cwd, environ))
    seen = ctx.project.seen if ctx.project is not None else ""
    if seen in upward and upward.index(seen) >= len(walked):
        from safepip.facts.project import MARKER_FILES, VENV_NAMES

        names = (*MARKER_FILES, *(os.path.join(v, "pyvenv.cfg") for v in VENV_NAMES))
        paths.extend(os.path.join(d, n) for d in upward[len(walked) : upward.index(seen) + 1] for n in names)
    if ctx.interp.how == "PATH":  # a new python3 earlier on PATH would change the target
        paths.extend(os.path.abspath(p) for p in environ.get("PATH", "").split(os.pathsep) if p)
    if ctx.interp.stdlib:
        paths.append(os.path.join(ctx.interp.stdlib, "EXTERNALLY-MANAGED"))
    if ctx.project is not None:
        paths.append(ctx.project.pyproject)
    owned = list(upward)
    if ready is not None:
        # The environment's own directory changes with use (uv's .lock): its files say what counts.
        env_dir = ready.env_dir
        owned.append(env_dir)
        paths.extend((os.path.join(env_dir, "pyvenv.cfg"), os.path.join(env_dir, STATE_FILE), bin_python(env_dir)))
    paths.extend(config_files(environ, ctx.interp.prefix, isolated="--isolated" in args))
    if answered is not None:
        paths.extend(answered.paths)
        stdout = answered.stdout
    paths.extend(extra or ())
    remember(args, environ, ctx.cwd, paths, stdout, stderr, owned=owned, route=route)


def _route_paths(ctx: Context, ready: Ready | None, answered: fastpath.Answered | None) -> list[str] | None:
    """What a remembered route depends on besides what every remembered call does: the
    environment's pip (whether the route uses it, and which it is), and for ``install``
    everything the fast path read before it stood aside and the site-packages directories
    (an install, upgrade or removal changes them, and then the fast path may answer, or the
    repair scan find something). None: the route cannot be remembered.
    """
    from safepip.venvdir import site_packages

    paths = [os.path.join(site, "pip") for site in site_packages(ready.env_dir)] if ready is not None else []
    if ctx.call.command == "install":
        if answered is None or not answered.paths:
            return None
        paths.extend(answered.paths)
    return paths


def is_routable(plan: Plan, ready: Ready | None, flags: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
    """Whether this call's route may be remembered and replayed by the front door."""
    if flags or environ.get("SAFEPIP_DEBUG") == "1" or environ.get("SAFEPIP_NO_FASTPATH") == "1" or os.name != "posix":
        return False
    if ready is not None and (ready.created or ready.rebuilt is not None):
        return False
    return plan.kind in (PROJECT_VENV, PASSTHROUGH)


def lock_path_for(plan: Plan, environ: Mapping[str, str]) -> str | None:
    """The lock file a plan's pip run holds (None: it holds none)."""
    if not plan.lock or plan.env_dir is None:
        return None
    from safepip.act.lock import lock_path

    return lock_path(plan.env_dir, environ)


def remember_route(
    args: list[str],
    ctx: Context,
    ready: Ready | None,
    plan: Plan,
    environ: Mapping[str, str],
    argv: list[str],
    answered: fastpath.Answered | None,
    said: str,
    stdout: str,
    lock_file: str | None,
    suffix: str | None,
) -> None:
    """Remember the route this call takes to pip, for the front door to replay."""
    from safepip.noop.memo import route

    extra = _route_paths(ctx, ready, answered)
    if extra is None:
        return
    remembered = route(argv, plan.env_changes, plan.kind != PASSTHROUGH, lock_file, suffix)
    remember_answer(args, ctx, ready, environ, None, said, route=remembered, extra=extra, stdout=stdout)


def pyenv_selection(python: str, cwd: str, environ: Mapping[str, str]) -> list[str]:
    """The files that choose what a pyenv shim runs (``.python-version`` from ``cwd`` up,
    pyenv's global ``version`` file), when ``python`` is one; ``PYENV_VERSION`` is in the
    memo's key. Empty for any other interpreter.
    """
    if os.path.basename(os.path.dirname(python)) != "shims":
        return []
    from safepip.noop.memo import ancestors

    root = environ.get("PYENV_ROOT") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".pyenv")
    base = environ.get("PYENV_DIR") or cwd
    return [*(os.path.join(d, ".python-version") for d in ancestors(base)), os.path.join(root, "version")]
