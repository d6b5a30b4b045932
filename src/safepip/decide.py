"""``plan()``: every policy decision safepip makes, in one pure function (no I/O).

Given what pip was asked (:class:`~safepip.facts.pipargs.PipCall`), the target interpreter
(:class:`~safepip.facts.interpreter.Interp`), the project and its environment, the configuration
and pip's own settings, it says where the work goes and why. The callers gather facts and
act on the plan; the table tests in ``tests/unit/test_decide.py`` pin down every rule.

``plan()`` is the one entry point. What a decision looks like is the first section here: the
plan's kinds, :class:`Plan`, :class:`Route` and :class:`Resolved` (data only; :mod:`safepip.act`
executes plans, ``explain`` and ``doctor`` render them); the root and sudo rules are the last section here, asked only when safepip runs
as root (each allows whoever else runs it; ``who.euid == 0`` is ``Who.root`` without a call
into the facts); what happens outside a project per requirement is :mod:`safepip.decide_outside`. A trust refusal (the ``untrusted`` fact:
gathering stopped before anything there ran) comes before every other rule.

The root rules: root never leaves root-owned files where another user will next install.
Under ``sudo`` (or as root in another user's directory) a pip run would leave files the
user cannot change or remove, and their next install fails. So root does not install into,
or create, an environment that belongs to another user, whatever names it (a project,
``VIRTUAL_ENV``, ``--python``, ``SAFEPIP_PYTHON``, the configuration), nor a per-user
environment in their HOME; ``SAFEPIP_ALLOW_ROOT=1`` does it anyway. :class:`Who` holds the
facts these rules need (gathered by :func:`safepip.facts.trust.facts_about_users`).
"""

from __future__ import annotations

from safepip.errors import EX_NOPERM, EX_UNAVAILABLE
from safepip.facts.config import Config
from safepip.facts.interpreter import Interp
from safepip.facts.pipargs import ENV_COMMANDS, WRITE_COMMANDS, PipCall
from safepip.facts.pipconf import Setting, as_bool
from safepip.facts.project import EnvSpot, Project
from safepip.facts.trust import Who
from safepip.frozen import Frozen, field, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

    from safepip.facts.gather import Context
    from safepip.facts.trust import Untrusted
    from safepip.steps import Step

# -- What a decision looks like ---------------------------------------------------------------

PASSTHROUGH = "passthrough"
PROJECT_VENV = "project-venv"
USER_ENV = "user-env"
PIPX = "pipx"
REFUSE = "refuse"


@record
class Plan(Frozen):
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
    #: Outside a project: where each named requirement of an install goes
    #: (:func:`safepip.decide_outside.route`).
    routes: tuple[Route, ...] = ()
    #: USER_ENV as root: pipx must work in its --global mode.
    pipx_global: bool = False
    #: REFUSE: the exit code (69: nowhere safe to go; 77: a root/ownership rule).
    exit_code: int = EX_UNAVAILABLE
    #: Outside a project with ``apps = "pipx"``: each hand-over, in order
    #: (:func:`safepip.decide_outside.route`); empty: the one pip run ``args`` says.
    steps: tuple[Step, ...] = ()
    #: REFUSE because of a trust rule: what is not trusted, and how to trust it.
    untrusted: Untrusted | None = None


@record
class Route(Frozen):
    """Where one named requirement of an install outside a project goes, and why.

    ``to`` is USER_ENV or PIPX; ``expose``: link its commands onto PATH (a library the user
    named). ``other`` is the flag that sends it the other way. ``app``: the application
    pipx manages that it plugs into (``pipx inject APP``).
    """

    requirement: str
    name: str | None
    to: str
    why: str
    expose: bool = False
    other: str = ""
    app: str = ""


@record
class Resolved(Frozen):
    """A pip command line resolved (:func:`safepip.pipeline.resolve`): its facts (``ctx``),
    its complete ``plan``, and how it was typed (``args`` and ``flags``, which a remembered
    answer is keyed by). What ``explain`` renders is what ``install`` executes.
    """

    ctx: Context
    plan: Plan
    args: tuple[str, ...] = ()
    flags: Mapping[str, Any] | None = None


# -- The decision --------------------------------------------------------------------------------

