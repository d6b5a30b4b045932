"""Find, validate, create and repair virtual environments, under a lock.

Creation is not atomic (virtualenv writes ``pyvenv.cfg`` and a working ``python`` long
before pip is in place), so safepip marks what it makes: ``.safepip.json`` says
``"creating"`` before virtualenv runs and ``"complete"`` once the environment is whole. An
environment left ``"creating"`` by a killed process is rebuilt (pip never ran in it, so
nothing is lost). Directories safepip did not make are never deleted.

Creation and pip runs that change an environment are serialized with
:class:`safepip.venv.lock.EnvLock`.

**Distributions an interrupted pip left half-installed.** pip writes a distribution's files,
then its ``.dist-info`` metadata, and ``RECORD`` last. A pip killed in between (``kill -9``, a
CI job cancelled, the machine losing power) leaves a ``.dist-info`` without ``RECORD``: pip
then counts the distribution as installed ("already satisfied") but can neither upgrade nor
uninstall it (``error: uninstall-no-record-file``), and its files may be incomplete. Before pip
installs into an environment safepip made, and under that environment's lock, safepip removes
the metadata of such distributions (renamed aside first, so it disappears at once), and says
so (:func:`repair_made`). pip then sees them as not installed and installs them again, over
their files, when the command or a dependency asks for them: what pip's own hint
(``--ignore-installed --no-deps``) does by hand. Environments safepip did not make are left as
they are.
"""

from __future__ import annotations

import os
import stat

