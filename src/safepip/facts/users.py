"""Who runs safepip and who owns where it would work: the facts of the root rules
(:mod:`safepip.decide_root`).
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

from safepip.decide_root import Who

#: Files container engines leave at the root of a container's file system (Docker, Podman).
CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")


def scripted() -> bool:
    """Whether safepip runs from a script rather than a person at a terminal, or in a container."""
    try:
        terminal = sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return not terminal or any(os.path.exists(marker) for marker in CONTAINER_MARKERS)


def facts_about_users(environ: Mapping[str, str], directory: str, user_env: str | None) -> Who:
    """Who runs safepip, and who owns the directory it would work in (for the root rules)."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows has no uids
        return Who()
    from safepip.paths import existing_owner

    euid = os.geteuid()
    if euid != 0:
        return Who(euid=euid)  # the rules only concern root: skip the stat calls
    sudo_uid = environ.get("SUDO_UID", "")
    owner = existing_owner(directory)
    owner_name = None
    if owner is not None:
        import pwd

        try:
            owner_name = pwd.getpwuid(owner).pw_name
        except KeyError:
            owner_name = None
    return Who(
        euid=euid,
        sudo_uid=int(sudo_uid) if sudo_uid.isdigit() else None,
        sudo_user=environ.get("SUDO_USER") or None,
        owner=owner,
        owner_name=owner_name,
        data_owner=existing_owner(user_env) if user_env else None,
        allow_root=environ.get("SAFEPIP_ALLOW_ROOT") == "1",
        scripted=scripted(),
    )


def target_owner(env_dir: str, environ: Mapping[str, str]) -> Who:
    """For root only: who owns the environment it was pointed at (the sudo rule's fact)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return Who(euid=os.geteuid() if hasattr(os, "geteuid") else None)
    import dataclasses

    who = facts_about_users(environ, env_dir, None)
    return dataclasses.replace(who, target_owner=who.owner, target_owner_name=who.owner_name)
