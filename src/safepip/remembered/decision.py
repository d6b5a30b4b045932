"""Remembered decisions: where any command line of one kind goes, in this directory
(standard library only: :mod:`safepip.front` reads them).

Where the route does not depend on the named requirements (a project's environment, an
active one, a pass-through), what the full path decided for ``install`` (or ``list``...)
in this directory, with these variables and this interpreter, holds for ``install anything``
while the same signatures hold, less those that depend on the requirements or on what is
installed. The full path remembers it (:func:`safepip.remembered.record.remember_decision`) with
:mod:`safepip.remembered.store`'s rules, under :func:`decision_key` (the command, and whether the
call is quiet: the notice depends on it) instead of the argv: pip's command line before the
arguments, the variables, the lock, the notice, and the option table of the environment's
pip, with which :func:`decided` reads a new command line once. A call holding nothing that
changes the decision (:data:`DECISIVE`) goes where the full path sent the last one: an
``install`` first gets the fast path's own check (skipped when it would certainly stand
aside: an option it does not model, a named project that is not installed), then pip is
exec'd with the lock handed over. Anything not modelled goes to the full path.
``safepip run`` remembers its environment under :data:`safepip.remembered.store.RUN`
(the store keeps the keys and :func:`recall_decision`).
"""

from __future__ import annotations

import os
import stat
import sys

# The keys, and the recall for a directory or its anchor, live with the store: the front door's
# answers for `safepip run` and the prompt hook need nothing else from here.
from safepip.remembered.store import DECISION, follow, recall_decision

_WINDOWS = sys.platform == "win32"

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping, Sequence

#: pip options that change where a call goes or what pip is given (``decide.plan`` reads
#: them, with the ``--help``/``--version`` that make a call informational): a remembered
#: decision never answers a command line that holds one (:func:`decided`).
DECISIVE = frozenset({
    "--python", "--user", "--no-user", "--target", "--prefix", "--root", "--break-system-packages", "--isolated",
    "--report", "--help", "--version",
})


#: The commonest install options the fast path never answers under (none is in
#: :data:`safepip.fastpath.options.SAFE_OPTIONS`, a test holds it): a call holding one goes
#: to pip without that module's import (0.3 ms of a replayed ``install --dry-run NEW``).
PIP_RUNS = frozenset({
    "--dry-run", "--upgrade", "--force-reinstall", "--ignore-installed", "--no-deps", "--verbose", "--log",
    "--use-feature", "--use-deprecated", "--platform", "--python-version", "--implementation", "--abi",
})


def decision_key(command: str, quiet: bool) -> tuple[str, ...]:
    """The key of a decision for every command line of ``command`` that is as quiet (the
    notice depends on ``--quiet``): it stands where remembered answers put the argv.
    """
    return (DECISION, command, "quiet" if quiet else "")


#: Options after which optparse stops (``--help``) or that pip refuses after the command name
#: (``--python``, in some versions): :func:`lean_scan` leaves them to the full path.
_UNREAD = frozenset({"--help", "--python"})


def _quiet_guess(argv: Sequence[str]) -> bool:
    """Whether the call looks quiet, to pick the decision to load (the scan checks it)."""
    for arg in argv:
        if arg == "--":
            break
        if arg.startswith("--"):
            if len(arg) > 2 and "--quiet".startswith(arg.split("=", 1)[0]):
                return True
        elif arg.startswith("-") and "q" in arg:
            return True
    return False


