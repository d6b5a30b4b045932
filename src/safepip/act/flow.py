"""The pip flow, acting on a resolved plan (:func:`safepip.pipeline.execute`): prepare the
environment, say where (:func:`notice`, the one stderr line that says where the work went and
why, with the plan's warnings), answer from the fast path or hand over to pip.

Below it, pip's command line for a plan (:func:`pip_command`): the environment's own pip, else
safepip's driving it (with safepip's section after pip's help, :func:`help_command`); and what a
plan's pip command means for a broken environment (read-only commands never rebuild it; a
rebuild reinstalls with the command's own index options, :func:`index_options`).
"""

from __future__ import annotations

import os
import sys

from safepip.decide import PASSTHROUGH, PROJECT_VENV, REFUSE, USER_ENV, Plan
from safepip.errors import EX_NOPERM, NoTargetError, PermissionRefused
from safepip.remembered.record import (
    environment,
    is_routable,
    lock_path_for,
    remember_answer,
    remember_decision,
    remember_route,
)
from safepip.runner import OFF_PATH, child_environ, pip_args, pip_argv, pip_python, run
from safepip.session import shortpath
from safepip.stdio import stdout_error
from safepip.venv.ensure import Ready, broken, ensure, ready_at, repair_made, working_tree
from safepip.venv.layout import floor_umask
from safepip.venv.lock import EnvLock
from safepip.venv.ownpip import pip_command as own_pip
from safepip.venv.state import CREATING, state

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping

    from safepip.decide import Resolved
    from safepip.facts.gather import Context
    from safepip.facts.pipargs import PipCall
    from safepip.session import Session


def refuse(plan: Plan) -> None:
    """Raise the plan's refusal, if it is one."""
    if plan.kind == REFUSE:
        if plan.exit_code == EX_NOPERM:
            raise PermissionRefused(plan.reason)
        raise NoTargetError(plan.reason, exit_code=plan.exit_code)


def prepare(
    ctx: Context, plan: Plan, session: Session, *, defer_lock: bool = False
) -> tuple[list[str], EnvLock | None, Ready | None]:
    """Create or check the environment the plan needs; return pip's command line and the
    lock to keep through the hand-over. With ``defer_lock`` an environment that is already
    whole is not locked (the caller locks it with :func:`lock_for` once it must write).
    """
    environ = session.environ
    refuse(plan)
    if plan.env_dir is None:
        return pip_command(plan, None, env_has_pip=False, environ=environ), None, None
    if plan.kind in (PROJECT_VENV, USER_ENV) and ctx.call.command in READ_ONLY:
        why = broken(plan.env_dir, dirs=session.dirs)
        if why is not None and state(working_tree(plan.env_dir), dirs=session.dirs) != CREATING:
            # Another process may be rebuilding it right now: wait for its lock, then look again.
            waiting = lock_for(plan.replace_(lock=True), session)
            if waiting is not None:
                waiting.acquire()
                why = broken(plan.env_dir, dirs=session.dirs)
                waiting.release()
            if why is not None:  # a read-only command never rebuilds (a creation pip never ran in is redone)
                raise NoTargetError(f"{plan.env_dir} cannot be used: {why}; {REPAIR_HINT}")
    lock = lock_for(plan, session) if plan.lock and not defer_lock else None
    if plan.kind in (PROJECT_VENV, USER_ENV):
        ready = ensure(
            plan.env_dir, ctx.interp, environ, session.say, lock, system_site_packages=plan.system_site,
            pip_options=index_options(ctx.call), dirs=session.dirs,
        )
    else:  # pass-through that borrows the project environment's pip
        ready = ready_at(plan.env_dir)
    return pip_command(plan, ready.python, env_has_pip=ready.has_pip, environ=environ), lock, ready


