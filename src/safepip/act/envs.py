"""Find, validate, create and repair virtual environments, under a lock.

Creation is not atomic (virtualenv writes ``pyvenv.cfg`` and a working ``python`` long
before pip is in place), so safepip marks what it makes: ``.safepip.json`` says
``"creating"`` before virtualenv runs and ``"complete"`` once the environment is whole. An
environment left ``"creating"`` by a killed process is rebuilt (pip never ran in it, so
nothing is lost). Directories safepip did not make are never deleted.

Creation and pip runs that change an environment are serialized with
:class:`safepip.act.lock.EnvLock`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from safepip.act.lock import EnvLock
from safepip.errors import EnvironmentCreateError
from safepip.facts.project import is_venv_dir
from safepip.venvdir import bin_python, has_pip

STATE_FILE = ".safepip.json"
CREATING = "creating"
COMPLETE = "complete"
#: A rebuild moved the old tree aside and has not yet put everything back (see rebuild.py).
RESTORING = "restoring"


@dataclass(frozen=True)
class Ready:
    """An environment ready for pip: its interpreter, and what safepip had to do."""

    env_dir: str
    python: str
    created: bool = False
    rebuilt: str | None = None  # why it was rebuilt, when it was


def state(env_dir: str) -> str | None:
    """``creating`` or ``complete`` for environments safepip made, None for others."""
    try:
        with open(os.path.join(env_dir, STATE_FILE), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return CREATING  # a state file torn by a crash: the creation did not finish
    if isinstance(data, dict) and data.get("state") in (COMPLETE, RESTORING):
        return str(data["state"])
    return CREATING


def restoring_from(env_dir: str) -> str | None:
    """The old tree a rebuild in progress restores from (its state file says)."""
    try:
        with open(os.path.join(env_dir, STATE_FILE), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    old = data.get("old") if isinstance(data, dict) else None
    return old if isinstance(old, str) else None


def _own_files_only(env_dir: str) -> bool:
    """Whether a directory holds nothing but safepip's state file (or its temporary copies,
    left by a process killed while writing it).
    """
    try:
        return all(name.startswith((STATE_FILE, ".safepip-rebuild.json")) for name in os.listdir(env_dir))
    except OSError:
        return False


def _write_state(env_dir: str, value: str, base_python: str, old: str | None = None) -> None:
    from safepip import __version__

    path = os.path.join(env_dir, STATE_FILE)
    tmp = f"{path}.{os.getpid()}.tmp"
    data = {"state": value, "safepip": __version__, "python": base_python, **({"old": old} if old else {})}
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def problem(env_dir: str) -> str | None:
    """Why an existing environment cannot be used as it is, or None when it looks whole."""
    current = state(env_dir)
    if current == CREATING:
        return "its creation was interrupted"
    if current == RESTORING:
        return "its rebuild was interrupted"
    python = bin_python(env_dir)
    if not os.path.exists(python):
        target = os.readlink(python) if os.path.islink(python) else python
        return f"its interpreter {target} no longer exists"
    return _version_changed(env_dir, python)


def _version_changed(env_dir: str, python: str) -> str | None:
    """Why the environment's interpreter is now another minor version than the one it was
    made with, or None. Read without running it: the name its link resolves to
    (``python3.12``) against ``pyvenv.cfg``'s version.
    """
    import re

    found = re.fullmatch(r"python(\d+)\.(\d+)", os.path.basename(os.path.realpath(python)))
    if found is None:
        return None
    try:
        with open(os.path.join(env_dir, "pyvenv.cfg"), encoding="utf-8", errors="replace") as handle:
            text = handle.read(1 << 16)
    except OSError:
        return None
    made = re.search(r"^\s*version(?:_info)?\s*=\s*(\d+)\.(\d+)", text, re.MULTILINE)
    if made is None or made.groups() == found.groups():
        return None
    return f"it was made with Python {'.'.join(made.groups())} and its interpreter is now Python {'.'.join(found.groups())}"


def _create(env_dir: str, base_python: str, environ: Mapping[str, str], system_site: bool = False) -> None:
    try:
        os.path.abspath(env_dir).encode("utf-8")
    except UnicodeEncodeError:  # before anything is made: virtualenv refuses such paths
        raise EnvironmentCreateError(
            f"cannot create {env_dir!r}: its path is not valid UTF-8 and virtualenv cannot make an environment "
            "there; rename the directory, or set venv in [tool.safepip] to a path that is"
        ) from None
    parent = os.path.dirname(os.path.abspath(env_dir))
    while not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise EnvironmentCreateError(f"cannot create {env_dir}: {parent} is {_unwritable(parent)}")
    made_dir = False
    # An environment is never group- or world-writable, whatever the umask (000 would let
    # any user swap its python): 0755 directories, 0644 files.
    umask = os.umask(0o022)
    os.umask(umask | 0o022)
    try:
        if not os.path.isdir(env_dir):
            os.makedirs(env_dir)
            made_dir = True
        _write_state(env_dir, CREATING, base_python)
        _make(env_dir, base_python, environ, system_site)
        if not os.path.exists(bin_python(env_dir)) or not has_pip(env_dir):
            raise EnvironmentCreateError(f"virtualenv did not create a whole environment in {env_dir}")
        _write_state(env_dir, COMPLETE, base_python)
    except BaseException as exc:
        if made_dir or state(env_dir) == CREATING:
            _remove(env_dir)
        if isinstance(exc, EnvironmentCreateError) or not isinstance(exc, Exception):
            raise
        raise EnvironmentCreateError(f"cannot create {env_dir}: {_detail(exc)}") from exc
    finally:
        os.umask(umask)


def _detail(exc: BaseException) -> str:
    """The one line that says why creation failed: the operating system's reason when there
    is one (virtualenv wraps a full disk in a message holding whole tracebacks).
    """
    if isinstance(exc, OSError) and exc.strerror:
        return str(exc.strerror)
    import re

    reasons: list[str] = re.findall(r"\[Errno \d+\] ([^\n:]+)", str(exc))
    if reasons:
        return reasons[-1].strip()
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _unwritable(path: str) -> str:
    """Why ``path`` cannot be written, in words: a read-only file system or permissions."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "on a read-only file system"
    except (OSError, AttributeError):  # pragma: no cover - statvfs exists on every POSIX
        pass
    return "not writable by you"


