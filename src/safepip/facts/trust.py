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

Interpreters that came with a repository run only after ``safepip trust``. Owning a clone
does not make its contents yours: ``git clone`` gives you the files of whoever wrote the
repository, and ``pip list`` in a clone has never run any of them. So an interpreter that
belongs to the project is run only when the user made it, or trusted it once with
``safepip trust``:

- an interpreter named by the project's own ``[tool.safepip] python`` that lies inside the
  project (outside a virtual environment the user made there);
- a virtual environment of the project that is committed to git (``git ls-files`` lists
  its ``pyvenv.cfg`` or its ``bin/python``), or whose ``pyvenv.cfg`` names no ``home`` or a
  ``home`` inside the project.

Everything else (``python3 -m venv .venv``, virtualenv, poetry, uv, safepip's own: a
``pyvenv.cfg`` naming an interpreter outside the project, not committed) is the user's, as
before. ``safepip trust`` records the interpreter's path and identity (every link on the
way to the executable, and ``pyvenv.cfg``) in the user configuration file; a changed
interpreter needs trusting again.

Also here: who runs safepip and who owns where it would work (:class:`Who`), the facts of
the root rules (:func:`safepip.decide.in_their_env` and the other rules of that section).
"""

from __future__ import annotations

import os
import stat
import sys

from safepip.errors import PermissionRefused
from safepip.facts.interpreter import realpath
from safepip.facts.project import crossable_owners
from safepip.frozen import Frozen, record
from safepip.paths import private_group, user_name
from safepip.runner import capture
from safepip.venv.layout import bin_python, cfg_home, venv_of

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
    real = realpath(path)
    for entry in trusted:
        if entry == "*":
            return True
        root = realpath(entry)
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def problem(path: str, environ: Mapping[str, str]) -> str | None:
    """Why ``path`` (an existing directory) is not safe to run code from, or None."""
    owners = crossable_owners(environ)
    if owners is None:  # pragma: no cover - no POSIX ownership (Windows)
        return None
    real = realpath(path)
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
    directory = realpath(os.path.dirname(path))
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
    return _chain(env_dir, environ, python)[0]


def _chain(env_dir: str, environ: Mapping[str, str], python: str | None) -> tuple[str | None, str | None]:
    """:func:`chain_problem`'s answer, and the ``home`` of ``pyvenv.cfg`` as it read it ("" when
    the file names none; None when the check stopped before reading it).
    """
    owners = crossable_owners(environ)
    if owners is None:  # pragma: no cover - Windows
        return None, None
    python = python or bin_python(env_dir)
    bindir = os.path.dirname(python)
    try:
        st = os.stat(bindir)
    except OSError:
        st = None
    if st is not None:
        if st.st_uid not in owners:
            return f"{bindir} is owned by {user_name(st.st_uid)}", None
        who = _others_can_write(st)
        if who:
            return f"{bindir} is writable by {who} (mode {stat.S_IMODE(st.st_mode):04o}): anyone could swap its python", None
    current = python
    for _ in range(40):  # the kernel's own limit on links followed
        shown = python if current == python else f"{python} leads to {current}, which"
        why = _place_problem(current, owners, shown)
        if why is not None:
            return why, None
        if not os.path.islink(current):
            break
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    cfg = os.path.join(env_dir, "pyvenv.cfg")
    why = _place_problem(cfg, owners, cfg)
    if why is not None:
        return why, None
    home = cfg_home(env_dir) or ""  # read only once its place is known to be safe
    if home:
        try:
            hst = os.stat(home)
        except OSError:
            return None, home
        if hst.st_uid not in owners:
            return f"{cfg} names home = {home}, owned by {user_name(hst.st_uid)}", home
        who = _others_can_write(hst)
        if who and not hst.st_mode & stat.S_ISVTX:
            return f"{cfg} names home = {home}, writable by {who} (mode {stat.S_IMODE(hst.st_mode):04o})", home
    return None, home


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
    return _judged(path, what, environ, trusted, config_file, python)[0]


def _judged(path: str, what: str, environ: Mapping[str, str], trusted: Sequence[str], config_file: str,
            python: str | None) -> tuple[Untrusted | None, str | None]:
    """:func:`refusal`'s answer, and the ``home`` of an environment's ``pyvenv.cfg`` as its
    chain's check read it (see :func:`_chain`; None when it was not read).
    """
    if sys.platform == "win32" or is_trusted(path, trusted):  # pragma: no cover - Windows
        return None, None
    why = problem(path, environ)
    home = None
    if why is None and what == "environment":
        why, home = _chain(path, environ, python)
    if why is None:
        return None, home
    real = realpath(path)
    line = f'trusted = ["{real}"]'
    message = (
        f"{why}; safepip will not use this {what} (it could run someone else's code). "
        f"If you trust it, add it to the trusted list in {config_file}: {line}"
    )
    python = bin_python(path) if what == "environment" else None
    return Untrusted(what, path, why, f"{line} in {config_file}", message, python), home


def env_refusal(env_dir: str, root: str, python: str, environ: Mapping[str, str], trusted: Sequence[str],
                config_file: str, records: Mapping[str, str], *, exists: bool) -> Untrusted | None:
    """Why safepip must not use ``env_dir``, the environment of the project at ``root`` (its
    interpreter ``python``): someone else could change the code it runs (:func:`refusal`), or,
    when it ``exists`` as one, it came with the repository (:func:`env_reason`; ``records``
    the user's trust records). Its ``pyvenv.cfg``'s ``home`` is read once for both checks.
    """
    untrusted, home = _judged(env_dir, "environment", environ, trusted, config_file, python)
    if untrusted is None and exists:
        untrusted = interpreter_refusal(python, env_reason(env_dir, root, python, home), root, trusted, records)
    return untrusted


def check(path: str, what: str, environ: Mapping[str, str], trusted: Sequence[str], config_file: str) -> None:
    """Refuse (exit 77) to use ``path`` unless it is safe or the user trusts it (see
    :func:`refusal`).
    """
    found = refusal(path, what, environ, trusted, config_file)
    if found is not None:
        raise PermissionRefused(found.message)


# -- Interpreters that came with the repository (safepip trust) ------------------------------

#: Bumped when what an identity covers changes (old records then ask for trust again).
IDENTITY_FORMAT = 1


def _inside(path: str, root: str) -> bool:
    real, top = realpath(path), realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _hops(python: str) -> list[str]:
    """``python`` and every link on the way to the real executable."""
    hops = [os.path.abspath(python)]
    for _ in range(40):
        if not os.path.islink(hops[-1]):
            break
        hops.append(os.path.normpath(os.path.join(os.path.dirname(hops[-1]), os.readlink(hops[-1]))))
    return hops


def identity(python: str) -> str:
    """What must stay the same for a trust record to hold: each link and the executable
    (device, inode, owner, mode, size, modification time) and the environment's
    ``pyvenv.cfg`` (its content), as ``sha256:HEX``.
    """
    from safepip.facts.interpreter import sha256_hex  # not hashlib: loading OpenSSL is a few ms of the call

    parts = [f"{IDENTITY_FORMAT}\0".encode()]  # hashed at once: the same digest as updates in order
    for hop in _hops(python):
        fields: tuple[int, ...] = ()
        try:
            st = os.lstat(hop)
            fields = (st.st_dev, st.st_ino, st.st_uid, st.st_mode, st.st_size, st.st_mtime_ns)
        except OSError:
            pass
        parts.append(f"{hop}\0{fields}\0".encode("utf-8", "surrogateescape"))
    env = venv_of(python)
    if env is not None:
        try:
            with open(os.path.join(env, "pyvenv.cfg"), "rb") as handle:
                parts.append(handle.read())
        except OSError:
            pass
    return "sha256:" + sha256_hex(b"".join(parts))


def _git_top(start: str) -> str | None:
    current = os.path.abspath(start)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def committed(paths: list[str]) -> list[str]:
    """Those of ``paths`` that git tracks (``git ls-files``); none when there is no
    repository around them or no git to ask.
    """
    if not paths:
        return []
    top = _git_top(os.path.dirname(paths[0]))
    if top is None:
        return []
    rel = [os.path.relpath(p, top) for p in paths]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    # Only the index is read; the repository's own settings must not run anything.
    argv = ["git", "-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-C", top, "ls-files", "-z", "--", *rel]
    import subprocess  # here: only this question starts a process

    try:
        done = capture(argv, env, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    # The runner decodes output as text (undecodable bytes replaced, line ends made "\n"):
    # our names are compared in the same form, so a name that does not decode cleanly can
    # only look tracked (trust asked), never untracked.
    listed = {os.path.normpath(n) for n in done.stdout.split("\0") if n}
    return [p for p, r in zip(paths, rel) if os.path.normpath(_as_output(r)) in listed]


def _as_output(name: str) -> str:
    """``name`` as it reads in the runner's text output."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def env_reason(env_dir: str, root: str, python: str | None = None, home: str | None = None) -> str | None:
    """Why the project's environment ``env_dir`` is the repository's rather than the
    user's (None: the user made it). ``python``: its interpreter, when the caller has it;
    ``home``: the ``home`` of its ``pyvenv.cfg`` when the trust check read it ("" for none).
    """
    cfg = os.path.join(env_dir, "pyvenv.cfg")
    tracked = committed([cfg, python or bin_python(env_dir)])
    if tracked:
        return f"{tracked[0]} is committed in git"
    if home is None:  # not read yet (that check did not run, or stopped before)
        home = cfg_home(env_dir) or ""
    if not home:
        return f"{cfg} names no home interpreter"
    if _inside(home, root):
        return f"{cfg} names home = {home}, inside the project"
    return None


def interpreter_reason(python: str, root: str) -> str | None:
    """Why ``python``, named by the project's configuration, is the repository's (None: it
    is an interpreter outside the project, or in an environment the user made there).
    """
    inside = [hop for hop in _hops(python) if _inside(hop, root)]
    if not inside:
        return None
    env = venv_of(python)
    if env is not None and _inside(env, root) and env_reason(env, root) is None:
        return None
    return f"{inside[-1]} is inside the project"


def trusted(python: str, records: Mapping[str, str]) -> bool | None:
    """True when the user trusted ``python`` as it is now, False when they trusted it but
    it changed since, None when they never did.
    """
    recorded = records.get(os.path.abspath(python))
    if recorded is None:
        return None
    return recorded == identity(python)


def interpreter_refusal(python: str, reason: str | None, root: str, trusted_dirs: Sequence[str],
                        records: Mapping[str, str]) -> Untrusted | None:
    """Why safepip must not run ``python``, which came with the repository at ``root``
    (``reason`` says how; None: it did not), or None when the user trusted it as it is now.
    """
    if reason is None:
        return None
    if is_trusted(root, trusted_dirs):
        return None
    state = trusted(python, records)
    if state:
        return None
    command = f"safepip trust {root}"
    if state is False:
        why = f"{python} changed since you trusted it ({reason})"
        return Untrusted("interpreter", python, why, command, f"{why}; look at it, then: {command}", python)
    message = (
        f"{reason}: safepip will not run an interpreter that came with the repository until you "
        f"trust it; look at it, then: {command}"
    )
    return Untrusted("interpreter", python, reason, command, message, python)


# -- Who runs safepip (the root rules' facts: safepip.decide) ----------------------------

#: Files container engines leave at the root of a container's file system (Docker, Podman).
CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")


@record
class Who(Frozen):
    """Who runs safepip and who owns what it would touch (the facts the root rules need).

    ``euid`` is None where the OS has no user ids. ``owner`` is the uid owning the project
    root (or the working directory for ``outside = cwd``), ``owner_name`` its account's name
    when it is another user's (the only owner a refusal names); ``data_owner`` the uid owning the
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
    """Who runs safepip, and who owns the directory it would work in (for the root rules;
    the owner named only when it is another user).
    """
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows has no uids
        return Who()
    from safepip.facts.walkup import existing_owner

    euid = os.geteuid()
    if euid != 0:
        return Who(euid=euid)  # the rules only concern root: skip the stat calls
    sudo_uid = environ.get("SUDO_UID", "")
    owner = existing_owner(directory)
    owner_name = None
    # The owner's name says whose files a refusal protects: only another user's is ever named
    # (root's own directories are left to root), and the account database (pwd, and the C
    # library's first look-up) costs a cold call about 0.1 ms.
    if owner is not None and owner != euid:
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
