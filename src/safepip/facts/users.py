"""Who runs safepip and who owns where it would work: the facts of the root rules
(:func:`safepip.decide.in_their_env` and the other rules of that section).
"""

from __future__ import annotations

import os
import sys

from safepip.frozen import Frozen, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping

#: Files container engines leave at the root of a container's file system (Docker, Podman).
CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")


@record
class Who(Frozen):
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
    who = facts_about_users(environ, env_dir, None)
    return who.replace_(target_owner=who.owner, target_owner_name=who.owner_name)
