"""Outside any project: libraries to the per-user environment, clear applications to pipx.

``install`` gathers each requirement's facts (:mod:`safepip.classify`), has the plan made
again with them (its routes: :func:`safepip.decide.routes`), and carries the routes out:
one pip run in the per-user environment for the libraries (and any ``-r``/``-e``), whose
named distributions' commands are then linked onto PATH (:mod:`safepip.links`), and one
pipx run per application. ``uninstall`` asks pipx first; ``list`` shows the per-user
environment, then pipx's applications. Every part runs to the end; the exit code is the
first failing part's, and a summary line says which part failed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

from . import pipx, ui
from ._quick import bin_python, has_pip
from .classify import Fact, Tls, download_options, gather, is_bare, requirement_name
from .context import Context
from .decide import PIPX, USER_ENV, Plan, Route
from .envs import EnvLock, Ready, ensure
from .errors import NoTargetError, PermissionRefused
from .handoff import child_environ, pip_argv
from .ownpip import pip_command as own_pip
from .pipargs import PipCall, scan


@dataclass(frozen=True)
class Part:
    """One hand-over of a multi-part command and how it ended."""

    what: str
    where: str
    code: int


def _call(argv: Sequence[str], env: Mapping[str, str]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        return subprocess.call(list(argv), env=dict(env))
    except OSError as exc:
        ui.say(f"cannot run {argv[0]}: {exc.strerror}", "error", env)
        return 127
    except KeyboardInterrupt:
        return 130


def _env(plan: Plan, environ: Mapping[str, str]) -> dict[str, str]:
    return child_environ(environ, plan.env_changes, redirected=True)


def _user_env_pip(ctx: Context, plan: Plan, args: Sequence[str], environ: Mapping[str, str], *, create: bool) -> int:
    """Run pip in the per-user environment (created when ``create``), under its lock."""
    from .pipflow import notice

    assert plan.env_dir is not None
    say = lambda m: ui.say(m, "notice", environ)  # noqa: E731
    lock = EnvLock(plan.env_dir, environ, say) if plan.lock else None
    if create:
        ready = ensure(plan.env_dir, ctx.interp.path, environ, say, lock, system_site_packages=True)
    else:
        ready = Ready(plan.env_dir, bin_python(plan.env_dir))
        if lock is not None:
            lock.acquire()
    try:
        notice(ctx, plan, ready, environ)
        if create and not ready.created:
            from .pipflow import _repair

            _repair(ready.env_dir, environ)
        argv = pip_argv(ready.python, args)
        if not has_pip(ready.env_dir):
            argv = [*own_pip(environ), "--python", ready.python, *args]
        return _call(argv, _env(plan, environ))
    finally:
        if lock is not None:
            lock.release()


def _pipx_or_refuse(plan: Plan, environ: Mapping[str, str]) -> list[str]:
    command = pipx.command(environ)
    if plan.pipx_global and not pipx.supports_global(command, _env(plan, environ)):
        raise PermissionRefused(
            f"as root, applications are installed with pipx's --global mode, and {' '.join(command)} has none "
            "(pipx 1.5 or newer has it); upgrade pipx, or run safepip as a normal user"
        )
    return command


def _summary(parts: Sequence[Part], environ: Mapping[str, str], quiet: bool) -> int:
    failed = [p for p in parts if p.code != 0]
    if len(parts) > 1 and (failed or not quiet):
        done = "; ".join(f"{p.what} -> {p.where}" for p in parts if p.code == 0)
        line = f"done: {done}" if done else "nothing was done"
        if failed:
            line += "; failed: " + "; ".join(f"{p.what} -> {p.where} (exit code {p.code})" for p in failed)
        ui.say(line, "error" if failed else "notice", environ)
    return failed[0].code if failed else 0


def _show_bin_dir(command: Sequence[str], plan: Plan, environ: Mapping[str, str], quiet: bool) -> None:
    where = pipx.bin_dir(command, _env(plan, environ), global_mode=plan.pipx_global)
    if where is None:
        return
    if pipx.on_path(where, environ):
        if quiet:
            return
        ui.say(f"the application's commands are in {ui.shortpath(where, environ)}", "notice", environ)
    else:
        hint = "add it to PATH" if plan.pipx_global else "run `pipx ensurepath` and open a new shell"
        ui.say(f"the application's commands are in {ui.shortpath(where, environ)}, which is not on PATH: {hint}",
               "warning", environ)


def _app_argv(command: Sequence[str], ctx: Context, call: PipCall, spec: str, name: str | None,
              installed: Mapping[str, str], plan: Plan) -> list[str]:
    if call.has("--upgrade") and name is not None and name in installed:
        if is_bare(spec):  # nothing to keep: pipx upgrades to the newest
            return pipx.upgrade_argv(command, installed[name], call, global_mode=plan.pipx_global)
        return pipx.install_argv(command, spec, ctx.interp.path, call, global_mode=plan.pipx_global, force=True)
    return pipx.install_argv(command, spec, ctx.interp.path, call, global_mode=plan.pipx_global)


#: Scratch directories older than this are swept by later calls (a run killed with SIGKILL
#: cannot clean its own).
SWEEP_AGE = 3600.0


def _sweep(base: str) -> None:
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
    """A scratch directory for the classification, removed on the way out, on SIGINT,
    SIGTERM and SIGHUP too; older ones that a killed run left are swept first.
    """
    import shutil
    import signal
    import tempfile

    from .paths import cache_dir

    base = os.path.join(cache_dir(environ), "downloads")
    os.makedirs(base, exist_ok=True)
    _sweep(base)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signum)

    saved = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            saved[number] = signal.signal(number, interrupted)
    dest = tempfile.mkdtemp(prefix="classify-", dir=base)
    try:
        yield dest
    finally:
        shutil.rmtree(dest, ignore_errors=True)
        for number, handler in saved.items():
            signal.signal(number, handler)


def _tls(call: PipCall, ctx: Context) -> Tls:
    def value(option: str) -> str | None:
        given = call.last(option)
        if given:
            return given
        setting = ctx.pip_settings.get(option[2:])
        return setting.value if setting and setting.value else None

    hosts = list(call.values("--trusted-host"))
    setting = ctx.pip_settings.get("trusted-host")
    if setting and setting.value:
        hosts.extend(setting.value.split())
    return Tls(value("--cert"), value("--client-cert"), tuple(hosts))


def facts_for(ctx: Context, plan: Plan, environ: Mapping[str, str], dest: str) -> list[Fact]:
    """The facts of the install's requirements, gathered with safepip's own pip (for the
    target interpreter) into ``dest``; ``explain`` gathers them the same way.
    """
    from .ownpip import metadata_pip_command

    call = scan(list(plan.args))
    if ctx.config.apps != "auto":  # every requirement goes one way: only the names count
        return [Fact(r, requirement_name(r)) for r in call.positionals]
    facts = gather(list(call.positionals), metadata_pip_command(environ), ctx.interp.path, download_options(call), dest,
                   _env(plan, environ), _tls(call, ctx))
    if environ.get("SAFEPIP_DEBUG") == "1":
        for fact in facts:
            ui.say(f"{fact.requirement}: metadata read from {fact.how or 'nowhere'}, {fact.fetched} bytes fetched",
                   "notice", environ)
    return facts


def planned(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> Plan:
    """The plan made again with the requirements' facts, when the first one needs them."""
    if not plan.needs_facts:
        return plan
    with scratch(environ) as dest:
        facts = facts_for(ctx, plan, environ, dest)
    first = ctx.plan(facts)
    if not any(r.to == PIPX for r in first.routes) or ctx.config.apps == "pipx":
        return first
    problem = pipx.unusable(_env(plan, environ), ctx.interp.path, global_mode=plan.pipx_global)
    return first if problem is None else ctx.plan(facts, problem)


