"""The pip flow: gather facts, plan, prepare the environment, say where, hand over to pip."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Mapping

from safepip import ui
from safepip.act.command import pip_command
from safepip.act.envs import COMPLETE, Ready, ensure, state
from safepip.act.lock import EnvLock
from safepip.act.notice import notice
from safepip.act.run import child_environ, run
from safepip.decide import PASSTHROUGH, PROJECT_VENV, REFUSE, USER_ENV, Plan
from safepip.errors import EX_NOPERM, NoTargetError, PermissionRefused
from safepip.facts.gather import Context, gather
from safepip.facts.pipargs import PipCall
from safepip.venvdir import has_pip

if TYPE_CHECKING:
    from safepip.noop import fastpath

HELP_SECTION = """
safepip:
  safepip runs pip where it is safe: when the target Python is externally managed
  (PEP 668), install, uninstall, list, freeze, show, check and inspect go to the
  project's virtual environment (created as .venv at the project root if needed).
  Everything else goes to pip unchanged. One line on stderr says where and why.

  Its own commands: safepip run CMD (run CMD in that environment), safepip which
  [python|pip|env|bin], safepip doctor, safepip explain PIP-ARGS, safepip
  shell-init bash|zsh|fish. Each takes --help.

  Environment: SAFEPIP_PYTHON, SAFEPIP_POLICY, SAFEPIP_VENV, SAFEPIP_OUTSIDE,
  SAFEPIP_APPS, SAFEPIP_QUIET, SAFEPIP_DEBUG. Flags: --safepip-policy=auto|always|never,
  --safepip-venv=PATH, --safepip-outside=..., --safepip-quiet. Exit codes 64-78 are
  safepip's own (see the README); every other code is pip's.
"""


def refuse(plan: Plan) -> None:
    """Raise the plan's refusal, if it is one."""
    if plan.kind == REFUSE:
        if plan.exit_code == EX_NOPERM:
            raise PermissionRefused(plan.reason)
        raise NoTargetError(plan.reason, exit_code=plan.exit_code)


def prepare(
    ctx: Context, plan: Plan, environ: Mapping[str, str], *, defer_lock: bool = False
) -> tuple[list[str], EnvLock | None, Ready | None]:
    """Create or check the environment the plan needs; return pip's command line and the
    lock to keep through the hand-over. With ``defer_lock`` an environment that is already
    whole is not locked (the caller locks it with :func:`lock_for` once it must write).
    """
    refuse(plan)
    if plan.env_dir is None:
        return pip_command(plan, None, env_has_pip=False, environ=environ), None, None
    lock = lock_for(plan, environ) if plan.lock and not defer_lock else None
    if plan.kind in (PROJECT_VENV, USER_ENV):
        say = lambda m: ui.say(m, "notice", environ)  # noqa: E731
        ready = ensure(plan.env_dir, ctx.interp.path, environ, say, lock, system_site_packages=plan.system_site)
    else:  # pass-through that borrows the project environment's pip
        from safepip.venvdir import bin_python

        ready = Ready(plan.env_dir, bin_python(plan.env_dir))
    return pip_command(plan, ready.python, env_has_pip=has_pip(ready.env_dir), environ=environ), lock, ready


def lock_for(plan: Plan, environ: Mapping[str, str]) -> EnvLock | None:
    """The lock on the plan's environment, not yet acquired (None: the plan needs none)."""
    if not plan.lock or plan.env_dir is None:
        return None
    return EnvLock(plan.env_dir, environ, lambda m: ui.say(m, "notice", environ))


def _fast_path(argv: list[str], env: Mapping[str, str], answered: fastpath.Answered) -> int | None:
    """Answer an install whose requirements are all satisfied without starting pip."""
    from safepip.facts.pipargs import scan
    from safepip.noop.fastpath import attempt

    if argv[1:3] != ["-m", "pip"]:
        return None  # pip run from a wheel (safepip.pyz without a pip): leave it to pip
    call = scan(argv[3:])  # argv is [python, "-m", "pip", *args]: exactly what pip will see
    python = call.last("--python") or argv[0]
    return attempt(call, python, env, os.getcwd(), answered)


