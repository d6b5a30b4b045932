"""Which discovered directories safepip may run code from (git's ``safe.directory`` model).

safepip runs the interpreter of a project's virtual environment and reads the project's
configuration (which can name an interpreter). A directory found by walking up from the
working directory may belong to someone else (``/tmp/.venv``), or be one that others can
change under you. So a project root or environment is used only when:

- it is owned by you or by root (under ``sudo``, also by the invoking user, ``SUDO_UID``);
- it is not writable by other users: not world-writable, and not group-writable unless
  the group is your own private group (the user-private-group convention);
- no directory above it is writable by others without the sticky bit (else anyone could
  rename it away and put their own in its place).

Anything else is refused (exit 77) with a message naming the path, its owner and how to
trust it: the ``trusted`` list of the user configuration file, never a project's own.
Interpreters the user names (``--python``, ``SAFEPIP_PYTHON``, an active venv) are the
user's choice and are not checked.
"""

from __future__ import annotations

import os
import stat
import sys

from safepip.errors import PermissionRefused
from safepip.facts.project import crossable_owners
from safepip.frozen import Frozen, record
from safepip.paths import private_group, user_name

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping, Sequence


@record
class Untrusted(Frozen):
    """A place safepip will not run code from until the user trusts it. Gathering records
    it and stops there (nothing there is run or probed); ``plan()`` turns it into the
    refusal that ``install``, ``run``, ``list`` and ``freeze`` stop with (exit 77) and that
    ``explain``, ``doctor`` and ``which`` report.

    ``what`` is ``project``, ``directory`` or ``environment`` (an ownership rule: someone
    else could change it) or ``interpreter`` (it came with the repository). ``path`` is what
    the problem is about, ``why`` the problem, ``trust`` how the user trusts it (a command,
    or the line for the configuration file), ``message`` the whole one line, and ``python``
    the interpreter that would have run, when it is known.
    """

    what: str
    path: str
    why: str
    trust: str
    message: str
    python: str | None = None


def _others_can_write(st: os.stat_result) -> str | None:
    if st.st_mode & stat.S_IWOTH:
        return "every user"
    if st.st_mode & stat.S_IWGRP and not private_group(st):
        try:
            import grp

            return f"the group {grp.getgrgid(st.st_gid).gr_name}"
        except (ImportError, KeyError):
            return f"the group {st.st_gid}"
    return None


def is_trusted(path: str, trusted: Sequence[str]) -> bool:
    """Whether ``path`` is in, or inside an entry of, the trust list (``*`` trusts all)."""
    if not trusted:
        return False  # the usual case: no path to resolve (a stat per component)
    real = os.path.realpath(path)
    for entry in trusted:
        if entry == "*":
            return True
        root = os.path.realpath(entry)
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def problem(path: str, environ: Mapping[str, str]) -> str | None:
    """Why ``path`` (an existing directory) is not safe to run code from, or None."""
    owners = crossable_owners(environ)
    if owners is None:  # pragma: no cover - no POSIX ownership (Windows)
        return None
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return None  # nothing there: whoever creates it is checked then
    shown = path if real == os.path.abspath(path) else f"{path} (which is {real})"
    if st.st_uid not in owners:
        return f"{shown} is owned by {user_name(st.st_uid)}, not by you"
    who = _others_can_write(st)
    if who:
        return f"{shown} (owned by {user_name(st.st_uid)}) is writable by {who} (mode {stat.S_IMODE(st.st_mode):04o})"
    above = writable_above(real)
    if above is not None:
        current, mode, who = above
        return (
            f"{current}, above {shown}, is writable by {who} without the sticky bit "
            f"(mode {mode:04o}): anyone could put their own {os.path.basename(real)} there"
        )
    return None


def _place_problem(path: str, owners: set[int], what: str) -> str | None:
    """Why the file or link ``path`` (one step on the way to an interpreter) could be changed
    by someone else: its owner, its mode (not for links), the directories it is in.
    """
    try:
        st = os.lstat(path)
    except OSError:
        return None  # gone: whoever reports the missing interpreter says so
    if st.st_uid not in owners:
        return f"{what} is owned by {user_name(st.st_uid)}"
    if not stat.S_ISLNK(st.st_mode):
        who = _others_can_write(st)
        if who:
            return f"{what} is writable by {who} (mode {stat.S_IMODE(st.st_mode):04o})"
    directory = os.path.realpath(os.path.dirname(path))
    try:
        up = os.stat(directory)
    except OSError:
        return None
    if up.st_uid not in owners:
        return f"{what} is in {directory}, owned by {user_name(up.st_uid)}"
    who = _others_can_write(up)
    if who and not up.st_mode & stat.S_ISVTX:
        return f"{what} is in {directory}, writable by {who} (mode {stat.S_IMODE(up.st_mode):04o})"
    above = writable_above(directory, sorted(owners))
    if above is not None:
        return f"{what} is below {above[0]}, which {above[2]} can change (mode {above[1]:04o})"
    return None