def _where(route: Route, plan: Plan, environ: Mapping[str, str]) -> str:
    if route.to == PIPX:
        return "pipx --global" if plan.pipx_global else "pipx"
    return ui.shortpath(plan.env_dir or "", environ)


def _say_routes(plan: Plan, environ: Mapping[str, str], quiet: bool) -> None:
    if quiet:
        return
    for route in plan.routes:
        line = f"{route.requirement} -> {_where(route, plan, environ)}: {route.why}"
        if route.other:
            line += f" (the other way: {route.other})"
        ui.say(line, "notice", environ)


def _link(plan: Plan, environ: Mapping[str, str], quiet: bool) -> None:
    from .links import expose, link_dir

    names = [r.name for r in plan.routes if r.to == USER_ENV and r.expose and r.name]
    if not names or plan.env_dir is None:
        return
    where = link_dir(environ, plan.pipx_global)
    made = expose(plan.env_dir, names, where, lambda m: ui.say(m, "warning", environ))
    if not made:
        return
    commands = ", ".join(os.path.basename(m) for m in made)
    if not pipx.on_path(where, environ):
        ui.say(f"linked {commands} into {ui.shortpath(where, environ)}, which is not on PATH: add it to PATH",
               "warning", environ)
    elif not quiet:
        ui.say(f"linked {commands} into {ui.shortpath(where, environ)}", "notice", environ)


def _app(command: Sequence[str], ctx: Context, call: PipCall, route: Route, installed: Mapping[str, str],
         plan: Plan, environ: Mapping[str, str]) -> int:
    """One application with pipx: an install pipx left half-done is done again, and a
    success pipx reports is checked.
    """
    env = _env(plan, environ)
    argv = _app_argv(command, ctx, call, route.requirement, route.name, installed, plan)
    if route.name is not None:
        why = pipx.broken(command, env, route.name, global_mode=plan.pipx_global)
        if why is not None:
            ui.say(f"pipx's install of {route.name} is incomplete ({why}): installing it again", "warning", environ)
            argv = pipx.install_argv(command, route.requirement, ctx.interp.path, call,
                                     global_mode=plan.pipx_global, force=True)
    code = _call(argv, env)
    if code == 0 and route.name is not None:
        why = pipx.broken(command, env, route.name, global_mode=plan.pipx_global)
        if why is not None:
            ui.say(f"pipx finished, but its install of {route.name} is incomplete ({why})", "error", environ)
            return 1
    return code


