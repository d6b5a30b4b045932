"""A rebuild's old trees: what an interrupted rebuild leaves beside a virtual environment, and
how it is finished (what an interrupted pip leaves in one is :mod:`safepip.venv.ensure`'s).

A rebuild moves the environment aside (``<env>.safepip-old-<date>-<pid>``) with a journal
(``.safepip-rebuild.json``, in the tree) saying what safepip made of the tree: ``pending`` (its contents are not yet restored into the
new environment), ``kept`` (restored, but it holds the user's files or what could not be
restored) or ``trash`` (nothing in it is wanted). A tree without a journal is not safepip's,
whatever its name: it is never removed. Nor is one whose journal safepip did not write for that
very tree (it carries a proof bound to the name the tree was moved to and its owner, see
:mod:`safepip.venv.state`), nor a name that is a symbolic link: a repository can commit both,
named like an old tree. The sweep (:func:`safepip.venv.rebuild.sweep`) finishes the removal of
trash at once and prunes a kept tree a day after it was kept; it never removes the user's files.
"""

from __future__ import annotations

import os
import stat
import time

from safepip.venv.layout import old_names

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

JOURNAL = ".safepip-rebuild.json"
PENDING = "pending"  # the old tree still holds things the new one lacks
KEPT = "kept"  # restored; the old tree holds the user's files, or what could not be restored
TRASH = "trash"  # restored; nothing in the old tree is wanted (removed at once, swept if killed)


def read_text(path: str) -> str | None:
    """A file's text, at most 1 MiB (None: it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(1 << 20)
    except OSError:
        return None



def read_journal(tree: str) -> dict[str, Any] | None:
    """The journal of a tree moved aside by a rebuild (None: not safepip's: there is none,
    the tree is a symbolic link, or this user's safepip did not write it for this tree).
    """
    if not _real_dir(tree):
        return None
    from safepip.venv import state as envstate

    data = envstate.load(envstate.JOURNAL, tree, os.path.join(tree, JOURNAL))
    return data if data is not None and data.get("kind") in (PENDING, KEPT, TRASH) else None


def _real_dir(path: str) -> bool:
    """A directory, not a symbolic link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def write_journal(tree: str, data: Mapping[str, Any], named: str | None = None) -> None:
    """Write a tree's journal atomically, with the proof that safepip wrote it for this tree
    (for the name ``named`` it is about to be renamed to, when it is not there yet).
    """
    import json  # here: only a rebuild writes a journal

    from safepip.safefs import replace_file
    from safepip.venv import state as envstate

    text = json.dumps(envstate.sign(envstate.JOURNAL, tree, data, named), ensure_ascii=True)
    replace_file(os.path.join(tree, JOURNAL), text.encode("ascii"), mode=0o644, exact_mode=True, durable=True)


def old_trees(work: str) -> list[str]:
    """The trees moved aside beside ``work`` by safepip's rebuilds (oldest first)."""
    parent = os.path.dirname(work.rstrip(os.sep))
    names = old_names(work)
    # Never a symbolic link: a repository can commit ``.venv.safepip-old-x -> .``.
    return [os.path.join(parent, n) for n in names if _real_dir(os.path.join(parent, n))]


def remove_trash(tree: str, *, made: bool = False) -> None:
    """Remove a tree safepip moved aside and marked as trash; the journal goes last, so that
    a removal killed midway is still recognised (and finished) by the next sweep. Nothing
    is removed unless the tree is a directory (not a link) whose journal safepip wrote for
    it and says trash, or (``made``) one the caller knows safepip made and could not mark
    (a full disk); nothing below it is followed (``rmtree`` never crosses a link).
    """
    import contextlib  # here: lookups, on every use of an environment, need none of it

    if not (_real_dir(tree) if made else (read_journal(tree) or {}).get("kind") == TRASH):
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


def mark_trash(tree: str, named: str | None = None) -> None:
    """Mark a tree (an environment in which pip never ran) as safepip's trash, once it is
    renamed ``named``.
    """
    write_journal(tree, {"kind": TRASH, "at": time.time()}, named)


def stamp() -> str:
    """The date and process that name a tree moved aside."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f"-{os.getpid()}"