def _probe_new(python: str, session: Session) -> None:
    """Probe a new environment's interpreter now, for the probe cache: the next install here
    checks its requirements with the fast path, which reads the environment through that
    probe. Taken beside the creation's seconds, it is not a process started in that call.
    """
    if session.environ.get("SAFEPIP_NO_PROBE_CACHE") == "1":
        return  # nothing would keep it
    import contextlib

    from safepip.errors import SafepipError
    from safepip.facts.interpreter import probe

    # Should it fail, the fast path probes it again, and stands aside if it still cannot.
    with contextlib.suppress(SafepipError):
        probe(python, "the fast path", session.environ, session.dirs)


def lock_for(plan: Plan, session: Session) -> EnvLock | None:
    """The lock on the plan's environment, not yet acquired (None: the plan needs none)."""
    if not plan.lock or plan.env_dir is None:
        return None
    return EnvLock(plan.env_dir, session.dirs, session.say)


def run_pip(resolved: Resolved, session: Session) -> int:  # noqa: PLR0915 - one linear flow
    """safepip's main job: run one pip command line where its plan sends it."""
    ctx, plan, environ = resolved.ctx, resolved.plan, session.environ
    args, flags = list(resolved.args), resolved.flags or {}
    # An install may be answered by the fast path, which only reads the environment (as
    # list and freeze do, unlocked): the lock waits until pip runs.
    deferred = ctx.call.command == "install" and environ.get("SAFEPIP_NO_FASTPATH") != "1"
    argv, lock, ready = prepare(ctx, plan, session, defer_lock=deferred)
    # Nothing is installed in a new environment: pip has work to do.
    fast = deferred and not (ready is not None and ready.created)
    # The environment the fast path reads: the one pip would install into.
    fast_python = pip_python(argv) if fast else None
    env = child_environ(environ, plan.env_changes, redirected=plan.kind != PASSTHROUGH)
    said = notice(ctx, plan, ready, session)
    wants_help = (ctx.call.command is None and ctx.call.has("--help")) or (
        ctx.call.command == "help" and not ctx.call.positionals
    )
    version_line = ""
    if ctx.call.command is None and ctx.call.has("--version") and not ctx.call.has("--help"):
        import safepip

        version_line = f"safepip {safepip.__version__} from {os.path.dirname(os.path.abspath(safepip.__file__))}\n"
    routable = is_routable(plan, ready, flags, environ, debug=session.debug)
    if wants_help:
        one = help_command(argv)
        if one is not None and os.name == "posix":  # one process: pip's help, then safepip's section
            if routable:
                remember_route(args, ctx, ready, plan, environ, one, said=said, dirs=session.dirs)
            return run(one, env, replace=True)
        if routable:
            remember_route(args, ctx, ready, plan, environ, argv, said=said, suffix=HELP_SECTION, dirs=session.dirs)
        helped = run(argv, env, replace=False)
        sys.stdout.write(HELP_SECTION)
        return helped
    answered = None
    if ctx.call.command == "install":
        from safepip.fastpath.answer import Answered

        answered = Answered()
    if answered is not None and fast_python is not None:
        # An install whose requirements are all satisfied is answered without starting pip
        # (``ctx.call`` as read: pip's args are the same less ``--python``, which it does not read).
        from safepip.fastpath.answer import attempt

        # What the environment's pyvenv.cfg says was read with it (Ready): not read again.
        known = (ready.env_dir, ready.system_site) if ready is not None and fast_python == ready.python else None
        code = attempt(ctx.call, fast_python, env, ctx.cwd, answered, debug=session.debug, dirs=session.dirs,
                       known=known)
        if code is not None and stdout_error() is None:
            if not flags and not session.debug:
                remember_answer(args, ctx, environment(ready), environ, answered, said, dirs=session.dirs)
            if routable:  # any other install here is decided the same way
                remember_decision(args, ctx, ready, plan, environ, argv, said=said, lock_file=lock_path_for(plan, session.dirs),
                                  fast_python=fast_python, answered=answered, dirs=session.dirs)
            return code
        # An answer that could not be written (a full disk, a closed pipe) is pip's to give:
        # pip meets the same error and ends as that pip does (0 on a full disk, 1 or 120 on
        # a closed pipe, by version), which safepip does not imitate. Not remembered as a
        # route: the next call with a working stdout is the fast path's again.
        routable = routable and code is None
    if deferred:
        lock = lock_for(plan, session)
        if lock is not None:
            lock.acquire()
    if ctx.call.command == "install" and ready is not None and not ready.created and plan.kind in (PROJECT_VENV, USER_ENV):
        repair_made(ready.env_dir, environ, dirs=session.dirs)
    if deferred and ready is not None and ready.created:
        _probe_new(ready.python, session)
    if plan.kind in (PROJECT_VENV, USER_ENV):
        # What pip writes into an environment safepip chose is no more writable than it
        # (a remembered route replays this: noop.memo).
        floor_umask()
    # The lock must cover pip's whole run: handed to pip through exec where it can be,
    # else held here while pip runs as a child.
    replace = lock is None or lock.keep_through_exec()
    if routable and replace:
        lock_file = lock.path if lock is not None else lock_path_for(plan, session.dirs)
        remember_route(args, ctx, ready, plan, environ, argv, said=said, answered=answered, stdout=version_line,
                       lock_file=lock_file, dirs=session.dirs)
        remember_decision(args, ctx, ready, plan, environ, argv, said=said, lock_file=lock_file,
                          fast_python=fast_python, answered=answered, dirs=session.dirs)
    if version_line:
        sys.stdout.write(version_line)
    try:
        return run(argv, env, replace=replace)
    finally:
        if lock is not None:
            lock.release()