def chain_problem(env_dir: str, environ: Mapping[str, str], python: str | None = None) -> str | None:
    """Why the code an environment runs could be someone else's, or None: its ``bin/``, the
    interpreter and every link on the way to the real executable, ``pyvenv.cfg``, and the
    ``home =`` directory it names (where the interpreter finds its standard library).
    ``python``: its interpreter, when the caller has it (:func:`safepip.venv.layout.bin_python`).
    """
    owners = crossable_owners(environ)
    if owners is None:  # pragma: no cover - Windows
        return None
    from safepip.venv.layout import bin_python, cfg_home

    python = python or bin_python(env_dir)
    bindir = os.path.dirname(python)
    try:
        st = os.stat(bindir)
    except OSError:
        st = None
    if st is not None:
        if st.st_uid not in owners:
            return f"{bindir} is owned by {user_name(st.st_uid)}"
        who = _others_can_write(st)
        if who:
            return f"{bindir} is writable by {who} (mode {stat.S_IMODE(st.st_mode):04o}): anyone could swap its python"
    current = python
    for _ in range(40):  # the kernel's own limit on links followed
        shown = python if current == python else f"{python} leads to {current}, which"
        why = _place_problem(current, owners, shown)
        if why is not None:
            return why
        if not os.path.islink(current):
            break
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    cfg = os.path.join(env_dir, "pyvenv.cfg")
    why = _place_problem(cfg, owners, cfg)
    if why is not None:
        return why
    home = cfg_home(env_dir)  # read only once its place is known to be safe
    if home:
        try:
            hst = os.stat(home)
        except OSError:
            return None
        if hst.st_uid not in owners:
            return f"{cfg} names home = {home}, owned by {user_name(hst.st_uid)}"
        who = _others_can_write(hst)
        if who and not hst.st_mode & stat.S_ISVTX:
            return f"{cfg} names home = {home}, writable by {who} (mode {stat.S_IMODE(hst.st_mode):04o})"
    return None


def writable_above(real: str, owners: Sequence[int] | None = None) -> tuple[str, int, str] | None:
    """The first directory above the real path ``real`` that lets others replace what is
    below it, as (path, mode, who): one writable by others without the sticky bit, or, when
    ``owners`` is given, one owned by anyone else. None when there is none.
    """
    current = os.path.dirname(real)
    while True:
        try:
            up = os.stat(current)
        except OSError:
            return None
        who = _others_can_write(up)
        if who and not up.st_mode & stat.S_ISVTX:
            return current, stat.S_IMODE(up.st_mode), who
        if owners is not None and up.st_uid not in owners:
            return current, stat.S_IMODE(up.st_mode), f"its owner {user_name(up.st_uid)}"
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def refusal(path: str, what: str, environ: Mapping[str, str], trusted: Sequence[str], config_file: str,
            python: str | None = None) -> Untrusted | None:
    """Why safepip must not use ``path`` (an existing project root, directory or
    environment), or None when it is safe or the user trusts it. For an environment, the
    whole chain that leads to its code is checked (:func:`chain_problem`; ``python`` its
    interpreter, when the caller has it).
    """
    if sys.platform == "win32" or is_trusted(path, trusted):  # pragma: no cover - Windows
        return None
    why = problem(path, environ)
    if why is None and what == "environment":
        why = chain_problem(path, environ, python)
    if why is None:
        return None
    from safepip.venv.layout import bin_python

    real = os.path.realpath(path)
    line = f'trusted = ["{real}"]'
    message = (
        f"{why}; safepip will not use this {what} (it could run someone else's code). "
        f"If you trust it, add it to the trusted list in {config_file}: {line}"
    )
    python = bin_python(path) if what == "environment" else None
    return Untrusted(what, path, why, f"{line} in {config_file}", message, python)


def check(path: str, what: str, environ: Mapping[str, str], trusted: Sequence[str], config_file: str) -> None:
    """Refuse (exit 77) to use ``path`` unless it is safe or the user trusts it (see
    :func:`refusal`).
    """
    found = refusal(path, what, environ, trusted, config_file)
    if found is not None:
        raise PermissionRefused(found.message)
