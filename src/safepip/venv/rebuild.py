"""Rebuild an environment without losing what is in it.

An environment safepip made must be rebuilt when its interpreter is gone or is now another
minor version (a distribution upgrade: python3.11 becomes python3.12), or when a rebuild
was interrupted. Under the environment's lock, in this order:

1. **Record** what it holds: every ``*.dist-info`` (and ``*.egg-info``) with its name,
   version, ``direct_url.json`` (URL, VCS and editable installs), ``INSTALLER`` and
   ``REQUESTED``. The record (a journal, ``.safepip-rebuild.json``) is written into the old
   tree, so that it travels with it, signed for the name it is moved to (see
   :mod:`safepip.venv.state`: a journal safepip did not write is never replayed).
2. **Move aside** the old tree, atomically, to ``<env>.safepip-old-<date>-<pid>`` (for a
   ``.venv`` that is a symbolic link: the link's target, and the link is kept).
3. **Create** the new environment in the same place (``.safepip.json`` says ``restoring``
   until step 5 is done).
4. **Move** ``<old>/src`` (pip's checkouts of editable VCS installs, with the user's edits)
   into the new environment, then **reinstall** the recorded set: the same versions, URL and
   VCS installs from their recorded source and commit, editables from their directory.
5. **Only then** remove the old tree, unless it still holds files that no distribution
   lists in its ``RECORD`` and that are not the environment's own (the user's): it is then
   kept, and a notice names it. When a reinstall fails, the old tree is kept and the error
   says exactly what was not restored.

A process killed at any instant leaves either the journal ``pending`` in the old tree (the
next call, under the lock, goes on from where it was) or a finished rebuild. Nothing of the
user's is deleted: the old tree is removed only once the new one holds everything.

What a tree holds is read by :mod:`safepip.venv.inventory`.

**The trees moved aside** (``<env>.safepip-old-<date>-<pid>``) carry the journal
(``.safepip-rebuild.json``, in the tree) saying what safepip made of the tree: ``pending`` (its
contents are not yet restored into the new environment), ``kept`` (restored, but it holds the
user's files or what could not be restored) or ``trash`` (nothing in it is wanted). A tree
without a journal is not safepip's, whatever its name: it is never removed. Nor is one whose
journal safepip did not write for that very tree (it carries a proof bound to the name the tree
was moved to and its owner, see :mod:`safepip.venv.state`), nor a name that is a symbolic link:
a repository can commit both, named like an old tree. The sweep (:func:`sweep`) finishes the
removal of trash at once and prunes a kept tree a day after it was kept; it never removes the
user's files.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from dataclasses import asdict
from typing import Any, Callable, Mapping, Sequence

from safepip.errors import EnvironmentCreateError
from safepip.venv.inventory import JOURNAL, Dist, dist_from, inventory, user_files
from safepip.venv.layout import OLD_INFIX, bin_python, old_names

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.paths import Dirs

Create = Callable[[str], None]  # makes a whole environment at the path (safepip's _create)


def move_aside(work: str, env_dir: str, why: str, *, dirs: Dirs | None = None) -> str:
    """Steps 1 and 2: record what ``work`` holds into it, then rename it aside; return where."""
    dists = inventory(work)
    old = f"{work.rstrip(os.sep)}{OLD_INFIX}{stamp()}"
    write_journal(work, {"kind": PENDING, "env": env_dir, "why": why, "dists": [asdict(d) for d in dists]}, old, dirs=dirs)
    try:
        os.rename(work, old)
    except OSError as exc:
        raise EnvironmentCreateError(f"cannot move {work} aside to rebuild it: {exc.strerror}") from None
    return old


def reinstall(python: str, dists: Sequence[Dist], pip_options: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """Install ``dists`` into the environment of ``python``; return what could not be
    installed (each as ``name version (source): reason``).
    """
    if not dists:
        return []
    args = [a for d in dists for a in d.args]
    done = _pip(python, args, pip_options, environ)
    if done[0] == 0:
        return []
    failed = []
    for dist in dists:  # one by one, to say exactly which did not come back
        code, reason = _pip(python, list(dist.args), [*pip_options, "--no-deps"], environ)
        if code != 0:
            failed.append(f"{dist.name} {dist.version} ({dist.source}): {reason}")
    if not failed:  # each alone installs, together they conflict: say pip's reason
        failed.append(f"the set as a whole: {done[1]}")
    return failed


def _pip(python: str, args: Sequence[str], options: Sequence[str], environ: Mapping[str, str]) -> tuple[int, str]:
    from safepip.runner import capture, child_environ, pip_argv

    argv = pip_argv(python, ["install", "--disable-pip-version-check", "-q", *options, *args])
    try:
        done = capture(argv, child_environ(environ, {}, redirected=True))
    except OSError as exc:
        return 1, str(exc.strerror)
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return done.returncode, ((errors or lines or ["pip failed"])[-1])[:300]


def restore(
    old: str,
    work: str,
    create: Create,
    pip_options: Sequence[str],
    environ: Mapping[str, str],
    say: Callable[[str], object],
    mark_restoring: Callable[[str], None],
    mark_complete: Callable[[], None],
    *,
    dirs: Dirs | None = None,
) -> str:
    """Steps 3 to 5 for the tree moved aside at ``old`` (again, if a killed run began them);
    return why the environment was rebuilt. ``dirs``: the session's directories, where the
    journals' key is (None: looked up, as :func:`safepip.venv.state.key` says).
    """
    journal = read_journal(old, dirs=dirs) or {}
    why = str(journal.get("why") or "it was rebuilt")
    dists = [d for d in (dist_from(x) for x in journal.get("dists") or ()) if d is not None]
    create(work)
    mark_restoring(old)
    src_old, src_new = os.path.join(old, "src"), os.path.join(work, "src")
    if os.path.isdir(src_old) and not os.path.lexists(src_new):
        os.rename(src_old, src_new)  # pip's editable checkouts, with the user's edits in them
    failed = reinstall(bin_python(work), dists, pip_options, environ)
    from safepip.session import shortpath

    where = shortpath(old, environ)
    if failed:
        write_journal(old, {**journal, "kind": KEPT, "not_restored": failed}, dirs=dirs)
        mark_complete()
        raise EnvironmentCreateError(
            f"rebuilt {work} ({why}) but could not reinstall {len(failed)} of {len(dists)} distributions: "
            + "; ".join(failed)
            + f". The old environment is kept in {where}; install them by hand, then remove it"
        )
    mine = user_files(old)
    if mine:
        kept = {**journal, "kind": KEPT, "user_files": mine[:100], "at": time.time()}
        write_journal(old, kept, dirs=dirs)
        mark_complete()
        shown = ", ".join(mine[:3]) + (f" and {len(mine) - 3} more" if len(mine) > 3 else "")
        say(
            f"rebuilt {shortpath(work, environ)} and reinstalled {len(dists)} distributions; the old environment "
            f"holds files no distribution installed ({shown}): kept in {where}; what was reinstalled from it is "
            f"removed after {due(kept)}, your files never"
        )
        return why
    write_journal(old, {**journal, "kind": TRASH, "at": time.time()}, dirs=dirs)
    mark_complete()
    remove_trash(old, dirs=dirs)
    return why


def sweep(work: str, now: float | None = None, *, dirs: Dirs | None = None) -> None:
    """Deal with the trees safepip moved aside beside ``work``.

    A tree without a journal is never touched, whatever its name. By the journal's kind:

    - ``trash`` (restored, nothing of the user's in it; or an environment pip never ran in):
      removed now, finishing a removal a killed process began (a successful rebuild removes
      its old tree at once, and a half-removed one holds nothing anybody can use);
    - ``kept`` for the user's files, a day after it was kept: pruned to those files (what
      was reinstalled from it goes), and removed once none is left;
    - ``kept`` because something could not be reinstalled, and ``pending``: left alone (the
      first holds the only copy of what was not restored, the second is a rebuild's to finish).
    """
    moment = time.time() if now is None else now
    for tree in old_trees(work):
        journal = read_journal(tree, dirs=dirs)
        if journal is None:
            continue
        if journal["kind"] == TRASH:
            remove_trash(tree, dirs=dirs)
        elif journal["kind"] == KEPT and not journal.get("not_restored") and moment - kept_at(tree, journal) > KEEP_SECONDS:
            prune(tree, journal, dirs=dirs)


def prune(tree: str, journal: dict[str, object], *, dirs: Dirs | None = None) -> None:
    """Remove from a kept tree everything but the user's files (what a distribution's
    ``RECORD`` lists, the environment's own files); remove it whole when nothing of the
    user's is left. A prune killed midway only keeps more (the ``RECORD`` files go last).
    """
    mine = set(user_files(tree))
    if not mine:
        write_journal(tree, {**journal, "kind": TRASH}, dirs=dirs)
        remove_trash(tree, dirs=dirs)
        return
    write_journal(tree, {**journal, "user_files": sorted(mine)[:100], "pruned": True}, dirs=dirs)
    infos: list[str] = []
    for top, subdirs, files in os.walk(tree, topdown=False):
        for name in files + [d for d in subdirs if os.path.islink(os.path.join(top, d))]:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, tree)
            if rel in mine or rel == JOURNAL:
                continue
            if name in ("RECORD", "installed-files.txt"):
                infos.append(path)
                continue
            with contextlib.suppress(OSError):
                os.unlink(path)
    for path in infos:  # last: until they go, what they list is known not to be the user's
        with contextlib.suppress(OSError):
            os.unlink(path)
    for top, _dirs, _files in os.walk(tree, topdown=False):
        if top != tree:
            with contextlib.suppress(OSError):
                os.rmdir(top)  # only when empty


# The trees moved aside and their journal (see the module docstring).

PENDING = "pending"  # the old tree still holds things the new one lacks
KEPT = "kept"  # restored; the old tree holds the user's files, or what could not be restored
TRASH = "trash"  # restored; nothing in the old tree is wanted (removed at once, swept if killed)


def read_journal(tree: str, *, dirs: Dirs | None = None) -> dict[str, Any] | None:
    """The journal of a tree moved aside by a rebuild (None: not safepip's: there is none,
    the tree is a symbolic link, or this user's safepip did not write it for this tree).
    """
    if not _real_dir(tree):
        return None
    from safepip.venv import state as envstate

    data = envstate.load(envstate.JOURNAL, tree, os.path.join(tree, JOURNAL), dirs=dirs)
    return data if data is not None and data.get("kind") in (PENDING, KEPT, TRASH) else None


def _real_dir(path: str) -> bool:
    """A directory, not a symbolic link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def write_journal(tree: str, data: Mapping[str, Any], named: str | None = None, *, dirs: Dirs | None = None) -> None:
    """Write a tree's journal atomically, with the proof that safepip wrote it for this tree
    (for the name ``named`` it is about to be renamed to, when it is not there yet).
    """
    import json  # here: only a rebuild writes a journal

    from safepip.paths import replace_file
    from safepip.venv import state as envstate

    text = json.dumps(envstate.sign(envstate.JOURNAL, tree, data, named, dirs=dirs), ensure_ascii=True)
    replace_file(os.path.join(tree, JOURNAL), text.encode("ascii"), mode=0o644, exact_mode=True, durable=True)


def old_trees(work: str) -> list[str]:
    """The trees moved aside beside ``work`` by safepip's rebuilds (oldest first)."""
    parent = os.path.dirname(work.rstrip(os.sep))
    names = old_names(work)
    # Never a symbolic link: a repository can commit ``.venv.safepip-old-x -> .``.
    return [os.path.join(parent, n) for n in names if _real_dir(os.path.join(parent, n))]


def remove_trash(tree: str, *, made: bool = False, dirs: Dirs | None = None) -> None:
    """Remove a tree safepip moved aside and marked as trash; the journal goes last, so that
    a removal killed midway is still recognised (and finished) by the next sweep. Nothing
    is removed unless the tree is a directory (not a link) whose journal safepip wrote for
    it and says trash, or (``made``) one the caller knows safepip made and could not mark
    (a full disk); nothing below it is followed (``rmtree`` never crosses a link).
    """
    import contextlib  # here: lookups, on every use of an environment, need none of it

    if not (_real_dir(tree) if made else (read_journal(tree, dirs=dirs) or {}).get("kind") == TRASH):
        return
    try:
        entries = os.listdir(tree)
    except OSError:
        return
    for entry in entries:
        if entry == JOURNAL:
            continue
        path = os.path.join(tree, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            import shutil  # here: a lookup never removes anything

            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)
    with contextlib.suppress(OSError):
        os.unlink(os.path.join(tree, JOURNAL))
    with contextlib.suppress(OSError):
        os.rmdir(tree)


#: How long a tree kept for the user's files also keeps what was reinstalled from it.
KEEP_SECONDS = 24 * 3600


def kept_at(tree: str, journal: Mapping[str, Any]) -> float:
    """When a tree was kept (its journal says; else the journal's modification time)."""
    at = journal.get("at")
    if isinstance(at, (int, float)) and not isinstance(at, bool):
        return float(at)
    try:
        return os.stat(os.path.join(tree, JOURNAL)).st_mtime
    except OSError:
        return time.time()  # unreadable: as if kept now, never old enough


def due(journal: Mapping[str, Any]) -> str:
    """When the sweep prunes a kept tree, in words (UTC)."""
    at = journal.get("at")
    start = float(at) if isinstance(at, (int, float)) else time.time()
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(start + KEEP_SECONDS))


def mark_trash(tree: str, named: str | None = None, *, dirs: Dirs | None = None) -> None:
    """Mark a tree (an environment in which pip never ran) as safepip's trash, once it is
    renamed ``named``.
    """
    write_journal(tree, {"kind": TRASH, "at": time.time()}, named, dirs=dirs)


def stamp() -> str:
    """The date and process that name a tree moved aside."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f"-{os.getpid()}"