#: pip does not apply PEP 668 when one of these says where to write (pip's own rule).
ELSEWHERE = ("--target", "--prefix", "--root")
#: What a redirect consumes: the environment's own interpreter runs pip (``--python`` would make
#: that pip run again under the managed interpreter: PEP 668's refusal), and the environment is the
#: user's own (the per-user one sees the system's site-packages, so ``--user`` would write the user
#: site that the managed interpreter imports). Every other option that writes elsewhere
#: (:data:`ELSEWHERE`, ``--break-system-packages``) is never redirected: pip gets it as given.
REDIRECT_DROPS = ("--python", "--user")

__all__ = ["PASSTHROUGH", "PIPX", "PROJECT_VENV", "REDIRECT_DROPS", "REFUSE", "USER_ENV", "Plan", "Resolved", "Route",
           "Who", "creation_hint", "in_their_data", "in_their_env", "in_their_project", "pipx_global", "plan", "redirected"]


def redirected(call: PipCall) -> PipCall:
    """``call`` as every redirected route hands it on (the project's or the per-user
    environment's pip, pipx, and what ``explain`` shows): without :data:`REDIRECT_DROPS`.
    """
    return call.dropping(REDIRECT_DROPS) if call.given.intersection(REDIRECT_DROPS) else call


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
    if "--break-system-packages" in call.given:
        return "--break-system-packages"
    setting = settings.get("break-system-packages")
    if setting and as_bool(setting.value):
        # Named with its value: a file's name alone does not say what it set (Homebrew's own
        # message tells its users to put this in pip.conf).
        return f"break-system-packages = {setting.value} (from {setting.source})"
    return None


def _elsewhere(call: PipCall, settings: Mapping[str, Setting]) -> str | None:
    if call.command != "install":
        return None
    for option in ELSEWHERE:
        if option in call.given:
            return option
        setting = settings.get(option[2:])
        if setting and setting.value:
            return f"{option} (from {setting.source})"
    if "--dry-run" in call.given and "--report" in call.given:
        return "--dry-run with --report"
    return None


def plan(
    call: PipCall,
    interp: Interp,
    project: Project | None,
    env: EnvSpot | None,
    config: Config,
    settings: Mapping[str, Setting],
    cwd: str,
    *,
    user_env: EnvSpot | None = None,
    who: Who | None = None,
    untrusted: Untrusted | None = None,
) -> Plan:
    """Decide where ``call`` goes. ``env`` is the project's (environment dir, exists);
    ``user_env`` the per-user environment for the target's version (dir, exists); ``who`` the facts the
    root and sudo rules need; ``untrusted`` what the trust rules keep safepip from running
    (the facts were gathered only up to it).
    """
    who = who or Who()
    if untrusted is not None:
        # Before anything else: every other route would run code from there, or from a
        # configuration that was not read.
        return Plan(REFUSE, f"{untrusted.why}: not trusted ({untrusted.trust})", tuple(call.argv),
                    reason=untrusted.message, exit_code=EX_NOPERM, untrusted=untrusted)
    if call.error is not None:
        return _passthrough(call, interp, f"pip will report: {call.error}")
    if config.policy == "never":
        return _passthrough(call, interp, f"policy = never (from {config.origin['policy']})")
    if (interp.in_venv or interp.conda) and who.euid == 0:
        refusal = in_their_env(call, interp.prefix, who)
        if refusal is not None:
            return refusal
    if interp.in_venv:
        return _passthrough(call, interp, f"{interp.path} is a virtual environment")
    if interp.conda and not interp.managed:
        # conda marks an environment only when asked (its conda-managed-env package): a marked
        # one is managed like any other Python.
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
    managed = interp.managed
    if not managed and config.policy != "always":
        return _passthrough(call, interp, f"{interp.path} is not externally managed")

    reason = _managed_reason(interp) if managed else f"policy = always (from {config.origin['policy']})"
    warnings: tuple[str, ...] = ()
    if managed and interp.marker_problem:
        warnings = (
            (f"{interp.marker} cannot be read ({interp.marker_problem}); "
            f"treating {interp.path} as externally managed, as pip does"),
        )
    if project is not None and env is not None:
        why = f"{reason}; {project.root} is a project ({project.why})"
        return _in_directory(call, why, env, reason, settings, who, project.root).replace_(warnings=warnings)
    if config.outside == "cwd" and env is not None:
        why = f"{reason}; outside any project, and outside = cwd (from {config.origin['outside']})"
        return _in_directory(call, why, env, reason, settings, who, cwd).replace_(warnings=warnings)
    if config.outside == "user-env" and user_env is not None:
        result = _user_env(call, config, settings, cwd, reason, user_env, who)
        return result.replace_(warnings=warnings)
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