#: The oldest target virtualenv's bundled seeder still ships pip for.
VIRTUALENV_SEEDS_FROM = (3, 9)


def _make(env_dir: str, base_python: str, environ: Mapping[str, str], system_site: bool) -> None:
    """Make the environment: with virtualenv, or for a target older than its seeder
    supports, with the target's own ``venv`` module (its ensurepip works offline).
    virtualenv's pip comes without byte code: safepip gives it its own (``bytecode.py``).
    """
    from safepip.facts.interpreter import probe

    interp = probe(base_python, "environment creation", environ)
    version = interp.version
    if version[:2] >= VIRTUALENV_SEEDS_FROM:
        from safepip.act.seedpip import virtualenv_args

        _run_virtualenv(env_dir, base_python, system_site, virtualenv_args(version, environ))
        from safepip.act import bytecode

        bytecode.seed(env_dir, interp, environ)
        return
    from safepip.act.run import capture

    argv = [base_python, "-m", "venv", *(["--system-site-packages"] if system_site else []), env_dir]
    done = capture(argv)
    if done.returncode != 0:
        shown = ".".join(map(str, version[:2]))
        last = (done.stderr.strip().splitlines() or ["venv failed"])[-1]
        raise EnvironmentCreateError(
            f"cannot create {env_dir}: virtualenv seeds Python {VIRTUALENV_SEEDS_FROM[0]}.{VIRTUALENV_SEEDS_FROM[1]}+ "
            f"only, and Python {shown}'s own venv failed ({last}); on Debian or Ubuntu: "
            f"apt install python{shown}-venv"
        )


def _run_virtualenv(env_dir: str, base_python: str, system_site: bool = False, seed: Sequence[str] = ()) -> None:
    import io

    from virtualenv import cli_run

    # pip alone, as `python -m venv` seeds from Python 3.12 on: pip's build isolation brings
    # setuptools when a build needs it, and seeding it costs a tenth of a first install.
    args = [env_dir, "--python", base_python, "--no-periodic-update", "--quiet", "--no-setuptools", *seed]
    if system_site:
        args.append("--system-site-packages")
    saved = dict(os.environ)
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            cli_run(args, setup_logging=False)
    except SystemExit:  # virtualenv's own command line refused: its usage text is not the user's
        lines = [line for line in said.getvalue().splitlines() if line.strip()]
        raise EnvironmentCreateError(f"cannot create {env_dir}: {(lines or ['virtualenv refused'])[-1][:300]}") from None
    finally:
        # distutils' check_environ (reached through virtualenv on Python < 3.12) sets PLAT
        # and HOME in the process environment: pip must get the caller's, unchanged.
        if os.environ != saved:
            os.environ.clear()
            os.environ.update(saved)


def _remove(env_dir: str) -> None:
    """Remove an environment safepip made, in which pip never ran (callers check the state
    file). It is marked as safepip's trash, then renamed aside atomically, so that no other
    process (and no later run, if this one is killed) ever sees a half-deleted environment
    that has lost its state file but still has ``pyvenv.cfg`` and a working python, and so
    that a removal killed midway is finished by the next sweep (which removes only trees
    safepip marked so).
    """
    from safepip.act import rebuild

    try:
        rebuild.mark_trash(env_dir)
    except FileNotFoundError:
        return
    except OSError:
        pass
    trash = f"{env_dir.rstrip(os.sep)}{rebuild.OLD_INFIX}{rebuild.stamp()}"
    try:
        os.rename(env_dir, trash)
    except FileNotFoundError:
        return
    except OSError:
        shutil.rmtree(env_dir, ignore_errors=True)  # cannot rename (a mount point...): in place
        return
    rebuild.remove_trash(trash)


