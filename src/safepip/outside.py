"""Outside any project: libraries to the per-user environment, applications to pipx.

``install`` classifies each requirement (:mod:`safepip.classify`) and sends each part
where it belongs: one pip run in the per-user environment for the libraries (and any
``-r``/``-e``), one pipx run per application. ``uninstall`` asks pipx first; ``list``
shows the per-user environment, then pipx's applications. Every part runs to the end;
the exit code is the first failing part's, and a summary line says which part failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Mapping, Sequence

from . import pipx, ui
from ._quick import bin_python, has_pip
from .classify import APP, UNDECIDED, classify, download_options, is_bare, requirement_name
from .context import Context
from .decide import Plan
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


def _target_pip(ctx: Context, environ: Mapping[str, str]) -> list[str]:
    """The pip that downloads for the target (its own, else safepip's driving it)."""
    if ctx.interp.has_pip:
        return pip_argv(ctx.interp.path, [])
    return [*own_pip(environ), "--python", ctx.interp.path]


def _with_options(args: Sequence[str], extra: Sequence[str]) -> list[str]:
    """``args`` with ``extra`` appended (before a ``--``, after which all is positional)."""
    at = list(args).index("--") if "--" in args else len(args)
    return [*args[:at], *extra, *args[at:]]


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


def install(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> int:
    """``install`` outside a project: each requirement where it belongs."""
    import shutil
    import tempfile

    from .paths import cache_dir

    call = scan(list(plan.args))
    requirements = list(call.positionals)
    from .safefs import directory_problem

    base = os.path.join(cache_dir(environ), "downloads")
    # pip runs what it downloads here: a private directory, or the system's temporary one.
    private = directory_problem(base, cache_dir(environ), create=True) is None
    dest = tempfile.mkdtemp(prefix="classify-", dir=base if private else None)
    try:
        kinds = classify(requirements, _target_pip(ctx, environ), download_options(call), dest, _env(plan, environ))
        for kind in kinds:
            if kind.kind == UNDECIDED:
                ui.say(f"cannot tell whether {kind.requirement} is an application ({kind.why}); "
                       "installing it as a library", "warning", environ)
        apps = [i for i, k in enumerate(kinds) if k.kind == APP]
        command = _pipx_or_refuse(plan, environ) if apps else []
        why = pipx.cannot_make_envs(command, _env(plan, environ), global_mode=plan.pipx_global) if apps else None
        if why:
            # The cheap wrong guess: an application in the per-user environment still runs.
            for index in apps:
                ui.say(f"{kinds[index].requirement} is an application, but pipx cannot install it here: {why} "
                       "(on Debian and Ubuntu: apt install python3-venv); installing it in the per-user environment, "
                       f"its commands in {ui.shortpath(os.path.join(plan.env_dir or '', 'bin'), environ)}",
                       "warning", environ)
            apps, command = [], []
        parts: list[Part] = []
        libraries = [r for i, r in enumerate(requirements) if i not in apps]
        if libraries or call.has("--requirement") or call.has("--editable"):
            args = _with_options(call.without_positionals(apps), ["--find-links", dest])
            what = " ".join(libraries + [f"-r {r}" for r in call.values("--requirement")]
                            + [f"-e {e}" for e in call.values("--editable")])
            code = _user_env_pip(ctx, plan, args, environ, create=True)
            parts.append(Part(what, ui.shortpath(plan.env_dir or "", environ), code))
        installed = pipx.installed(command, _env(plan, environ), global_mode=plan.pipx_global) \
            if apps and call.has("--upgrade") else {}
        for index in apps:
            kind = kinds[index]
            how = "pipx --global" if plan.pipx_global else "pipx"
            if not ctx.config.quiet:
                line = f"{kind.requirement} is an application ({kind.why}): installing it with {how}"
                ui.say(line, "notice", environ)
            argv = _app_argv(command, ctx, call, kind.requirement, kind.name, installed, plan)
            parts.append(Part(kind.requirement, how, _call(argv, _env(plan, environ))))
        if any(p.code == 0 and p.where.startswith("pipx") for p in parts):
            _show_bin_dir(command, plan, environ, ctx.config.quiet)
        return _summary(parts, environ, ctx.config.quiet)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


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
    if call.last("--format") not in (None, "columns"):
        ui.say("applications installed with pipx are not part of this format: see `pipx list`", "notice", environ)
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
    if not plan.apps_to_pipx:
        return None
    if command == "install" and ctx.call.positionals and not ctx.call.has("--dry-run"):
        return install(ctx, plan, environ)
    if command == "uninstall":
        return uninstall(ctx, plan, environ)
    if command == "list":
        return list_all(ctx, plan, environ)
    return None