def _in_directory(
    call: PipCall,
    why: str,
    env: EnvSpot,
    reason: str,
    settings: Mapping[str, Setting],
    who: Who,
    root: str,
) -> Plan:
    """The project's environment (or the working directory's, for ``outside = cwd``)."""
    env_dir, exists = env.path, env.exists
    if who.euid == 0:
        refusal = in_their_project(call, env, reason, who, root)
        if refusal is not None:
            return refusal
    if env.tool:
        why = f"{why}; {env.path} is {env.why}"
    result = _redirect(call, PROJECT_VENV, why, env_dir, reason, settings)
    if env.tool:
        # The notice names the tool: the environment is the one it uses (never a second one).
        result = result.replace_(notes=(env.why, *result.notes))
    if who.euid == 0 and not exists:  # a hint for root's creation only
        hint = creation_hint(env_dir, who)
        if hint is not None:
            result = result.replace_(creation_notes=(*result.creation_notes, hint))
    return result


def _user_env(
    call: PipCall,
    config: Config,
    settings: Mapping[str, Setting],
    cwd: str,
    reason: str,
    user: EnvSpot,
    who: Who,
) -> Plan:
    """Outside any project: libraries to the per-user environment, applications to pipx."""
    user_env = user.path
    if who.euid == 0:
        refusal = in_their_data(call, user_env, reason, who)
        if refusal is not None:
            return refusal
    why = f"{reason}; {cwd} is not inside a project, and outside = user-env (from {config.origin['outside']})"
    result = _redirect(call, USER_ENV, why, user_env, f"{reason}, outside any project", settings)
    apps = config.apps != "user-env" and call.command in ("install", "uninstall", "list", "freeze")
    if call.command in ("list", "freeze") and not any(o in call.given for o in ("--local", "--user", "--path")):
        # The environment sees the system's packages (apt's python3-*): pip's --local view
        # shows what the user put there, so that `pip freeze > requirements.txt` stays theirs.
        result = result.replace_(args=(*result.args, "--local"),
                                 notes=(*result.notes, "the system's packages are importable there too, but not listed (--local)"))
    # Root's linked commands go where pipx's global ones do, whichever way the apps go.
    # An install that names requirements is completed with their routes (decide_outside.route).
    global_mode = False
    if who.euid == 0:
        global_mode = pipx_global(who)
    return result.replace_(system_site=True, apps_to_pipx=apps, pipx_global=global_mode)


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
    # Which of the pair wins is asked of the call only when one was given (most calls give neither).
    user_flag = call.flag("--user", "--no-user") if not call.given.isdisjoint(("--user", "--no-user")) else None
    if user_flag:
        notes.append("--user dropped: the environment is the user's own")
    elif user_flag is None:
        user = settings.get("user")
        if user and as_bool(user.value):
            changes["PIP_USER"] = "0"
            notes.append(f"user = true (from {user.source}) ignored: the environment is the user's own")
    python = settings.get("python")
    if python is not None and python.value.strip():
        # The environment's pip would re-run itself on that interpreter: name its own instead.
        from safepip.venv.layout import bin_python

        changes["PIP_PYTHON"] = bin_python(env_dir)
        notes.append(f"python = {python.value.strip()} (from {python.source}) replaced by the environment's own")
    return Plan(
        kind,
        why,
        redirected(call).argv,
        env_dir=env_dir,
        reason=reason,
        notes=tuple(notes),
        lock=call.command in WRITE_COMMANDS,
        env_changes=changes,
    )


def _informational(call: PipCall, interp: Interp, env: EnvSpot | None) -> Plan:
    """Help and version: pip's own words, from the pip that installs here (the project
    environment's when it exists, else the target's); nothing is created.
    """
    if env is not None and env.exists:
        why = "pip's help or version, from the project environment's pip"
        return Plan(PASSTHROUGH, why, tuple(call.without(["--python"])), env_dir=env.path)
    return _passthrough(call, interp, "pip's help or version")


