"""``plan()``: every policy decision safepip makes, in one pure function (no I/O).

Given what pip was asked (:class:`~safepip.pipargs.PipCall`), the target interpreter
(:class:`~safepip.interpreter.Interp`), the project and its environment, the configuration
and pip's own settings, it says where the work goes and why. The callers gather facts and
act on the plan; the table tests in ``tests/unit/test_decide.py`` pin down every rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Mapping, Sequence

from safepip.errors import EX_NOPERM, EX_UNAVAILABLE
from safepip.facts.config import Config
from safepip.facts.interpreter import Interp
from safepip.facts.pipargs import ENV_COMMANDS, WRITE_COMMANDS, PipCall
from safepip.facts.pipconf import Setting, as_bool
from safepip.facts.project import Project

if TYPE_CHECKING:
    from safepip.steps import Step

if TYPE_CHECKING:
    from safepip.facts.classify import Fact

PASSTHROUGH = "passthrough"
PROJECT_VENV = "project-venv"
USER_ENV = "user-env"
PIPX = "pipx"
REFUSE = "refuse"

#: pip does not apply PEP 668 when one of these says where to write (pip's own rule).
ELSEWHERE = ("--target", "--prefix", "--root")


@dataclass(frozen=True)
class Plan:
    """Where a pip call goes.

    ``kind`` is one of PASSTHROUGH, PROJECT_VENV, USER_ENV, PIPX, REFUSE. ``env_dir`` is the
    environment to use (created if missing) for PROJECT_VENV and USER_ENV. ``args`` is pip's
    argv as it will be run; ``python`` the interpreter that runs it (None: the environment's).
    ``reason`` is the notice's first half (or the refusal); ``notes`` are appended to it.
    """

    kind: str
    why: str
    args: tuple[str, ...]
    python: str | None = None
    env_dir: str | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()
    creation_notes: tuple[str, ...] = ()  # said only when the environment is created
    warnings: tuple[str, ...] = ()
    lock: bool = False
    own_pip: bool = False
    env_changes: Mapping[str, str | None] = field(default_factory=dict)
    #: USER_ENV: create the environment with access to the system site-packages.
    system_site: bool = False
    #: USER_ENV: some requirements may go to pipx (``apps`` is not ``"user-env"``); for
    #: uninstall and list, pipx's applications are part of the answer.
    apps_to_pipx: bool = False
    #: USER_ENV install: the requirements' facts must be gathered, then the plan made again
    #: with them (:func:`routes`); ``routes`` then says where each requirement goes.
    needs_facts: bool = False
    routes: tuple[Route, ...] = ()
    #: USER_ENV as root: pipx must work in its --global mode.
    pipx_global: bool = False
    #: REFUSE: the exit code (69: nowhere safe to go; 77: a root/ownership rule).
    exit_code: int = EX_UNAVAILABLE
    #: Outside a project with ``apps = "pipx"``: each hand-over, in order
    #: (:func:`safepip.decide_outside.route`); empty: the one pip run ``args`` says.
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Route:
    """Where one named requirement of an install outside a project goes, and why.

    ``to`` is USER_ENV or PIPX; ``expose``: link its commands onto PATH (a library the user
    named). ``other`` is the flag that sends it the other way.
    """

    requirement: str
    name: str | None
    to: str
    why: str
    expose: bool = False
    other: str = ""


@dataclass(frozen=True)
class Who:
    """Who runs safepip and who owns what it would touch (the facts the root rules need).

    ``euid`` is None where the OS has no user ids. ``owner`` is the uid owning the project
    root (or the working directory for ``outside = cwd``); ``data_owner`` the uid owning the
    nearest existing directory of the per-user environment's path.
    """

    euid: int | None = None
    sudo_uid: int | None = None
    sudo_user: str | None = None
    owner: int | None = None
    owner_name: str | None = None
    data_owner: int | None = None
    allow_root: bool = False
    #: Not on a terminal (a Dockerfile's RUN, CI), or in a container: root's creation notice
    #: then says how later commands reach the new environment.
    scripted: bool = True
    #: The uid owning the target environment itself, when the target is a virtual or conda
    #: environment (``VIRTUAL_ENV``, ``--python``, ``SAFEPIP_PYTHON``, the config), and its name.
    target_owner: int | None = None
    target_owner_name: str | None = None

    @property
    def root(self) -> bool:
        """Whether safepip runs as root."""
        return self.euid == 0


def _managed_reason(interp: Interp) -> str:
    who = f" ({interp.distributor})" if interp.distributor else ""
    return f"{interp.path} is externally managed{who}"


def _passthrough(call: PipCall, interp: Interp, why: str, **extra: object) -> Plan:
    """Run pip as asked against the target: its own pip, else safepip's pip with --python."""
    # A call pip will refuse goes to it exactly as given: pip's own error is the answer.
    args = tuple(call.argv) if call.error is not None else tuple(call.without(["--python"]))
    if interp.has_pip:
        return Plan(PASSTHROUGH, why, args, python=interp.path, **extra)  # type: ignore[arg-type]
    return Plan(PASSTHROUGH, why, ("--python", interp.path, *args), own_pip=True, **extra)  # type: ignore[arg-type]


def _break_system(call: PipCall, settings: Mapping[str, Setting]) -> str | None:
    if call.has("--break-system-packages"):
        return "--break-system-packages"
    setting = settings.get("break-system-packages")
    if setting and as_bool(setting.value):
        return setting.source
    return None


def _elsewhere(call: PipCall, settings: Mapping[str, Setting]) -> str | None:
    if call.command != "install":
        return None
    for option in ELSEWHERE:
        if call.has(option):
            return option
        setting = settings.get(option[2:])
        if setting and setting.value:
            return f"{option} (from {setting.source})"
    if call.has("--dry-run") and call.has("--report"):
        return "--dry-run with --report"
    return None


def plan(
    call: PipCall,
    interp: Interp,
    project: Project | None,
    env: tuple[str, bool] | None,
    config: Config,
    settings: Mapping[str, Setting],
    cwd: str,
    *,
    user_env: tuple[str, bool] | None = None,
    who: Who | None = None,
) -> Plan:
    """Decide where ``call`` goes. ``env`` is the project's (environment dir, exists);
    ``user_env`` the per-user environment for the target's version (dir, exists); ``who`` the facts the
    root and sudo rules need.
    """
    who = who or Who()
    if call.error is not None:
        return _passthrough(call, interp, f"pip will report: {call.error}")
    if config.policy == "never":
        return _passthrough(call, interp, f"policy = never (from {config.origin['policy']})")
    if (interp.in_venv or interp.conda) and call.command in WRITE_COMMANDS:
        refusal = _root_in_their_env(call, interp, who)
        if refusal is not None:
            return refusal
    if interp.in_venv:
        return _passthrough(call, interp, f"{interp.path} is a virtual environment")
    if interp.conda:
        return _passthrough(call, interp, f"{interp.path} is a conda environment")
    if call.informational:
        return _informational(call, interp, env)
    if call.command not in ENV_COMMANDS:
        return _non_env(call, interp, env)
    elsewhere = _elsewhere(call, settings)
    if elsewhere:
        return _passthrough(call, interp, f"{elsewhere} writes outside the environment; pip allows it")
    forced = _break_system(call, settings)
    if forced:
        warning = f"{forced}: pip will change {interp.path}'s own environment"
        return _passthrough(call, interp, f"{forced} given", warnings=(warning,))
    if not interp.managed and config.policy != "always":
        return _passthrough(call, interp, f"{interp.path} is not externally managed")

    reason = (
        _managed_reason(interp)
        if interp.managed
        else f"policy = always (from {config.origin['policy']})"
    )
    warnings: tuple[str, ...] = ()
    if interp.managed and interp.marker_problem:
        warnings = (
            (f"{interp.marker} cannot be read ({interp.marker_problem}); "
            f"treating {interp.path} as externally managed, as pip does"),
        )
    if project is not None and env is not None:
        why = f"{reason}; {project.root} is a project ({project.why})"
        return replace(_in_directory(call, why, env, reason, settings, who, project.root), warnings=warnings)
    if config.outside == "cwd" and env is not None:
        why = f"{reason}; outside any project, and outside = cwd (from {config.origin['outside']})"
        return replace(_in_directory(call, why, env, reason, settings, who, cwd), warnings=warnings)
    if config.outside == "user-env" and user_env is not None:
        result = _user_env(call, config, settings, cwd, reason, user_env, who)
        return replace(result, warnings=warnings)
    return Plan(
        REFUSE,
        f"{reason}; {cwd} is not inside a project",
        tuple(call.argv),
        reason=(
            f"{reason} and {cwd} is not inside a project: nothing safe to {call.command} into. "
            "cd into your project (a directory with pyproject.toml, setup.py, requirements.txt or "
            ".git), or create one there; to change what happens here, set outside in the config"
        ),
    )


def _root_in_their_env(call: PipCall, interp: Interp, who: Who) -> Plan | None:
    """The sudo rule for an environment chosen by name (whatever names it): root does not
    write root-owned files into another user's environment.
    """
    if not who.root or who.allow_root or who.target_owner in (None, 0, who.euid):
        return None
    owner = who.target_owner_name or f"uid {who.target_owner}"
    how = "with sudo" if who.sudo_uid is not None else "as root"
    env_dir = interp.prefix
    return Plan(
        REFUSE,
        f"running {how}, and {env_dir} belongs to {owner}",
        tuple(call.argv),
        reason=(
            f"refusing to {call.command} {how} into {env_dir}, which belongs to {owner}: root-owned files "
            f"there would break {owner}'s next install. Run the command without sudo, as {owner}; "
            "or set SAFEPIP_ALLOW_ROOT=1 to do it anyway"
        ),
        exit_code=EX_NOPERM,
    )


def _root_hint(env_dir: str) -> str:
    return (
        f"later commands (a Dockerfile's RUN, CMD) reach it as {env_dir}/bin/python, "
        f"or with PATH={env_dir}/bin:$PATH"
    )


def _in_directory(
    call: PipCall,
    why: str,
    env: tuple[str, bool],
    reason: str,
    settings: Mapping[str, Setting],
    who: Who,
    root: str,
) -> Plan:
    """The project's environment (or the working directory's, for ``outside = cwd``)."""
    env_dir, exists = env
    foreign = who.owner is not None and who.owner not in (0, who.euid)
    if who.root and foreign and not who.allow_root and (call.command in WRITE_COMMANDS or not exists):
        owner = who.owner_name or f"uid {who.owner}"
        how = "with sudo" if who.sudo_uid is not None else "as root"
        return Plan(
            REFUSE,
            f"{reason}; running {how} in {root}, which belongs to {owner}",
            tuple(call.argv),
            reason=(
                f"refusing to {call.command} {how} in {root}, which belongs to {owner}: root-owned files in "
                f"{env_dir} would break {owner}'s next install. Run the command without sudo, as {owner}; "
                "or set SAFEPIP_ALLOW_ROOT=1 to do it anyway"
            ),
            exit_code=EX_NOPERM,
        )
    result = _redirect(call, PROJECT_VENV, why, env_dir, reason, settings)
    if who.root and who.scripted and not exists:
        result = replace(result, creation_notes=(*result.creation_notes, _root_hint(env_dir)))
    return result


def _user_env(
    call: PipCall,
    config: Config,
    settings: Mapping[str, Setting],
    cwd: str,
    reason: str,
    user: tuple[str, bool],
    who: Who,
) -> Plan:
    """Outside any project: libraries to the per-user environment, applications to pipx."""
    user_env, _ = user
    if who.root and who.data_owner is not None and who.data_owner != 0 and not who.allow_root:
        return Plan(
            REFUSE,
            f"{reason}; as root, the per-user environment {user_env} is in another user's directory",
            tuple(call.argv),
            reason=(
                f"refusing to create root-owned files in {user_env}: that directory belongs to uid "
                f"{who.data_owner} (HOME or XDG_DATA_HOME is still the invoking user's; sudo -H resets it). "
                "Run the command without sudo; or set SAFEPIP_ALLOW_ROOT=1 to do it anyway"
            ),
            exit_code=EX_NOPERM,
        )
    why = f"{reason}; {cwd} is not inside a project, and outside = user-env (from {config.origin['outside']})"
    result = _redirect(call, USER_ENV, why, user_env, f"{reason}, outside any project", settings)
    apps = config.apps != "user-env" and call.command in ("install", "uninstall", "list", "freeze")
    if call.command == "install":
        bindir = f"{user_env}/bin"
        use = f"use it with {bindir}/python, `. {bindir}/activate` or PATH={bindir}:$PATH"
        result = replace(result, notes=(*result.notes, use))
    if call.command in ("list", "freeze") and not any(call.has(o) for o in ("--local", "--user", "--path")):
        # The environment sees the system's packages (apt's python3-*): pip's --local view
        # shows what the user put there, so that `pip freeze > requirements.txt` stays theirs.
        result = replace(result, args=(*result.args, "--local"),
                         notes=(*result.notes, "the system's packages are importable there too, but not listed (--local)"))
    # SAFEPIP_ALLOW_ROOT=1 treats root as any other user: its own pipx, not the global one.
    # Root's linked commands go where pipx's global ones do, whichever way the apps go.
    global_mode = who.root and not who.allow_root
    needs = call.command == "install" and bool(call.positionals) and not call.has("--dry-run")
    return replace(result, system_site=True, apps_to_pipx=apps, pipx_global=global_mode, needs_facts=needs)


def routes(requirements: Sequence[str], config: Config, facts: Sequence[Fact],
           pipx_problem: str | None = None) -> tuple[Route, ...]:
    """Where each requirement of an install outside a project goes (see :mod:`safepip.facts.apprule`).

    ``pipx_problem`` says why pipx cannot work here: an application then goes to the per-user
    environment too (with its commands linked), the cheap way, rather than fail.
    """
    from safepip.facts.apprule import APP, NEVER_APPS, judge

    origin = config.origin.get("apps", "default")
    found: list[Route] = []
    for requirement, fact in zip(requirements, facts):
        name = fact.name
        if name in NEVER_APPS:
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


def _redirect(
    call: PipCall,
    kind: str,
    why: str,
    env_dir: str,
    reason: str,
    settings: Mapping[str, Setting],
) -> Plan:
    notes: list[str] = []
    changes: dict[str, str | None] = {}
    drop = ["--python"]
    if call.flag("--user", "--no-user"):
        drop.append("--user")
        notes.append("--user dropped: the environment is the user's own")
    elif call.flag("--user", "--no-user") is None:
        user = settings.get("user")
        if user and as_bool(user.value):
            changes["PIP_USER"] = "0"
            notes.append(f"user = true (from {user.source}) ignored: the environment is the user's own")
    python = settings.get("python")
    if python is not None and python.value.strip():
        # The environment's pip would re-run itself on that interpreter: name its own instead.
        from safepip.venvdir import bin_python

        changes["PIP_PYTHON"] = bin_python(env_dir)
        notes.append(f"python = {python.value.strip()} (from {python.source}) replaced by the environment's own")
    return Plan(
        kind,
        why,
        tuple(call.without(drop)),
        env_dir=env_dir,
        reason=reason,
        notes=tuple(notes),
        lock=call.command in WRITE_COMMANDS,
        env_changes=changes,
    )


def _informational(call: PipCall, interp: Interp, env: tuple[str, bool] | None) -> Plan:
    """Help and version: pip's own words, from the pip that installs here (the project
    environment's when it exists, else the target's); nothing is created.
    """
    if env is not None and env[1]:
        why = "pip's help or version, from the project environment's pip"
        return Plan(PASSTHROUGH, why, tuple(call.without(["--python"])), env_dir=env[0])
    return _passthrough(call, interp, "pip's help or version")


def _non_env(call: PipCall, interp: Interp, env: tuple[str, bool] | None) -> Plan:
    """Commands that do not touch an environment's packages run where pip is."""
    if interp.has_pip or env is None or not env[1]:
        return _passthrough(call, interp, f"pip {call.command or ''} does not change an environment".replace("  ", " "))
    return Plan(
        PASSTHROUGH,
        f"{interp.path} has no pip; the project's environment has one",
        tuple(call.without(["--python"])),
        env_dir=env[0],
    )