def notice(ctx: Context, plan: Plan, ready: Ready | None, session: Session, *, how_to_use: bool = True) -> str:
    """The one stderr line saying where the work went and why (and the warnings); return
    what was written. After an install into an environment the shell does not have active,
    the line says how to use it (``how_to_use``: not for ``run``, which is using it).
    """
    environ = session.environ
    written = "".join(session.say(warning, "warning") for warning in plan.warnings)
    if ready is None or plan.kind == PASSTHROUGH:
        return written
    important = ready.created or ready.rebuilt is not None
    if ctx.config.quiet or ("--quiet" in ctx.call.given and not important):
        return written
    # A creation note (root's, from a script) already says how later commands reach it.
    told = ready.created and bool(plan.creation_notes)
    tell = (how_to_use and not told and ctx.call.command == "install" and plan.kind in (PROJECT_VENV, USER_ENV)
            and not _active(ready.env_dir, environ))
    where = shortpath(ready.env_dir, environ)
    line = f"{plan.reason}; using {where}"
    if ready.rebuilt:
        line += f" (rebuilt: {ready.rebuilt})"
    elif ready.created:
        line += " (created)"
    notes = plan.notes + (plan.creation_notes if ready.created else ())
    for note in notes:
        line += "; " + note.replace(ready.env_dir, where)  # the path as the user would type it
    if tell:  # how to run what was installed, with the path as the user would type it
        python = os.path.join(where, "bin", "python")
        line += f"; use it with `safepip run COMMAND` or {python}, or let `safepip shell-init` activate it in your shell"
    return written + session.say(line)


def _active(env_dir: str, environ: Mapping[str, str]) -> bool:
    """Whether the shell has the environment active already or activates it as soon as pip
    returns (shell-init's ``pip`` function says so): then the notice need not say how to use it.
    """
    # shell-init's variables (safepip.commands.activation: act does not import commands)
    active = environ.get("SAFEPIP_ACTIVATED")
    return environ.get("SAFEPIP_SHELL_ACTIVATES") == "1" or bool(active and os.path.realpath(active) == os.path.realpath(env_dir))


# pip's command line for a plan, and what its command means for a broken environment.