def _non_env(call: PipCall, interp: Interp, env: EnvSpot | None) -> Plan:
    """Commands that do not touch an environment's packages run where pip is."""
    if interp.has_pip or env is None or not env.exists:
        return _passthrough(call, interp, f"pip {call.command or ''} does not change an environment".replace("  ", " "))
    return Plan(
        PASSTHROUGH,
        f"{interp.path} has no pip; the project's environment has one",
        tuple(call.without(["--python"])),
        env_dir=env.path,
    )


# Root's rules (asked only when safepip runs as root): never root-owned files where another
# user will next install.


def _how(who: Who) -> str:
    return "with sudo" if who.sudo_uid is not None else "as root"


def _refusal(call: PipCall, why: str, reason: str) -> Plan:
    return Plan(REFUSE, why, tuple(call.argv), reason=reason, exit_code=EX_NOPERM)


def _theirs(call: PipCall, why: str, owner: str, doing: str, files: str) -> Plan:
    """Root refused where ``owner``'s files are: what it would be ``doing`` (the command,
    how and where) and where its root-owned ``files`` would be.
    """
    return _refusal(call, why, (
        f"refusing to {doing}, which belongs to {owner}: root-owned files {files} would break {owner}'s next "
        f"install. Run the command without sudo, as {owner}; or set SAFEPIP_ALLOW_ROOT=1 to do it anyway"
    ))


def in_their_env(call: PipCall, env_dir: str, who: Who) -> Plan | None:
    """The refusal for root writing into ``env_dir``, the environment named as the target
    (whatever names it), when it belongs to another user; None when the rule allows it.
    """
    if call.command not in WRITE_COMMANDS or who.allow_root:
        return None
    from safepip.rootrule import foreign_to_root  # here: a command that writes alone asks

    if not foreign_to_root(who.euid, who.target_owner):
        return None
    owner = who.target_owner_name or f"uid {who.target_owner}"
    how = _how(who)
    return _theirs(call, f"running {how}, and {env_dir} belongs to {owner}", owner,
                   f"{call.command} {how} into {env_dir}", "there")


def in_their_project(call: PipCall, env: EnvSpot, reason: str, who: Who, root: str) -> Plan | None:
    """The refusal for root writing into (or creating) the environment of a project (or,
    ``outside = cwd``, a directory) that belongs to another user; None when allowed.
    """
    env_dir, exists = env.path, env.exists
    foreign = who.owner is not None and who.owner not in (0, who.euid)
    if not (foreign and who.root and not who.allow_root and (call.command in WRITE_COMMANDS or not exists)):
        return None
    owner = who.owner_name or f"uid {who.owner}"
    how = _how(who)
    return _theirs(call, f"{reason}; running {how} in {root}, which belongs to {owner}", owner,
                   f"{call.command} {how} in {root}", f"in {env_dir}")


def in_their_data(call: PipCall, user_env: str, reason: str, who: Who) -> Plan | None:
    """The refusal for root making the per-user environment in a directory that belongs to
    another user (HOME or XDG_DATA_HOME kept by sudo); None when allowed.
    """
    if not who.root or who.data_owner is None or who.data_owner == 0 or who.allow_root:
        return None
    return _refusal(call, f"{reason}; as root, the per-user environment {user_env} is in another user's directory", (
        f"refusing to create root-owned files in {user_env}: that directory belongs to uid "
        f"{who.data_owner} (HOME or XDG_DATA_HOME is still the invoking user's; sudo -H resets it). "
        "Run the command without sudo; or set SAFEPIP_ALLOW_ROOT=1 to do it anyway"
    ))


def pipx_global(who: Who) -> bool:
    """Whether pipx must work in its ``--global`` mode: as root, unless
    ``SAFEPIP_ALLOW_ROOT=1`` treats root as any other user (its own pipx).
    """
    return who.root and not who.allow_root


def creation_hint(env_dir: str, who: Who) -> str | None:
    """Root creating an environment from a script (a Dockerfile's RUN, CI): how later
    commands reach it; None otherwise.
    """
    if not (who.root and who.scripted):
        return None
    return (
        f"later commands (a Dockerfile's RUN, CMD) reach it as {env_dir}/bin/python, "
        f"or with PATH={env_dir}/bin:$PATH"
    )
