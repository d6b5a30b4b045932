"""safepip's front door: the answers that need nothing but ``os``, ``sys`` and ``marshal``.

safepip stands in front of every pip call, so the commonest calls must cost next to
nothing. Two are answered here, before any other module is imported:

* **An active virtual environment** (``VIRTUAL_ENV`` naming a venv that has pip): every pip
  command passes through unchanged, which is ``plan()``'s rule for a target that is a
  virtual environment. safepip execs the environment's pip at once. Anything this module is
  not sure of (``--python``, ``--version``, help, safepip's own flags and variables, an
  ``install`` the fast path may answer) takes the full path, which decides the same way
  (the front-door tests check that they agree).

* **A no-op install answered before** (:mod:`safepip.noop.memo`): replayed while nothing it
  depended on has changed.

* **A command line never seen, of a kind decided before** (a remembered decision, see
  :mod:`safepip.noop.memo`): the argv is read once with the option table of the
  environment's pip; a call holding nothing that changes the decision goes where the full
  path sent the last one. An ``install`` first gets the fast path's own check (skipped when
  it would certainly stand aside: an option it does not model, a named project that is not
  installed), then pip is exec'd with the lock handed over.

* **``safepip run CMD`` with a remembered environment**: CMD is exec'd at once.
"""

from __future__ import annotations

import os
import sys

from safepip.noop.memo import DECISIVE, RUN, decision_key, recall, replay
from safepip.venvdir import bin_python, has_pip, venv_of

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping, Sequence

_WINDOWS = sys.platform == "win32"
#: safepip's variables that cannot change what the full path does in an active venv (shell-init's
#: activation, once it is not the active venv, and its pip function's mark only shape a notice).
_INERT = frozenset({"SAFEPIP_NO_FASTPATH", "SAFEPIP_CACHE_DIR", "SAFEPIP_CONFIG_DIR", "SAFEPIP_DATA_DIR",
                    "SAFEPIP_BIN_DIR", "SAFEPIP_NO_PROBE_CACHE", "SAFEPIP_ALLOW_ROOT", "SAFEPIP_ACTIVATED",
                    "SAFEPIP_SHELL_ACTIVATES", "SAFEPIP_QUIET_ACTIVATE"})


