"""Facts for routing outside a project: what each requirement of an install is (its
distribution's metadata, :func:`safepip.facts.classify.gather`), whether pipx can work
here, which pipx runs, and what it manages.

It only reads (pip's reports go to a scratch directory the caller owns);
:func:`safepip.decide_outside.route` decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from safepip.errors import NoTargetError

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Callable

    from safepip.facts.classify import Fact, Tls
    from safepip.facts.gather import Context
    from safepip.facts.pipargs import PipCall
    from safepip.session import Session


@dataclass(frozen=True)
class AppFacts:
    """What the routing outside a project needs besides the call itself."""

    #: install: what is known of each requirement (pip's positionals, in order).
    facts: tuple[Fact, ...] = ()
    #: install: why pipx cannot install applications here (None: it can, or none is one).
    pipx_problem: str | None = None
    #: How to run pipx (None: there is none; ``pipx_missing`` says so).
    pipx: tuple[str, ...] | None = None
    pipx_missing: str | None = None
    #: Whether that pipx has ``--global`` (asked only when the plan needs it).
    pipx_global_ok: bool = True
    #: Canonical name -> pipx's name of each application pipx manages (when needed).
    installed: Mapping[str, str] = field(default_factory=dict)
    #: uninstall: canonical name -> the application pipx injected it into.
    injected: Mapping[str, str] = field(default_factory=dict)
    #: Whether that pipx has ``--skip-maintenance`` (asked only for ``--no-index``).
    pipx_skip_maintenance: bool = True
    #: Whether that pipx has ``uninject`` (asked only to uninstall an injected package).
    pipx_uninject: bool = True
    #: With ``--no-index``: a directory holding safepip's own pip wheel, for pipx's shared libraries.
    pipx_pip_wheels: str | None = None


def _pipx(environ: Mapping[str, str]) -> tuple[tuple[str, ...] | None, str | None]:
    from safepip.pipx import command

    try:
        return tuple(command(environ)), None
    except NoTargetError as exc:
        return None, str(exc)


def _tls(call: PipCall, ctx: Context) -> Tls:
    from safepip.facts.classify import Tls

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


def facts_for(ctx: Context, plan_env: Mapping[str, str], session: Session, scratch: str,
              metadata_pip: Callable[[], list[str]]) -> list[Fact]:
    """The facts of the install's requirements, gathered with safepip's own pip (for the
    target interpreter; ``metadata_pip`` gives its command line) into ``scratch``.
    """
    from safepip.facts.classify import Fact, download_options, gather, requirement_name

    call = ctx.call
    if ctx.config.apps == "user-env":  # every requirement goes one way: only the names count
        return [Fact(r, requirement_name(r)) for r in call.positionals]
    # apps = pipx reads the metadata too: a metapackage needs pipx's --include-deps.
    facts = gather(list(call.positionals), metadata_pip(), ctx.interp.path, download_options(call),
                   scratch, plan_env, _tls(call, ctx))
    if session.debug:
        for fact in facts:
            session.say(f"{fact.requirement}: metadata read from {fact.how or 'nowhere'}, {fact.fetched} bytes fetched")
    return facts


def _plugs(facts: tuple[Fact, ...], apps: Mapping[str, str] | None = None) -> bool:
    """Whether a requirement plugs into an application (into one of ``apps``, when given)."""
    from safepip.facts.apprule import hosts, plugin_of

    if apps is None:
        return any(f.meta is not None and hosts(f.meta) for f in facts)
    return any(f.meta is not None and plugin_of(f.meta, apps) for f in facts)


def _features(command: tuple[str, ...] | None, plan_env: Mapping[str, str], call: PipCall,
              global_mode: bool) -> tuple[bool, bool]:
    """Whether this pipx has ``--global`` and ``--skip-maintenance`` (asked only when needed)."""
    from safepip import pipx

    if command is None or not (global_mode or call.has("--no-index")):
        return True, True
    found = pipx.features(command, plan_env)
    return "--global" in found, "--skip-maintenance" in found


def _name(requirement: str) -> str | None:
    from safepip.facts.classify import requirement_name

    return requirement_name(requirement)


def still_injected(command: tuple[str, ...], env: Mapping[str, str], claimed: Mapping[str, str],
                   *, global_mode: bool) -> dict[str, str]:
    """Those of pipx's ``claimed`` injected packages (canonical name -> application) that
    are still installed in the application's environment. A pipx without ``uninject``
    keeps listing a package removed with ``pipx runpip APP uninstall``; where pipx's
    environments or their site-packages cannot be found, pipx's word stands.
    """
    import glob
    import os

    from safepip import pipx
    from safepip.facts.installed import scan

    venvs = pipx.value(command, env, "PIPX_LOCAL_VENVS", global_mode) if claimed else None
    if venvs is None:
        return dict(claimed)
    present: dict[str, set[str] | None] = {}
    for app in set(claimed.values()):
        root = os.path.join(venvs, app)
        sites = glob.glob(os.path.join(glob.escape(root), "lib", "python*", "site-packages"))
        sites += glob.glob(os.path.join(glob.escape(root), "Lib", "site-packages"))
        present[app] = {d.key for d in scan(sites)} if sites else None
    return {name: app for name, app in claimed.items() if present[app] is None or name in (present[app] or ())}


def gather_apps(ctx: Context, plan_env: Mapping[str, str], session: Session, scratch: str,
                *, global_mode: bool, wants_pipx: Callable[[tuple[Fact, ...]], bool],
                metadata_pip: Callable[[], list[str]]) -> AppFacts:
    """The facts for ``ctx.call`` (install or uninstall outside a project). ``plan_env`` is
    the environment pip and pipx run with; ``scratch`` receives pip's reports. pipx is
    looked at only when ``wants_pipx`` (the plan's rule, given the requirements' facts) says
    that some requirement would go there. ``metadata_pip`` gives the command line of the pip
    that reads the requirements' metadata (safepip's own), asked for only when needed.
    """
    from safepip import pipx

    environ, call = session.environ, ctx.call
    if call.command == "uninstall":
        command, missing = _pipx(environ)
        installed = pipx.installed(command, plan_env, global_mode=global_mode) if command else {}
        injected: Mapping[str, str] = {}
        uninject = True
        if command:
            injected = still_injected(command, plan_env, pipx.injected(command, plan_env, global_mode=global_mode),
                                      global_mode=global_mode)
            if any(_name(r) in injected and _name(r) not in installed for r in call.positionals):
                uninject = pipx.has_uninject(command, plan_env)
        return AppFacts(pipx=command, pipx_missing=missing, installed=installed, injected=injected,
                        pipx_uninject=uninject)
    facts = tuple(facts_for(ctx, plan_env, session, scratch, metadata_pip))
    hosting: Mapping[str, str] = {}
    if ctx.config.apps != "user-env" and _plugs(facts):
        # A plugin goes where its application lives, if pipx manages that application.
        command, missing = _pipx(environ)
        hosting = pipx.installed(command, plan_env, global_mode=global_mode) if command else {}
        if _plugs(facts, hosting) and not wants_pipx(facts):
            global_ok, skip = _features(command, plan_env, call, global_mode)
            return AppFacts(facts, None, command, missing, global_ok, hosting, pipx_skip_maintenance=skip)
    if not wants_pipx(facts):
        return AppFacts(facts=facts)
    problem = None
    if ctx.config.apps != "pipx":
        problem = pipx.unusable(plan_env, ctx.interp.path, global_mode=global_mode)
        if problem is not None:
            return AppFacts(facts=facts, pipx_problem=problem)
    command, missing = _pipx(environ)
    global_ok, skip = _features(command, plan_env, call, global_mode)
    managed: Mapping[str, str] = hosting
    if command and not managed and call.has("--upgrade"):
        managed = pipx.installed(command, plan_env, global_mode=global_mode)
    wheels = _pip_wheels(ctx, environ) if command is not None and call.has("--no-index") else None
    return AppFacts(facts, problem, command, missing, global_ok, managed, pipx_skip_maintenance=skip,
                    pipx_pip_wheels=wheels)


def _pip_wheels(ctx: Context, environ: Mapping[str, str]) -> str | None:
    """A directory holding the newest pip wheel safepip has offline for the target (None: none).

    pipx makes its shared libraries (once, with the ``ensurepip`` of its interpreter) and then
    reinstalls pip from the install's own sources: with ``--no-index`` those hold no pip, and
    pipx 1.5 to 1.7 stop there (Debian 13's pipx 1.7.1, offline, installed nothing).
    """
    from safepip.venv.seedpip import choose, wheel_dir

    try:
        candidate = choose(ctx.interp.version, None)
        return wheel_dir(candidate, environ) if candidate is not None else None
    except (OSError, ValueError):  # no wheel to offer: pipx as it is
        return None
