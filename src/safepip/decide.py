"""``plan()``: every policy decision safepip makes, in one pure function (no I/O).

Given what pip was asked (:class:`~safepip.pipargs.PipCall`), the target interpreter
(:class:`~safepip.interpreter.Interp`), the project and its environment, the configuration
and pip's own settings, it says where the work goes and why. The callers gather facts and
act on the plan; the table tests in ``tests/test_decide.py`` pin down every rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from .config import Config
from .interpreter import Interp
from .pipargs import ENV_COMMANDS, WRITE_COMMANDS, PipCall
from .pipconf import Setting, as_bool
from .project import Project

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
    warnings: tuple[str, ...] = ()
    lock: bool = False
    own_pip: bool = False
    env_changes: Mapping[str, str | None] = field(default_factory=dict)


def _managed_reason(interp: Interp) -> str:
    who = f" ({interp.distributor})" if interp.distributor else ""
    return f"{interp.path} is externally managed{who}"


def _passthrough(call: PipCall, interp: Interp, why: str, **extra: object) -> Plan:
    """Run pip as asked against the target: its own pip, else safepip's pip with --python."""
    if interp.has_pip:
        return Plan(PASSTHROUGH, why, tuple(call.without(["--python"])), python=interp.path, **extra)  # type: ignore[arg-type]
    args = tuple(call.without(["--python"]))
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
) -> Plan:
    """Decide where ``call`` goes. ``env`` is the project's (environment dir, exists)."""
    if call.error is not None:
        return _passthrough(call, interp, f"pip will report: {call.error}")
    if config.policy == "never":
        return _passthrough(call, interp, f"policy = never (from {config.origin['policy']})")
    if interp.in_venv:
        return _passthrough(call, interp, f"{interp.path} is a virtual environment")
    if interp.conda:
        return _passthrough(call, interp, f"{interp.path} is a conda environment")
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
            f"{interp.marker} cannot be read ({interp.marker_problem}); "
            f"treating {interp.path} as externally managed, as pip does",
        )
    if project is not None and env is not None:
        env_dir, _ = env
        why = f"{reason}; {project.root} is a project ({project.why})"
        return replace(_redirect(call, PROJECT_VENV, why, env_dir, reason, settings), warnings=warnings)
    if config.outside == "cwd" and env is not None:
        why = f"{reason}; outside any project, and outside = cwd (from {config.origin['outside']})"
        return replace(_redirect(call, PROJECT_VENV, why, env[0], reason, settings), warnings=warnings)
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