def _check_path(env_dir: str) -> None:
    if os.path.islink(env_dir) and not os.path.exists(env_dir):
        from safepip.act import rebuild

        if rebuild.pending(os.path.realpath(env_dir)):
            return  # a rebuild moved the link's target aside and was killed: it goes on
        raise EnvironmentCreateError(
            f"{env_dir} is a symbolic link to {os.readlink(env_dir)}, which does not exist; "
            "remove the link or point it at an environment"
        )
    if os.path.exists(env_dir) and not os.path.isdir(env_dir):
        raise EnvironmentCreateError(
            f"{env_dir} is a file, not a virtual environment; move it away or set "
            "venv in [tool.safepip] to use another path"
        )


def _usable(env_dir: str) -> bool:
    return is_venv_dir(env_dir) and problem(env_dir) is None


def working_tree(env_dir: str) -> str:
    """The directory that holds the environment: ``env_dir``, or the target of the symbolic
    link ``env_dir`` is (a rebuild replaces the target and keeps the link).
    """
    return os.path.realpath(env_dir) if os.path.islink(env_dir) else env_dir


def broken(env_dir: str) -> str | None:
    """Why the environment at ``env_dir`` needs ``safepip repair`` (a rebuild, or the end of
    one), or None: what read-only commands check instead of rebuilding.
    """
    from safepip.act import rebuild

    work = working_tree(env_dir)
    if is_venv_dir(work):
        why = problem(work)
        if why is not None:
            return why
        return None
    if rebuild.pending(work):
        return "its rebuild was interrupted"
    return None


def ensure(
    env_dir: str,
    base_python: str,
    environ: Mapping[str, str],
    say: Callable[[str], object],
    lock: EnvLock | None = None,
    *,
    system_site_packages: bool = False,
    pip_options: Sequence[str] = (),
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
    what the old environment held.
    """
    _check_path(env_dir)
    if lock is None and _usable(working_tree(env_dir)):
        return Ready(env_dir, bin_python(env_dir))
    own_lock = lock or EnvLock(env_dir, environ, say)
    own_lock.acquire()
    try:
        ready = _ensure_locked(env_dir, base_python, environ, system_site_packages, pip_options, say)
    except BaseException:
        own_lock.release()
        raise
    if lock is None:
        own_lock.release()
    return ready


def _ensure_locked(
    env_dir: str,
    base_python: str,
    environ: Mapping[str, str],
    system_site: bool = False,
    pip_options: Sequence[str] = (),
    say: Callable[[str], object] = lambda m: None,
) -> Ready:
    from safepip.act import rebuild

    _check_path(env_dir)  # again: another process may have changed it while we waited
    work = working_tree(env_dir)
    rebuild.sweep(work)

    def create(path: str) -> None:
        if is_venv_dir(path) and state(path) in (COMPLETE, RESTORING) and os.path.exists(bin_python(path)):
            return
        if os.path.isdir(path) and state(path) == CREATING:
            _remove(path)
        _create(path, base_python, environ, system_site)

    def restore(old: str) -> Ready:
        why = rebuild.restore(
            old, work, create, pip_options, environ, say,
            mark_restoring=lambda o: _write_state(work, RESTORING, base_python, old=o),
            mark_complete=lambda: _write_state(work, COMPLETE, base_python),
        )
        return Ready(env_dir, bin_python(env_dir), created=True, rebuilt=why)

    current = state(work) if is_venv_dir(work) else None
    if current == RESTORING:
        old = restoring_from(work)
        if old is not None and (rebuild.read_journal(old) or {}).get("kind") == rebuild.PENDING:
            return restore(old)
        _write_state(work, COMPLETE, base_python)  # killed after the old tree was dealt with
        rebuild.sweep(work)
        current = COMPLETE
    if current in (None, CREATING):
        waiting = rebuild.pending(work)
        if waiting:  # a rebuild killed after it moved the old tree aside
            return restore(waiting[-1])
    if is_venv_dir(work):
        why = problem(work)
        if why is None:
            return Ready(env_dir, bin_python(env_dir))
        if current is None:
            raise EnvironmentCreateError(
                f"{env_dir} cannot be used: {why}. safepip did not create it, so it will not "
                f"delete it; recreate it with: rm -rf {shlex.quote(env_dir)} && safepip install ..."
            )
        if current == CREATING:  # pip never ran in it: nothing to keep
            _remove(work)
            _create(work, base_python, environ, system_site)
            return Ready(env_dir, bin_python(env_dir), created=True, rebuilt=why)
        return restore(rebuild.move_aside(work, env_dir, why))
    rebuilt = None
    if os.path.isdir(work) and not _own_files_only(work):
        if state(work) != CREATING:
            raise EnvironmentCreateError(
                f"{env_dir} exists but is not a virtual environment (no pyvenv.cfg) and holds "
                "files; safepip will not touch it. Move it away, or set venv in [tool.safepip]"
            )
        _remove(work)
        rebuilt = "its creation was interrupted"
    _create(work, base_python, environ, system_site)
    return Ready(env_dir, bin_python(env_dir), created=True, rebuilt=rebuilt)

