"""Facts for routing outside a project (``apps = "pipx"``): which requirements are
applications (classified by downloading them), which pipx runs, and what it manages.

It only reads (the downloads go to a scratch directory the caller owns, and the install
finds them there with ``--find-links``); :func:`safepip.decide_outside.route` decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

from safepip.errors import NoTargetError

if TYPE_CHECKING:
    from safepip.facts.classify import Kind
    from safepip.facts.gather import Context


@dataclass(frozen=True)
class AppFacts:
    """What the routing outside a project needs besides the call itself."""

    #: install: what each requirement (pip's positionals, in order) is.
    kinds: tuple[Kind, ...] = ()
    #: install: the scratch directory holding the classified downloads.
    download_dir: str | None = None
    #: How to run pipx (None: there is none; ``pipx_missing`` says so).
    pipx: tuple[str, ...] | None = None
    pipx_missing: str | None = None
    #: Whether that pipx has ``--global`` (asked only when the plan needs it).
    pipx_global_ok: bool = True
    #: Canonical name -> pipx's name of each application pipx manages (when needed).
    installed: Mapping[str, str] = field(default_factory=dict)
    #: Why that pipx cannot make application environments here (no ensurepip for its
    #: shared pip on a fresh Debian), None when it can.
    pipx_cannot: str | None = None


def _pipx(environ: Mapping[str, str]) -> tuple[tuple[str, ...] | None, str | None]:
    from safepip.act.pipx import command

    try:
        return tuple(command(environ)), None
    except NoTargetError as exc:
        return None, str(exc)


def gather_apps(ctx: Context, plan_env: Mapping[str, str], environ: Mapping[str, str], scratch: str,
                *, global_mode: bool) -> AppFacts:
    """The facts for ``ctx.call`` (install or uninstall outside a project). ``plan_env`` is
    the environment the downloads and pipx run with; ``scratch`` receives the downloads.
    """
    from safepip.act import pipx
    from safepip.act.ownpip import pip_command as own_pip
    from safepip.act.run import pip_argv
    from safepip.facts.classify import APP, classify, download_options

    call = ctx.call
    if call.command == "uninstall":
        command, missing = _pipx(environ)
        installed = pipx.installed(command, plan_env, global_mode=global_mode) if command else {}
        return AppFacts(pipx=command, pipx_missing=missing, installed=installed)
    # The pipx that downloads for the target: its own, else safepip's driving it.
    # (safepip's own pip, which works from safepip.pyz on a python3 without pip).
    target_pip = pip_argv(ctx.interp.path, []) if ctx.interp.has_pip else [*own_pip(environ), "--python", ctx.interp.path]
    kinds = tuple(classify(list(call.positionals), target_pip, download_options(call), scratch, plan_env))
    if not any(k.kind == APP for k in kinds):
        return AppFacts(kinds=kinds, download_dir=scratch)
    command, missing = _pipx(environ)
    global_ok = True
    if command is not None and global_mode:
        global_ok = pipx.supports_global(command, plan_env)
    installed = pipx.installed(command, plan_env, global_mode=global_mode) if command and call.has("--upgrade") else {}
    cannot = pipx.cannot_make_envs(command, plan_env, global_mode=global_mode) if command else None
    return AppFacts(kinds, scratch, command, missing, global_ok, installed, cannot)
