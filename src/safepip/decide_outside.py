"""Routing outside a project, as steps of the plan (pure: no I/O).

``install`` sends each requirement where it belongs: one pip run in the per-user
environment for the libraries (and any ``-r``/``-e``), one pipx run per application.
``uninstall`` asks pipx first. The plan's ``steps`` say exactly what runs, so ``explain``
shows what ``install`` does; :mod:`safepip.act.outside` runs them.
"""

from __future__ import annotations

from functools import partial

from safepip.decide import PIPX, REFUSE, USER_ENV, Plan, Route
from safepip.errors import EX_NOPERM
from safepip.steps import PIP, PIPX_RUN, Step

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping, Sequence

    from safepip.facts.apps import AppFacts
    from safepip.facts.classify import Fact
    from safepip.facts.config import Config
    from safepip.facts.pipargs import PipCall


def routes(requirements: Sequence[str], config: Config, facts: Sequence[Fact],
           pipx_problem: str | None = None, pipx_apps: Mapping[str, str] | None = None) -> tuple[Route, ...]:
    """Where each requirement of an install outside a project goes (see :mod:`safepip.facts.apprule`).

    ``pipx_problem`` says why pipx cannot work here: an application then goes to the per-user
    environment too (with its commands linked), the cheap way, rather than fail. ``pipx_apps``
    are the applications pipx manages (canonical name -> pipx's): a plugin of one of them is
    injected into it (unless ``apps = "user-env"``).
    """
    from safepip.facts.apprule import APP, NEVER_APPS, judge, plugin_of

    origin = config.origin.get("apps", "default")
    found: list[Route] = []
    for requirement, fact in zip(requirements, facts):
        name = fact.name
        app = plugin_of(fact.meta, pipx_apps) if fact.meta is not None and pipx_apps else None
        if app is not None and name not in NEVER_APPS and config.apps != "user-env":
            why = (f"a plugin of {app}, which pipx manages: injected into its environment with pipx inject {app}, "
                   f"where {app} finds it")
            found.append(Route(requirement, name, PIPX, why, False, "--safepip-apps=user-env", app))
        elif name in NEVER_APPS:
            why = (f"{name} is the environment's own tool: it changes there (the system's own is left alone); "
                   "never an application, never linked onto PATH")
            found.append(Route(requirement, name, USER_ENV, why))
        elif config.apps == "user-env":
            found.append(Route(requirement, name, USER_ENV, f"apps = user-env (from {origin})", True,
                               "--safepip-apps=pipx"))
        elif config.apps == "pipx" and name is not None:
            found.append(Route(requirement, name, PIPX, f"apps = pipx (from {origin})", False,
                               "--safepip-apps=user-env"))
        elif fact.meta is None:
            why = f"cannot tell whether it is an application ({fact.unknown}): treated as a library"
            found.append(Route(requirement, name, USER_ENV, why, True, "--safepip-apps=pipx"))
        else:
            verdict = judge(fact.meta)
            if verdict.kind == APP and pipx_problem is not None:
                why = f"an application: {verdict.why}; but {pipx_problem}, so its commands are linked onto PATH"
                found.append(Route(requirement, name, USER_ENV, why, True))
            elif verdict.kind == APP:
                found.append(Route(requirement, name, PIPX, f"an application: {verdict.why}", False,
                                   "--safepip-apps=user-env"))
            else:
                found.append(Route(requirement, name, USER_ENV, f"a library: {verdict.why}", True,
                                   "--safepip-apps=pipx"))
    return tuple(found)


def _with_steps(plan: Plan, steps: list[Step]) -> Plan:
    """``plan`` with its steps; when every step is pipx's, a PIPX plan (no per-user
    environment is touched: no lock on it, no note on how to use it).
    """
    if steps and all(s.tool == PIPX_RUN for s in steps):
        # The why is the decision's: where each requirement goes, not only the per-user environment.
        why = "; ".join([plan.why, *(f"{r.requirement} -> pipx ({r.why})" for r in plan.routes if r.to == PIPX)])
        return plan.replace_(kind=PIPX, why=why, lock=False, notes=(), steps=tuple(steps))
    return plan.replace_(steps=tuple(steps))


def needs_apps(call: PipCall, plan: Plan) -> bool:
    """Whether ``plan`` (as :func:`safepip.decide.plan` makes it) is completed with
    :func:`route`, the requirements' facts gathered first: an install outside a project that
    names requirements (not a dry run), or an uninstall pipx may be part of.
    """
    if plan.kind != USER_ENV or plan.routes or plan.steps:
        return False
    if call.command == "install":
        return bool(call.positionals) and "--dry-run" not in call.given
    return plan.apps_to_pipx and call.command == "uninstall"


def route(call: PipCall, plan: Plan, apps: AppFacts, python: str, user_env_exists: bool, config: Config) -> Plan:
    """``plan`` (a per-user environment plan) completed with its routes and steps.

    ``python`` is the target interpreter (pipx makes each application's environment for it);
    ``user_env_exists`` whether the per-user environment is there now. Every step's command
    line comes from the call as the redirect hands it on (:func:`safepip.decide.redirected`),
    as ``plan.args`` does: what it removes reaches neither pip nor pipx.
    """
    from safepip.decide import redirected

    call = redirected(call)
    if call.command == "uninstall":
        return _uninstall(call, plan, apps, user_env_exists)
    return _install(call, plan, apps, python, config)


