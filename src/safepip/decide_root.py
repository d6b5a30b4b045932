"""The root rules of ``plan()`` (pure: no I/O): root never leaves root-owned files where
another user will next install.

Under ``sudo`` (or as root in another user's directory) a pip run would leave files the
user cannot change or remove, and their next install fails. So root does not install into,
or create, an environment that belongs to another user, whatever names it (a project,
``VIRTUAL_ENV``, ``--python``, ``SAFEPIP_PYTHON``, the configuration), nor a per-user
environment in their HOME; ``SAFEPIP_ALLOW_ROOT=1`` does it anyway. :class:`Who` holds the
facts these rules need (gathered by :func:`safepip.facts.trust.facts_about_users`).
"""

from __future__ import annotations

from safepip.errors import EX_NOPERM
from safepip.facts.pipargs import WRITE_COMMANDS, PipCall
from safepip.facts.trust import Who
from safepip.plans import REFUSE, Plan

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.facts.project import EnvSpot


def _how(who: Who) -> str:
    return "with sudo" if who.sudo_uid is not None else "as root"


def _refusal(call: PipCall, why: str, reason: str) -> Plan:
    return Plan(REFUSE, why, tuple(call.argv), reason=reason, exit_code=EX_NOPERM)


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
    return _refusal(call, f"running {how}, and {env_dir} belongs to {owner}", (
        f"refusing to {call.command} {how} into {env_dir}, which belongs to {owner}: root-owned files "
        f"there would break {owner}'s next install. Run the command without sudo, as {owner}; "
        "or set SAFEPIP_ALLOW_ROOT=1 to do it anyway"
    ))


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
    return _refusal(call, f"{reason}; running {how} in {root}, which belongs to {owner}", (
        f"refusing to {call.command} {how} in {root}, which belongs to {owner}: root-owned files in "
        f"{env_dir} would break {owner}'s next install. Run the command without sudo, as {owner}; "
        "or set SAFEPIP_ALLOW_ROOT=1 to do it anyway"
    ))


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