def _remember(
    args: list[str], ctx: Context, ready: Ready | None, environ: Mapping[str, str], answered: fastpath.Answered, stderr: str
) -> None:
    """Remember a fast-path answer with everything it depended on (see :mod:`safepip.noop.memo`)."""
    from safepip.act.envs import STATE_FILE
    from safepip.facts.pipconf import config_files
    from safepip.noop.memo import ancestors, remember
    from safepip.paths import user_config_file
    from safepip.venvdir import bin_python

    # Project discovery reads the directories from here up to the root (their entries);
    # above it only ownership and modes count (the trust rules). Without a project, the
    # walk reads every directory up to home.
    upward = ancestors(ctx.cwd) if ctx.walked else []
    stop = ctx.project.root if ctx.project is not None else os.path.realpath(environ.get("HOME") or "/")
    walked = upward[: upward.index(stop) + 1] if stop in upward else upward
    paths = [*walked, ctx.interp.path, user_config_file(environ)]
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
    paths.extend(answered.paths)
    remember(args, environ, ctx.cwd, paths, answered.stdout, stderr, owned=owned)


def _repair(env_dir: str, environ: Mapping[str, str]) -> None:
    """Before pip installs into an environment safepip made (under its lock): undo what an
    interrupted pip left half-installed (see :mod:`safepip.repair`).
    """
    if state(env_dir) == COMPLETE:
        from safepip.act.repair import repair

        repair(env_dir, lambda m: ui.say(m, "warning", environ))


def run_pip(args: list[str], environ: Mapping[str, str], flags: Mapping[str, Any], call: PipCall) -> int:
    """safepip's main job: run one pip command line where it belongs."""
    ctx = gather(call, environ, flags)
    if ctx.plan().apps_to_pipx:
        import contextlib

        from safepip.act.outside import run as run_outside
        from safepip.pipeline import decide_call

        with contextlib.ExitStack() as stack:  # the classification downloads live until the install ends
            plan = decide_call(ctx, environ, stack)
            refuse(plan)
            code = run_outside(ctx, plan, environ)
            if code is not None:
                return code
    plan = ctx.plan()
    if ctx.call.command is None and ctx.call.has("--version") and not ctx.call.has("--help"):
        import safepip

        sys.stdout.write(f"safepip {safepip.__version__} from {os.path.dirname(os.path.abspath(safepip.__file__))}\n")
    # An install may be answered by the fast path, which only reads the environment (as
    # list and freeze do, unlocked): the lock, and filelock's import, wait until pip runs.
    deferred = ctx.call.command == "install" and environ.get("SAFEPIP_NO_FASTPATH") != "1"
    argv, lock, ready = prepare(ctx, plan, environ, defer_lock=deferred)
    # Nothing is installed in a new environment: pip has work to do.
    fast = deferred and not (ready is not None and ready.created)
    said = notice(ctx, plan, ready, environ)
    env = child_environ(environ, plan.env_changes, redirected=plan.kind != PASSTHROUGH)
    wants_help = (ctx.call.command is None and ctx.call.has("--help")) or (
        ctx.call.command == "help" and not ctx.call.positionals
    )
    if wants_help:
        code = run(argv, env, replace=False)
        sys.stdout.write(HELP_SECTION)
        return code
    if fast:
        from safepip.noop.fastpath import Answered

        answered = Answered()
        code = _fast_path(argv, env, answered)
        if code is not None:
            if not flags and environ.get("SAFEPIP_DEBUG") != "1":
                _remember(args, ctx, ready, environ, answered, said)
            return code
    if deferred:
        lock = lock_for(plan, environ)
        if lock is not None:
            lock.acquire()
    if ctx.call.command == "install" and ready is not None and not ready.created and plan.kind in (PROJECT_VENV, USER_ENV):
        _repair(ready.env_dir, environ)
    # The lock must cover pip's whole run: handed to pip through exec where it can be,
    # else held here while pip runs as a child.
    replace = lock is None or lock.keep_through_exec()
    if plan.kind in (PROJECT_VENV, USER_ENV):
        # What pip writes into an environment safepip chose is no more writable than it.
        os.umask(os.umask(0o022) | 0o022)
    try:
        return run(argv, env, replace=replace)
    finally:
        if lock is not None:
            lock.release()
