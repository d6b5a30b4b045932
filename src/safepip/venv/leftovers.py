"""What interrupted work leaves in or beside a virtual environment, and how it is finished.

**A rebuild's old trees.** A rebuild moves the environment aside
(``<env>.safepip-old-<date>-<pid>``) with a journal (``.safepip-rebuild.json``, in the tree)
saying what safepip made of the tree: ``pending`` (its contents are not yet restored into the
new environment), ``kept`` (restored, but it holds the user's files or what could not be
restored) or ``trash`` (nothing in it is wanted). A tree without a journal is not safepip's,
whatever its name: it is never removed. Nor is one whose journal safepip did not write for that
very tree (it carries a proof bound to the name the tree was moved to and its owner, see
:mod:`safepip.venv.records`), nor a name that is a symbolic link: a repository can commit both,
named like an old tree. The sweep (:func:`safepip.venv.rebuild.sweep`) finishes the removal of
trash at once and prunes a kept tree a day after it was kept; it never removes the user's files.

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
import time

from safepip.venv.layout import old_names, site_packages
from safepip.venv.state import COMPLETE, state

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Callable, Mapping

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
    from safepip.venv import records

    data = records.load(records.JOURNAL, tree, os.path.join(tree, JOURNAL))
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

    from safepip.paths import replace_file
    from safepip.venv import records

    text = json.dumps(records.sign(records.JOURNAL, tree, data, named), ensure_ascii=True)
    replace_file(os.path.join(tree, JOURNAL), text.encode("ascii"), mode=0o644, exact_mode=True, durable=True)


def old_trees(work: str) -> list[str]:
    """The trees moved aside beside ``work`` by safepip's rebuilds (oldest first)."""
    parent = os.path.dirname(work.rstrip(os.sep))
    names = old_names(work)
    # Never a symbolic link: a repository can commit ``.venv.safepip-old-x -> .``.
    return [os.path.join(parent, n) for n in names if _real_dir(os.path.join(parent, n))]


def pending(work: str) -> list[str]:
    """The old trees whose contents are not yet restored (oldest first)."""
    return [t for t in old_trees(work) if (read_journal(t) or {}).get("kind") == PENDING]


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


TORN_INFIX = ".safepip-torn-"


def _leftovers(site: str) -> list[str]:
    try:
        return [os.path.join(site, n) for n in os.listdir(site) if TORN_INFIX in n]
    except OSError:
        return []


def _remove(tree: str) -> None:
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
            _remove(leftover)
    removed = []
    for info in torn(env_dir):
        aside = f"{info}{TORN_INFIX}{os.getpid()}"
        try:
            os.rename(info, aside)
        except OSError:
            continue  # pip will say what is wrong with it
        _remove(aside)
        removed.append(os.path.basename(info)[: -len(".dist-info")])
    if removed:
        names = ", ".join(removed)
        say(
            f"{names} in {env_dir} {'was' if len(removed) == 1 else 'were'} left half-installed by an "
            "interrupted pip (no RECORD file); safepip removed the metadata so that pip installs "
            f"{'it' if len(removed) == 1 else 'them'} again"
        )
    return removed


def repair_made(env_dir: str, environ: Mapping[str, str]) -> None:
    """Before pip installs into an environment (under its lock): if safepip made it, undo what
    an interrupted pip left half-installed, and say so.
    """
    if state(env_dir) == COMPLETE:
        from safepip import ui

        repair(env_dir, lambda m: ui.say(m, "warning", environ))