def lean_scan(args: Sequence[str], table: Mapping[str, Any]) -> tuple[list[tuple[str, str | None]], list[str]] | None:
    """pip's reading of ``args`` (what follows the command name) with the command's option
    table: the options (canonical name, value) and the positionals, as
    :func:`safepip.facts.pipargs.scan` reads them; None for anything pip would reject, an
    option whose value pip checks (choices, numbers), ``--help`` and a ``--python`` after the
    command (refused or ignored, by pip version): the full path reads those.
    """
    options: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    i, n = 0, len(args)
    while i < n:
        arg = args[i]
        if arg == "--":
            positionals.extend(args[i + 1 :])
            break
        if arg.startswith("--"):
            name, eq, inline = arg.partition("=")
            if name not in table:  # optparse: an unambiguous prefix names the option
                found = [k for k in table if k.startswith(name) and k.startswith("--")]
                if len(found) != 1:
                    return None
                name = found[0]
            canonical, takes, check = table[name]
            if check is not None or canonical in _UNREAD:
                return None
            if takes and not eq:
                if i + 1 >= n:
                    return None
                options.append((canonical, args[i + 1]))
                i += 2
                continue
            if eq and not takes:
                return None
            options.append((canonical, inline if takes else None))
            i += 1
            continue
        i += 1
        if arg.startswith("-") and len(arg) > 1:
            for pos in range(1, len(arg)):
                entry = table.get("-" + arg[pos])
                if entry is None or entry[2] is not None or entry[0] in _UNREAD:
                    return None
                if not entry[1]:
                    options.append((entry[0], None))
                    continue
                if pos + 1 < len(arg):
                    options.append((entry[0], arg[pos + 1 :]))
                elif i < n:
                    options.append((entry[0], args[i]))
                    i += 1
                else:
                    return None
                break
            continue
        positionals.append(arg)
    return options, positionals


def _bare_name(text: str) -> bool:
    """Whether ``text`` is a requirement that is a project name and nothing else (PEP 508)."""
    return bool(text) and text[0].isalnum() and text[-1].isalnum() and text.isascii() and all(
        c.isalnum() or c in "._-" for c in text
    )


def _missing(prefix: str, names: Sequence[str], listed: dict[str, list[str]]) -> bool | None:
    """Whether one of the canonical ``names`` has no metadata in an environment's site-packages,
    as the fast path's scan reads them (one reading of each listing for both); None: unreadable.
    """
    from safepip.fastpath.environment import distributions
    from safepip.venv.layout import site_packages

    found: set[str] = set()
    for site in site_packages(prefix):
        try:
            index = distributions(site, listed)
        except OSError:
            return None
        found.update(name for name in names if index.get(name))
    return any(name not in found for name in names)


def _pip_must_run(names: set[str], positionals: Sequence[str], prefix: str | None,
                  listed: dict[str, list[str]]) -> bool:
    """Whether the fast path certainly stands aside for this install, without reading any
    metadata: an option it does not model, nothing named, or a named project not installed
    at all (pip has something to do). False: the fast path must look (with the directories
    listed here kept in ``listed``).
    """
    if prefix is None or names & PIP_RUNS:
        return True
    from safepip.fastpath.options import SAFE_OPTIONS

    if any(name not in SAFE_OPTIONS for name in names):
        return True
    if not (positionals or names & {"--requirement", "--editable", "--group"}):
        return True
    from safepip.fastpath.options import canonical

    bare = [canonical(p) for p in positionals if _bare_name(p) and not os.path.exists(p)]
    if not bare:
        return False
    return bool(_missing(prefix, bare, listed))


def _repair(env_dir: str, environ: Mapping[str, str]) -> None:
    """What the full path does before pip installs into an environment: undo what an
    interrupted pip left half-installed (:func:`safepip.venv.ensure.repair_made`), whose
    check is made here first without its imports.
    """
    from safepip.venv.layout import site_packages

    for site in site_packages(env_dir):
        if _torn_in(site):
            from safepip.venv.ensure import repair_made

            repair_made(env_dir, environ)
            return