#: pip commands that only read an environment: they never rebuild a broken one.
READ_ONLY = frozenset({"list", "freeze", "show", "check", "inspect"})
REPAIR_HINT = "`safepip repair` rebuilds it and reinstalls what it holds"
#: pip options that say where distributions come from: a rebuild's reinstall uses them too.
INDEX_OPTIONS = (
    "--index-url", "--extra-index-url", "--no-index", "--find-links", "--trusted-host", "--cert", "--client-cert",
    "--proxy", "--pre", "--only-binary", "--no-binary", "--prefer-binary", "--no-build-isolation",
)


def pip_command(plan: Plan, env_python: str | None, *, env_has_pip: bool, environ: Mapping[str, str]) -> list[str]:
    """pip's command line for ``plan``. ``env_python`` is the interpreter of the plan's
    environment (None when the plan uses none); ``explain`` shows this without running it.
    """
    if env_python is None:
        if plan.python and not plan.own_pip:
            return pip_argv(plan.python, plan.args)
        return [*own_pip(environ), *plan.args]
    if not env_has_pip:
        # An environment made without pip (uv venv, venv --without-pip): drive it with
        # safepip's own pip rather than change what the user made.
        return [*own_pip(environ), "--python", env_python, *plan.args]
    return pip_argv(env_python, plan.args)


def index_options(call: PipCall) -> list[str]:
    """The options of ``call`` that say where pip finds distributions (for a reinstall)."""
    found: list[str] = []
    for option in call.options:
        if option.name in INDEX_OPTIONS:
            found.extend([option.name] if option.value is None else [option.name, option.value])
    return found


HELP_SECTION = """
safepip:
  safepip runs pip where it is safe: when the target Python is externally managed
  (PEP 668), install, uninstall, list, freeze, show, check and inspect go to the
  project's virtual environment (created as .venv at the project root if needed).
  Everything else goes to pip unchanged. One line on stderr says where and why.

  Its own commands (each takes --help):
    safepip run CMD [ARGS...]       run CMD in that environment
    safepip which [python|pip|env|bin]  print a path of that environment
    safepip explain PIP-ARGS...     the decision for a pip command line, doing nothing
    safepip doctor                  the interpreter, project, environment and settings
    safepip shell-init bash|zsh|fish  make pip (typed, in make and scripts) run safepip
    safepip audit                   packages pip put into the system Python
    safepip repair                  rebuild a broken environment, reinstalling what it held
    safepip trust [PATH]            allow an interpreter that came with a repository
    safepip self-install [--shims]  install safepip for yourself from safepip.pyz
    safepip self-uninstall          remove what self-install made

  Environment: SAFEPIP_PYTHON, SAFEPIP_POLICY, SAFEPIP_VENV, SAFEPIP_OUTSIDE,
  SAFEPIP_APPS, SAFEPIP_QUIET, SAFEPIP_DEBUG. Flags: --safepip-policy=auto|always|never,
  --safepip-venv=PATH, --safepip-outside=..., --safepip-quiet. Exit codes 64-78 are
  safepip's own (see the README); every other code is pip's.
"""


#: ``python -c`` for pip's help followed by safepip's section, in pip's own process: the
#: working directory off ``sys.path`` first, as for every pip safepip starts
#: (:mod:`safepip.runner`); pip's usage lines name ``python -m pip`` for ``-c`` as for ``-m``.
#: The exit code is pip's: the section is not written to a stdout the caller closed (Python's
#: None), nor does its failed write change the code.
_HELP_PROGRAM = OFF_PATH + """from pip._internal.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
if sys.stdout is not None:
    try:
        sys.stdout.write(%r)
        sys.stdout.flush()
    except OSError:
        pass
sys.exit(code)
"""


def help_command(argv: list[str]) -> list[str] | None:
    """pip's help for ``argv`` (:func:`safepip.runner.pip_argv`) with safepip's section
    after it, as one process; None when pip is not run from an environment's interpreter.
    """
    args = pip_args(argv)
    if args is None:
        return None
    return [argv[0], "-c", _HELP_PROGRAM % HELP_SECTION, *args]