def _install(call: PipCall, plan: Plan, apps: AppFacts, python: str, config: Config) -> Plan:
    from safepip import pipx
    from safepip.facts.classify import is_bare

    found = routes(call.positionals, config, apps.facts, apps.pipx_problem, apps.installed)
    plan = plan.replace_(routes=found)
    indexes = [i for i, r in enumerate(found) if r.to == PIPX]
    if indexes and apps.pipx is None:
        return plan.replace_(kind=REFUSE, reason=apps.pipx_missing or "no pipx", steps=())
    if indexes and plan.pipx_global and not apps.pipx_global_ok:
        shown = " ".join(apps.pipx or ())
        reason = (f"as root, applications are installed with pipx's --global mode, and {shown} has none "
                  "(pipx 1.5 or newer has it); upgrade pipx, or run safepip as a normal user")
        return plan.replace_(kind=REFUSE, reason=reason, exit_code=EX_NOPERM, steps=())
    steps: list[Step] = []
    libraries = [r.requirement for r in found if r.to != PIPX]
    if libraries or "--requirement" in call.given or "--editable" in call.given:
        args = call.without_positionals(indexes)
        what = " ".join(libraries + [f"-r {r}" for r in call.values("--requirement")]
                        + [f"-e {e}" for e in call.values("--editable")])
        linked = tuple(r.name for r in found if r.to == USER_ENV and r.expose and r.name)
        steps.append(Step(what, plan.env_dir or "", PIP, tuple(args), create=True, names=linked))
    command = list(apps.pipx or ())
    how = "pipx --global" if plan.pipx_global else "pipx"
    for index in indexes:
        requirement, name = found[index].requirement, found[index].name
        if found[index].app:
            argv = pipx.inject_argv(command, found[index].app, requirement, call, global_mode=plan.pipx_global,
                                    skip_maintenance=apps.pipx_skip_maintenance)
            steps.append(Step(requirement, f"{how} inject {found[index].app}", PIPX_RUN, tuple(argv)))
            continue
        deps = _metapackage(apps.facts[index] if index < len(apps.facts) else None)
        again: tuple[str, ...] = ()
        # pipx's options as this pipx has them (Debian 12's 1.1.0 has no --skip-maintenance).
        install = partial(pipx.install_argv, global_mode=plan.pipx_global, include_deps=deps,
                          skip_maintenance=apps.pipx_skip_maintenance, pip_wheels=apps.pipx_pip_wheels)
        if "--upgrade" in call.given and name is not None and name in apps.installed:
            if is_bare(requirement):  # nothing to keep: pipx upgrades to the newest
                argv = pipx.upgrade_argv(command, apps.installed[name], call, global_mode=plan.pipx_global,
                                         skip_maintenance=apps.pipx_skip_maintenance, pip_wheels=apps.pipx_pip_wheels)
            else:
                argv = install(command, requirement, python, call, force=True)
        else:
            argv = install(command, requirement, python, call)
        if name is not None:
            again = tuple(install(command, requirement, python, call, force=True))
        steps.append(Step(requirement, how, PIPX_RUN, tuple(argv), names=(name,) if name else (), again=again))
    return _with_steps(plan, steps)


def _metapackage(fact: Fact | None) -> bool:
    """Whether a requirement's distribution is a metapackage (no command, no module: jupyter):
    pipx exposes the commands of what it brings in only with ``--include-deps``.
    """
    return fact is not None and fact.meta is not None and not fact.meta.scripts and not fact.meta.top_level


def _uninstall(call: PipCall, plan: Plan, apps: AppFacts, user_env_exists: bool) -> Plan:
    from safepip import pipx
    from safepip.facts.classify import requirement_name

    indexes = [i for i, r in enumerate(call.positionals)
               if requirement_name(r) in apps.installed or requirement_name(r) in apps.injected]
    steps: list[Step] = []
    rest = [r for i, r in enumerate(call.positionals) if i not in indexes]
    if rest or "--requirement" in call.given:
        skip = None
        if not user_env_exists:
            skip = (f"skipping {' '.join(rest) or 'the requirements'}: not installed with pipx, and there is "
                    f"no per-user environment yet ({plan.env_dir})")
        names = tuple(n for n in (requirement_name(r) for r in rest) if n)
        steps.append(Step(" ".join(rest), plan.env_dir or "", PIP, tuple(call.without_positionals(indexes)), skip=skip,
                          names=names))
    for index in indexes:
        canonical = str(requirement_name(call.positionals[index]))
        if canonical not in apps.installed:  # a plugin pipx injected into an application
            app = apps.injected[canonical]
            if apps.pipx_uninject:
                argv = pipx.uninject_argv(list(apps.pipx or ()), app, canonical, global_mode=plan.pipx_global)
                steps.append(Step(canonical, f"pipx uninject {app}", PIPX_RUN, tuple(argv),
                                  notice=f"{canonical} was injected into {app} with pipx: uninjecting it with pipx"))
                continue
            # This pipx (Debian 12's 1.1.0) has no uninject: its own pip in the application's
            # environment removes the plugin; a newer pipx might rewrite the user's pipx metadata.
            argv = pipx.runpip_uninstall_argv(list(apps.pipx or ()), app, canonical, global_mode=plan.pipx_global)
            steps.append(Step(canonical, f"pipx runpip {app}", PIPX_RUN, tuple(argv),
                              notice=f"{canonical} was injected into {app} with pipx, which has no uninject: "
                                     f"uninstalling it with pipx runpip {app} (pipx still lists it as injected: "
                                     f"pipx reinstall {app} would bring it back)"))
            continue
        name = apps.installed[canonical]
        argv = pipx.uninstall_argv(list(apps.pipx or ()), name, global_mode=plan.pipx_global)
        steps.append(Step(name, "pipx", PIPX_RUN, tuple(argv),
                          notice=f"{name} was installed with pipx: uninstalling it with pipx"))
    return _with_steps(plan, steps)