def _torn_in(site: str) -> bool:
    """Whether ``site`` holds what :func:`safepip.venv.ensure.repair` removes: a
    ``.dist-info`` directory without ``RECORD`` (not pip's ``~`` stash of an uninstall), or
    what a killed repair left. Each ``RECORD`` is looked up relative to the directory, and
    asked for with ``access`` rather than ``lstat`` (the same answer: the entry itself, a
    dangling link counts, searched with the effective ids). With some 350 distributions
    installed, 1.5 ms here against 2.5 ms for ``os.path.lexists`` of each whole path: that
    check was a third of a replayed decision's work before pip.
    """
    try:
        fd = os.open(site, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        entries = os.listdir(fd)
    except OSError:
        entries = []
    try:
        for entry in entries:
            if ".safepip-torn-" in entry:  # safepip.venv.ensure.TORN_INFIX
                return True
            if entry.endswith(".dist-info") and not entry.startswith("~") and not os.access(
                entry + "/RECORD", os.F_OK, dir_fd=fd, effective_ids=True, follow_symlinks=False
            ):
                try:
                    if stat.S_ISDIR(os.stat(entry, dir_fd=fd).st_mode):
                        return True
                except OSError:
                    continue
    finally:
        os.close(fd)
    return False


def _lock(lock_path: str, env_dir: str, environ: Mapping[str, str]) -> Any:
    """Take the environment's lock, waiting (and saying for whom) while it is busy; an int
    is the exit code of a lock that cannot be taken (said).
    """
    from safepip.venv.lock import FileLock

    lock = FileLock(lock_path)
    try:
        if not lock.try_acquire():
            # Here, and below: the way to speak lives with the session, which a replay that
            # says nothing never imports.
            from safepip.session import say

            say(f"waiting for {env_dir}: in use by {lock.holder() or 'another process'}", "notice", environ)
            lock.acquire()
    except OSError as exc:
        from safepip.session import say

        say(f"cannot lock {env_dir} ({lock_path}): {exc.strerror or exc}", "error", environ)
        return 77
    lock.write_holder(f"pid {os.getpid()}: safepip {' '.join(sys.argv[1:])}")
    return lock


def _lean_fast_path(argv: Sequence[str], environ: Mapping[str, str], decision: Sequence[Any],
                    checks: Sequence[tuple[str, bool, tuple[int, ...] | None]], said: str, below: Sequence[str],
                    listed: dict[str, list[str]], scanned: tuple[list[tuple[str, str | None]], list[str]]) -> int | None:
    """The fast path's own check of a new command line, as the lean scan read it (the notice
    said first, as the full path says it): 0 when it answered (and the answer is remembered,
    for this directory: with the blank directories ``below`` the decision's anchor), None for pip.
    """
    from safepip.fastpath.answer import Answered, attempt
    from safepip.fastpath.options import Scanned

    _, changes, redirected, _, _, _, fast, _, _ = decision
    call = Scanned(argv[0], *scanned)  # what the scanner reads with the same table (a test holds it)
    sys.stderr.write(said)
    sys.stderr.flush()
    from safepip.remembered.store import remember
    from safepip.runner import child_environ
    from safepip.stdio import stdout_error

    answered = Answered()
    cwd = os.getcwd()
    code = attempt(call, fast[0], child_environ(environ, dict(changes), redirected), cwd, answered, listed=listed,
                   probed=fast[2] if len(fast) > 2 else None)
    if code is None or stdout_error() is not None:
        return None
    # What the answer read first: a site-packages changed just now (the racy window) is met first.
    paths = answered.paths + [path for path, owner_only, _ in checks if not owner_only] + list(below)
    owned = [path for path, owner_only, _ in checks if owner_only] + list(below)
    remember(argv, environ, cwd, paths, answered.stdout, said, owned=owned, known={path: sig for path, _, sig in checks})
    return code


def decided(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """Send a command line where a remembered decision for its kind sends it (see the module's
    docstring); None when no decision holds for it.
    """
    if _WINDOWS or not argv or argv[0].startswith("-"):
        return None
    quiet = _quiet_guess(argv)
    recalled = recall_decision(decision_key(argv[0], quiet), environ)
    if recalled is None or recalled[0][3] is None:
        return None
    (checks, _, said, decision), below = recalled
    prefix, changes, redirected, lock_path, table, _, fast, env_dir, repair = decision
    scanned = lean_scan(argv[1:], table)
    if scanned is None or not os.access(prefix[0], os.X_OK):
        return None  # what the scan leaves, or a pip that cannot start: the full path says why
    options, positionals = scanned
    names = {name for name, _ in options}
    if names & DECISIVE or ("--quiet" in names) != quiet:
        return None
    route = ((*prefix, *argv), changes, redirected, lock_path, None)
    prepare = (lambda: _repair(env_dir, environ)) if repair else None
    listed: dict[str, list[str]] = {}
    if fast is None or _pip_must_run(names, positionals, fast[1], listed):
        return follow(route, "", said, environ, prepare=prepare)
    code = _lean_fast_path(argv, environ, decision, checks, said, below, listed, scanned)
    if code is not None:
        return code
    held = _lock(lock_path, env_dir, environ) if lock_path is not None else None
    if isinstance(held, int):
        return held
    code = follow(route, "", "", environ, held=held, prepare=prepare)
    if code is None:  # pragma: no cover - it was executable a moment ago
        sys.stderr.write(f"safepip: cannot run {prefix[0]}\n")
        return 69
    return code