def install(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> int:
    """``install`` outside a project: each requirement where its route says."""
    call = scan(list(plan.args))
    _say_routes(plan, environ, ctx.config.quiet or bool(call.count("--quiet")))
    apps = [i for i, r in enumerate(plan.routes) if r.to == PIPX]
    command = _pipx_or_refuse(plan, environ) if apps else []
    parts: list[Part] = []
    libraries = [r.requirement for r in plan.routes if r.to != PIPX]
    if libraries or call.has("--requirement") or call.has("--editable"):
        args = call.without_positionals(apps)
        what = " ".join(libraries + [f"-r {r}" for r in call.values("--requirement")]
                        + [f"-e {e}" for e in call.values("--editable")])
        code = _user_env_pip(ctx, plan, args, environ, create=True)
        parts.append(Part(what, ui.shortpath(plan.env_dir or "", environ), code))
        if code == 0:
            _link(plan, environ, ctx.config.quiet)
    installed = pipx.installed(command, _env(plan, environ), global_mode=plan.pipx_global) \
        if apps and call.has("--upgrade") else {}
    for index in apps:
        route = plan.routes[index]
        how = "pipx --global" if plan.pipx_global else "pipx"
        parts.append(Part(route.requirement, how, _app(command, ctx, call, route, installed, plan, environ)))
    if any(p.code == 0 and p.where.startswith("pipx") for p in parts):
        _show_bin_dir(command, plan, environ, ctx.config.quiet)
    return _summary(parts, environ, ctx.config.quiet)


def uninstall(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> int:
    """``uninstall`` outside a project: pipx's applications with pipx, the rest from the
    per-user environment.
    """
    call = scan(list(plan.args))
    try:
        command = pipx.command(environ)
    except NoTargetError:
        command = []
    installed = pipx.installed(command, _env(plan, environ), global_mode=plan.pipx_global) if command else {}
    apps = [i for i, r in enumerate(call.positionals) if requirement_name(r) in installed]
    parts: list[Part] = []
    rest = [r for i, r in enumerate(call.positionals) if i not in apps]
    if rest or call.has("--requirement"):
        assert ctx.user_env is not None
        where = ui.shortpath(ctx.user_env[0], environ)
        if ctx.user_env[1]:
            code = _user_env_pip(ctx, plan, call.without_positionals(apps), environ, create=False)
            if code == 0:
                from .links import unexpose

                names = [n for n in (requirement_name(r) for r in rest) if n]
                for link in unexpose(ctx.user_env[0], names):
                    ui.say(f"removed the link {ui.shortpath(link, environ)}", "notice", environ)
        else:
            ui.say(f"skipping {' '.join(rest) or 'the requirements'}: not installed with pipx, and there is "
                   f"no per-user environment yet ({where})", "warning", environ)
            code = 0
        parts.append(Part(" ".join(rest), where, code))
    for index in apps:
        name = installed[str(requirement_name(call.positionals[index]))]
        if not ctx.config.quiet:
            ui.say(f"{name} was installed with pipx: uninstalling it with pipx", "notice", environ)
        code = _call(pipx.uninstall_argv(command, name, global_mode=plan.pipx_global), _env(plan, environ))
        parts.append(Part(name, "pipx", code))
    return _summary(parts, environ, ctx.config.quiet)


def list_all(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> int:
    """``list`` outside a project: the per-user environment, then (a heading on stderr)
    the applications pipx manages.
    """
    call = scan(list(plan.args))
    assert ctx.user_env is not None
    env_dir, exists = ctx.user_env
    code = 0
    if exists:
        code = _user_env_pip(ctx, plan, plan.args, environ, create=False)
    else:
        ui.say(f"no per-user environment yet ({ui.shortpath(env_dir, environ)}); "
               "`safepip install NAME` outside a project creates it", "notice", environ)
    freeze = call.command == "freeze"
    if call.last("--format") not in (None, "columns") or freeze:
        what = "freeze's output" if freeze else "this format"
        ui.say(f"applications installed with pipx are not part of {what}: see `pipx list`", "notice", environ)
        return code
    try:
        command = pipx.command(environ)
    except NoTargetError:
        return code
    done = subprocess.run([*command, "list", "--short", *(["--global"] if plan.pipx_global else [])],
                          capture_output=True, text=True, env=_env(plan, environ), check=False)
    lines = [line for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []
    if not lines:
        ui.say("no applications installed with pipx", "notice", environ)
        return code
    ui.say("applications installed with pipx:", "notice", environ)
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()
    return code


def run(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> int | None:
    """The commands that need more than one hand-over; None: the ordinary flow handles it."""
    command = ctx.call.command
    if plan.needs_facts:
        return install(ctx, planned(ctx, plan, environ), environ)
    if not plan.apps_to_pipx:
        return None
    if command == "uninstall":
        return uninstall(ctx, plan, environ)
    if command in ("list", "freeze"):
        return list_all(ctx, plan, environ)
    return None