def _unsure(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether the full path must look at this call (it may do more than pass through)."""
    if any(k.startswith("SAFEPIP_") and k not in _INERT for k in environ) or "CONDA_PREFIX" in environ:
        return True
    fast = environ.get("SAFEPIP_NO_FASTPATH") != "1"
    for arg in argv:
        if arg == "--":
            break
        if arg.startswith("--"):
            name = arg.split("=", 1)[0]
            # --python (and its abbreviations) picks another target; --version and --help
            # print safepip's part too; --safepip-* are safepip's own flags.
            if name.startswith(("--py", "--safepip")) or (len(name) > 5 and "--version".startswith(name)):
                return True
            if len(name) > 2 and "--help".startswith(name):
                return True
        elif (arg.startswith("-") and len(arg) > 1 and ("h" in arg or "V" in arg)) or arg == "help" or (fast and arg == "install"):
            return True
    return False


def passthrough(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    """Exec the active virtual environment's pip with ``argv`` when that is certainly what
    the full path would do; return (doing nothing) otherwise.
    """
    env_dir = environ.get("VIRTUAL_ENV")
    if not env_dir or _WINDOWS or _unsure(argv, environ):
        return
    python = bin_python(env_dir)
    if not (os.access(python, os.X_OK) and venv_of(python) and has_pip(env_dir)):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        try:
            if os.stat(env_dir).st_uid != 0:
                return  # root in another user's environment: the full path applies the sudo rule
        except OSError:
            return
    try:
        os.getcwd()
    except OSError:
        return  # the full path says what is wrong
    from safepip.launch import pip_argv  # here: a replayed answer never needs it

    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(python, pip_argv(python, argv))  # noqa: S606 - becoming pip is the point
    except OSError:
        return  # the full path reports it


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


def _canonical(name: str) -> str:
    """A project name as packaging's canonicalize_name writes it (without ``re``)."""
    out = name.lower().replace("_", "-").replace(".", "-")
    while "--" in out:
        out = out.replace("--", "-")
    return out


def _bare_name(text: str) -> bool:
    """Whether ``text`` is a requirement that is a project name and nothing else (PEP 508)."""
    return bool(text) and text[0].isalnum() and text[-1].isalnum() and text.isascii() and all(
        c.isalnum() or c in "._-" for c in text
    )


def _installed(prefix: str) -> set[str] | None:
    """The project names with metadata in an environment's site-packages (None: unreadable)."""
    from safepip.venvdir import site_packages

    names: set[str] = set()
    for site in site_packages(prefix):
        try:
            entries = os.listdir(site)
        except OSError:
            return None
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info", ".egg-link")):
                names.add(_canonical(entry.rsplit(".", 1)[0].split("-", 1)[0]))
    return names


def _pip_must_run(names: set[str], positionals: Sequence[str], prefix: str | None) -> bool:
    """Whether the fast path certainly stands aside for this install, without reading any
    metadata: an option it does not model, nothing named, or a named project not installed
    at all (pip has something to do). False: the fast path must look.
    """
    from safepip.noop.options import SAFE_OPTIONS

    if prefix is None or any(name not in SAFE_OPTIONS for name in names):
        return True
    if not (positionals or names & {"--requirement", "--editable", "--group"}):
        return True
    bare = [_canonical(p) for p in positionals if _bare_name(p) and not os.path.exists(p)]
    if not bare:
        return False
    installed = _installed(prefix)
    return installed is not None and any(name not in installed for name in bare)


def _repair(env_dir: str, environ: Mapping[str, str]) -> None:
    """What the full path does before pip installs into an environment: undo what an
    interrupted pip left half-installed (:func:`safepip.act.repair.repair_made`), whose
    check is made here first without its imports.
    """
    from safepip.venvdir import site_packages

    for site in site_packages(env_dir):
        try:
            entries = os.listdir(site)
        except OSError:
            continue
        for entry in entries:
            torn = entry.endswith(".dist-info") and not entry.startswith("~") and not os.path.lexists(
                os.path.join(site, entry, "RECORD")) and os.path.isdir(os.path.join(site, entry))
            if torn or ".safepip-torn-" in entry:
                from safepip.act.repair import repair_made

                repair_made(env_dir, environ)
                return


def _lock(lock_path: str, env_dir: str, environ: Mapping[str, str]) -> Any:
    """Take the environment's lock, waiting (and saying for whom) while it is busy; an int
    is the exit code of a lock that cannot be taken (said).
    """
    from safepip import ui
    from safepip.lock import FileLock

    lock = FileLock(lock_path)
    try:
        if not lock.try_acquire():
            ui.say(f"waiting for {env_dir}: in use by {lock.holder() or 'another process'}", "notice", environ)
            lock.acquire()
    except OSError as exc:
        ui.say(f"cannot lock {env_dir} ({lock_path}): {exc.strerror or exc}", "error", environ)
        return 77
    lock.write_holder(f"pid {os.getpid()}: safepip {' '.join(sys.argv[1:])}")
    return lock


def _lean_fast_path(argv: Sequence[str], environ: Mapping[str, str], decision: Sequence[Any],
                    checks: Sequence[tuple[str, bool, object]], said: str) -> int | None:
    """The fast path's own check of a new command line (the notice said first, as the full
    path says it): 0 when it answered (and the answer is remembered), None for pip.
    """
    from safepip.facts.pipargs import scan

    _, changes, redirected, _, _, pip_version, fast, _, _ = decision
    call = scan(argv, pip_version)
    sys.stderr.write(said)
    sys.stderr.flush()
    if call.error is not None:  # pragma: no cover - the lean scan read the same table
        return None
    from safepip.noop.fastpath import Answered, attempt
    from safepip.noop.memo import child_environ, remember
    from safepip.stdio import stdout_error

    answered = Answered()
    cwd = os.getcwd()
    code = attempt(call, fast[0], child_environ(changes, redirected, environ), cwd, answered)
    if code is None or stdout_error() is not None:
        return None
    paths = [path for path, owner_only, _ in checks if not owner_only] + answered.paths
    owned = [path for path, owner_only, _ in checks if owner_only]
    remember(argv, environ, cwd, paths, answered.stdout, said, owned=owned)
    return code


def decided(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """Send a command line where a remembered decision for its kind sends it (see the module's
    docstring); None when no decision holds for it.
    """
    if _WINDOWS or not argv or argv[0].startswith("-"):
        return None
    quiet = _quiet_guess(argv)
    found = recall(decision_key(argv[0], quiet), environ)
    if found is None or found[3] is None:
        return None
    checks, _, said, decision = found
    prefix, changes, redirected, lock_path, table, _, fast, env_dir, repair = decision
    scanned = lean_scan(argv[1:], table)
    if scanned is None or not os.access(prefix[0], os.X_OK):
        return None  # what the scan leaves, or a pip that cannot start: the full path says why
    options, positionals = scanned
    names = {name for name, _ in options}
    if names & DECISIVE or ("--quiet" in names) != quiet:
        return None
    from safepip.noop.memo import _follow

    route = ((*prefix, *argv), changes, redirected, lock_path, None)
    prepare = (lambda: _repair(env_dir, environ)) if repair else None
    if fast is None or _pip_must_run(names, positionals, fast[1]):
        return _follow(route, "", said, environ, prepare=prepare)
    code = _lean_fast_path(argv, environ, decision, checks, said)
    if code is not None:
        return code
    held = _lock(lock_path, env_dir, environ) if lock_path is not None else None
    if isinstance(held, int):
        return held
    code = _follow(route, "", "", environ, held=held, prepare=prepare)
    if code is None:  # pragma: no cover - it was executable a moment ago
        sys.stderr.write(f"safepip: cannot run {prefix[0]}\n")
        return 69
    return code


def run_answer(args: Sequence[str], environ: Mapping[str, str]) -> None:
    """``safepip run CMD``: exec CMD at once in the environment remembered for this
    directory (see :mod:`safepip.commands.run`); return (doing nothing) otherwise.
    """
    if _WINDOWS or not args or args[0].startswith("-"):
        return  # run's own options, or none: the full path reads them
    found = recall((RUN,), environ)
    if found is None or found[3] is None:
        return
    bin_dir, env_dir = found[3]
    env = dict(environ)
    entries = [e for e in env.get("PATH", os.defpath).split(os.pathsep) if e and e != bin_dir]
    env["PATH"] = os.pathsep.join([bin_dir, *entries])
    if env_dir is not None:
        env["VIRTUAL_ENV"] = env_dir
    env.pop("PYTHONHOME", None)
    name = args[0]
    where = [name] if os.path.dirname(name) else [os.path.join(d, name) for d in env["PATH"].split(os.pathsep)]
    found_exe = next((w for w in where if os.access(w, os.F_OK | os.X_OK) and not os.path.isdir(w)), None)
    if found_exe is None:
        return  # the full path says it is not found, and where it looked
    exe = os.path.abspath(found_exe)
    # The C module: ``signal`` wraps it in enums (``import enum``: a few ms of a path that
    # costs one interpreter start).
    import _signal as signal  # type: ignore[import-not-found]

    # Python ignores these for itself; the command gets them as the shell would give them
    # (act.run restores them the same way).
    ignored = [s for s in (signal.SIGPIPE, signal.SIGXFSZ) if signal.getsignal(s) == signal.SIG_IGN]
    for number in ignored:
        signal.signal(number, signal.SIG_DFL)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(exe, [exe, *args[1:]], env)  # noqa: S606 - becoming the command is the point
    except OSError:
        for number in ignored:
            signal.signal(number, signal.SIG_IGN)  # the full path reports it


def answer(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """The front door: an exit code when answered here, None for the full path."""
    code = replay(argv, environ)
    if code is not None:
        return code
    code = decided(argv, environ)
    if code is not None:
        return code
    passthrough(argv, environ)
    return None