from safepip.frozen import Frozen, record
from safepip.errors import EnvironmentCreateError
from safepip.paths import Dirs
from safepip.venv.layout import bin_python, is_venv_dir, old_names, pip_in, site_packages, system_site_packages
from safepip.venv.state import (
    COMPLETE,
    CREATING,
    RESTORING,
    own_files_only,
    problem,
    restoring_from,
    state,
    write_state,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Callable, Mapping, Sequence
    from safepip.venv.layout import Base
    from safepip.venv.lock import EnvLock

# What makes, locks and rebuilds an environment (safepip.venv.create, lock, rebuild) is
# imported where it is used: a command whose environment is whole (``safepip run``, which)
# only checks it here, and each import costs its share of a cold call.


@record
class Ready(Frozen):
    """An environment ready for pip: its interpreter, its site-packages directories,
    whether pip is in them and whether it sees the system site-packages (read once, by
    :func:`ready_at`), and what safepip had to do.
    """

    env_dir: str
    python: str
    created: bool = False
    rebuilt: str | None = None  # why it was rebuilt, when it was
    site_packages: tuple[str, ...] = ()
    has_pip: bool = False
    #: Whether its pyvenv.cfg includes the system site-packages (None: it could not be read).
    system_site: bool | None = None


def ready_at(env_dir: str, *, created: bool = False, rebuilt: str | None = None) -> Ready:
    """The environment ``env_dir`` as pip will find it (its layout read once, here)."""
    sites = tuple(site_packages(env_dir))
    try:
        system_site: bool | None = system_site_packages(env_dir)
    except OSError:
        system_site = None  # who needs it reads it again, and says why it cannot
    return Ready(env_dir, bin_python(env_dir), created, rebuilt, sites, pip_in(sites), system_site)


def check_path(env_dir: str, *, dirs: Dirs | None = None) -> tuple[str, bool]:
    """Refuse (exit 73) an environment path safepip must not use: a file, a dangling link, a
    link to the directory that holds it or to one above (``.venv -> .`` in a repository: the
    project itself), or a directory of files without ``pyvenv.cfg`` that is not an
    environment safepip is creating. Every command checks it, read-only ones included.
    ``dirs``: the session's directories, where the state files' key is (None: looked up).
    Return what the check found, for its caller: the environment's working tree
    (:func:`working_tree`) and whether that is an environment (``is_venv_dir``), each path
    looked at once.
    """
    link = os.path.islink(env_dir)
    work = env_dir
    if link:
        if not os.path.exists(env_dir):
            work = os.path.realpath(env_dir)
            if pending(work, dirs=dirs):
                return work, False  # a rebuild moved the link's target aside and was killed: it goes on
            raise EnvironmentCreateError(
                f"{env_dir} is a symbolic link to {os.readlink(env_dir)}, which does not exist; "
                "remove the link or point it at an environment"
            )
        work = os.path.realpath(env_dir)
        holder = os.path.realpath(os.path.dirname(os.path.abspath(env_dir)))
        if holder == work or holder.startswith(work.rstrip(os.sep) + os.sep):
            raise EnvironmentCreateError(
                f"{env_dir} is a symbolic link to {os.readlink(env_dir)}, which holds {env_dir} itself, not a "
                "virtual environment; safepip will not use it: remove the link"
            )
    try:
        # One look at what the path leads to (through the link: the working tree itself).
        directory = stat.S_ISDIR(os.stat(env_dir).st_mode)
    except (OSError, ValueError):  # not there (what os.path.exists and isdir say False of)
        directory = False
    else:
        if not directory:
            raise EnvironmentCreateError(
                f"{env_dir} is a file, not a virtual environment; move it away or set "
                "venv in [tool.safepip] to use another path"
            )
    whole = directory and is_venv_dir(work)
    if directory and not whole and not own_files_only(work) and state(work, dirs=dirs) != CREATING:
        raise EnvironmentCreateError(_NOT_A_VENV.format(env_dir=env_dir))
    return work, whole


#: A directory of files that is not a virtual environment: never touched.
_NOT_A_VENV = (
    "{env_dir} exists but is not a virtual environment (no pyvenv.cfg) and holds "
    "files; safepip will not touch it. Move it away, or set venv in [tool.safepip]"
)


def _usable(env_dir: str, dirs: Dirs | None = None) -> bool:
    return is_venv_dir(env_dir) and problem(env_dir, dirs=dirs) is None


def working_tree(env_dir: str) -> str:
    """The directory that holds the environment: ``env_dir``, or the target of the symbolic
    link ``env_dir`` is (a rebuild replaces the target and keeps the link).
    """
    return os.path.realpath(env_dir) if os.path.islink(env_dir) else env_dir


def broken(env_dir: str, *, dirs: Dirs | None = None) -> str | None:
    """Why the environment at ``env_dir`` needs ``safepip repair`` (a rebuild, or the end of
    one), or None: what read-only commands check instead of rebuilding. A path no command
    may use is refused (:func:`check_path`). ``dirs``: as for :func:`check_path`.
    """
    work, whole = check_path(env_dir, dirs=dirs)
    return tree_broken(work, whole, dirs=dirs)


def tree_broken(work: str, whole: bool, *, dirs: Dirs | None = None) -> str | None:
    """:func:`broken`, for a caller that checked the environment's path already
    (:func:`check_path`) and found its working tree ``work`` (:func:`working_tree`) and
    whether that is an environment (``whole``: :func:`safepip.venv.layout.is_venv_dir`).
    """
    if whole:
        why = problem(work, dirs=dirs)
        if why is not None:
            return why
    # Whole or not, an old tree still pending is a rebuild killed before it restored what the
    # old environment held (after it made the new one, which its creation marks complete):
    # used as it is, the environment would lack every package the user had. One listing
    # beside it answers the common case (no old tree) without the rebuild's module.
    if not old_names(work):
        return None
    if pending(work, dirs=dirs):
        return "its rebuild was interrupted"
    return None


def broken_waiting(env_dir: str, environ: Mapping[str, str], say: Callable[[str], object], *,
                   dirs: Dirs | None = None) -> str | None:
    """:func:`broken`, looked at again under the environment's lock when it seems broken
    (another process may be rebuilding it right now).
    """
    why = broken(env_dir, dirs=dirs)
    if why is not None and state(working_tree(env_dir), dirs=dirs) != CREATING:
        from safepip.venv.lock import EnvLock

        lock = EnvLock(env_dir, dirs or Dirs(environ), say)
        lock.acquire()
        try:
            why = broken(env_dir, dirs=dirs)
        finally:
            lock.release()
    return why


def ensure(
    env_dir: str,
    base: Base,
    environ: Mapping[str, str],
    say: Callable[[str], object],
    lock: EnvLock | None = None,
    *,
    system_site_packages: bool = False,
    pip_options: Sequence[str] = (),
    dirs: Dirs | None = None,
) -> Ready:
    """Make sure ``env_dir`` is a whole environment, creating or rebuilding it if needed.

    ``lock``, when given, is acquired and left held for the caller (who is about to change
    the environment). Without one, an environment that is already whole is used as it is;
    anything else (missing, being created by another process, interrupted) is handled
    under a lock of its own, so a reader waits for a writer's creation and never sees a
    half-made environment.
    ``system_site_packages`` gives a newly created environment access to the base
    interpreter's site-packages (the per-user environment: apt's python3-* stay importable).
    ``pip_options`` (an index, find-links...) are given to pip when a rebuild reinstalls
    what the old environment held. ``dirs``: the session's directories (the lock's, and the
    state files' key); None: worked out here from ``environ``.
    """
    from safepip.venv.lock import EnvLock

    dirs = dirs or Dirs(environ)
    work, _ = check_path(env_dir, dirs=dirs)
    # A whole environment with no old tree whose contents wait for it is used as it is. One
    # with a pending old tree is a rebuild killed after it made the new environment (its
    # creation marks it complete) and before it marked it restoring: restored under the lock.
    # One listing beside it answers the common case (no old tree) without the rebuild's module.
    olds: list[str] = []
    if lock is None and old_names(work):
        from safepip.venv.rebuild import old_trees

        olds = old_trees(work)
    if lock is None and _usable(work, dirs) and not (olds and pending(work, dirs=dirs)):
        # A process killed while it removed a rebuild's old tree (restored, marked trash) left
        # a whole environment: finish that removal here too, not only under the lock (which a
        # call the fast path may answer does not take).
        if olds:
            from safepip.venv import rebuild

            rebuild.sweep(work, dirs=dirs)
        return ready_at(env_dir)
    own_lock = lock or EnvLock(env_dir, dirs, say)
    own_lock.acquire()
    try:
        ready = _ensure_locked(env_dir, base, environ, system_site_packages, pip_options, say, dirs)
    except BaseException:
        own_lock.release()
        raise
    if lock is None:
        own_lock.release()
    return ready


def _ensure_locked(
    env_dir: str,
    base: Base,
    environ: Mapping[str, str],
    system_site: bool = False,
    pip_options: Sequence[str] = (),
    say: Callable[[str], object] = lambda m: None,
    dirs: Dirs | None = None,
) -> Ready:
    from safepip.venv import rebuild
    from safepip.venv.create import create as _create
    from safepip.venv.create import remove as _remove

    work, _ = check_path(env_dir, dirs=dirs)  # again: another process may have changed it while we waited
    rebuild.sweep(work, dirs=dirs)

    def create(path: str) -> None:
        if is_venv_dir(path) and state(path, dirs=dirs) in (COMPLETE, RESTORING) and os.path.exists(bin_python(path)):
            return
        if os.path.isdir(path) and state(path, dirs=dirs) == CREATING:
            _remove(path, dirs=dirs)
        _create(path, base, environ, system_site, dirs=dirs)

    def restore(old: str) -> Ready:
        why = rebuild.restore(
            old, work, create, pip_options, environ, say,
            mark_restoring=lambda o: write_state(work, RESTORING, base.path, old=o, dirs=dirs),
            mark_complete=lambda: write_state(work, COMPLETE, base.path, dirs=dirs), dirs=dirs,
        )
        return ready_at(env_dir, created=True, rebuilt=why)

    current = state(work, dirs=dirs) if is_venv_dir(work) else None
    if current == RESTORING:
        old = restoring_from(work, dirs=dirs)
        if old is not None and (rebuild.read_journal(old, dirs=dirs) or {}).get("kind") == rebuild.PENDING:
            return restore(old)
        write_state(work, COMPLETE, base.path, dirs=dirs)  # killed after the old tree was dealt with
        rebuild.sweep(work, dirs=dirs)
        current = COMPLETE
    if current in (None, CREATING, COMPLETE):
        waiting = pending(work, dirs=dirs)
        if waiting:  # a rebuild killed after it moved the old tree aside, before it restored
            return restore(waiting[-1])
    if is_venv_dir(work):
        why = problem(work, dirs=dirs)
        if why is None:
            return ready_at(env_dir)
        if current is None:
            import shlex  # here: for this message alone

            raise EnvironmentCreateError(
                f"{env_dir} cannot be used: {why}. safepip did not create it, so it will not "
                f"delete it; recreate it with: rm -rf {shlex.quote(env_dir)} && safepip install ..."
            )
        if current == CREATING:  # pip never ran in it: nothing to keep
            _remove(work, dirs=dirs)
            _create(work, base, environ, system_site, dirs=dirs)
            return ready_at(env_dir, created=True, rebuilt=why)
        return restore(rebuild.move_aside(work, env_dir, why, dirs=dirs))
    rebuilt = None
    if os.path.isdir(work) and not own_files_only(work):
        if state(work, dirs=dirs) != CREATING:
            raise EnvironmentCreateError(_NOT_A_VENV.format(env_dir=env_dir))
        _remove(work, dirs=dirs)
        rebuilt = "its creation was interrupted"
    _create(work, base, environ, system_site, dirs=dirs)
    return ready_at(env_dir, created=True, rebuilt=rebuilt)


def pending(work: str, *, dirs: Dirs | None = None) -> list[str]:
    """The old trees whose contents are not yet restored (oldest first); ``dirs``: where the
    journals' key is (:func:`check_path`).
    """
    from safepip.venv.rebuild import PENDING, old_trees, read_journal

    return [t for t in old_trees(work) if (read_journal(t, dirs=dirs) or {}).get("kind") == PENDING]


# What an interrupted pip left half-installed (see the module docstring).

TORN_INFIX = ".safepip-torn-"


def _leftovers(site: str) -> list[str]:
    try:
        return [os.path.join(site, n) for n in os.listdir(site) if TORN_INFIX in n]
    except OSError:
        return []


def _remove_tree(tree: str) -> None:
    import shutil  # here: the check before every install mostly finds nothing to remove

    shutil.rmtree(tree, ignore_errors=True)


def torn(env_dir: str) -> list[str]:
    """The ``.dist-info`` directories in the environment that have no ``RECORD``."""
    found = []
    for site in site_packages(env_dir):
        try:
            names = os.listdir(site)
        except OSError:
            continue
        for name in sorted(names):
            if not name.endswith(".dist-info") or name.startswith("~"):
                continue  # "~" marks pip's own stash of an uninstall in progress
            info = os.path.join(site, name)
            if os.path.isdir(info) and not os.path.lexists(os.path.join(info, "RECORD")):
                found.append(info)
    return found


def repair(env_dir: str, say: Callable[[str], object]) -> list[str]:
    """Remove the metadata of half-installed distributions; return the ``name-version``
    of each one removed.
    """
    for site in site_packages(env_dir):  # what a repair killed midway left
        for leftover in _leftovers(site):
            _remove_tree(leftover)
    removed = []
    for info in torn(env_dir):
        aside = f"{info}{TORN_INFIX}{os.getpid()}"
        try:
            os.rename(info, aside)
        except OSError:
            continue  # pip will say what is wrong with it
        _remove_tree(aside)
        removed.append(os.path.basename(info)[: -len(".dist-info")])
    if removed:
        names = ", ".join(removed)
        say(
            f"{names} in {env_dir} {'was' if len(removed) == 1 else 'were'} left half-installed by an "
            "interrupted pip (no RECORD file); safepip removed the metadata so that pip installs "
            f"{'it' if len(removed) == 1 else 'them'} again"
        )
    return removed


def repair_made(env_dir: str, environ: Mapping[str, str], *, dirs: Dirs | None = None) -> None:
    """Before pip installs into an environment (under its lock): if safepip made it, undo what
    an interrupted pip left half-installed, and say so. ``dirs``: the session's directories
    (None: the replay, which has no session, looks the key's up).
    """
    if state(env_dir, dirs=dirs) == COMPLETE:
        from safepip.session import say

        repair(env_dir, lambda m: say(m, "warning", environ))
