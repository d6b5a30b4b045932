"""Create an environment (virtualenv, or the target's own ``venv`` for old targets), and
remove one safepip made in which pip never ran.
"""

from __future__ import annotations

import os

from safepip.errors import EnvironmentCreateError
from safepip.runner import capture, module_argv
from safepip.venv.layout import OLD_INFIX, bin_python, has_pip
from safepip.venv.state import COMPLETE, CREATING, state, write_state

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping, Sequence
    from safepip.paths import Dirs
    from safepip.venv.layout import Base


def create(env_dir: str, base: Base, environ: Mapping[str, str], system_site: bool = False, *,
           dirs: Dirs | None = None) -> None:
    """Make a whole environment at ``env_dir`` for the interpreter ``base``, marked ``creating`` until it is
    whole; on any failure nothing of it is left.
    """
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
        write_state(env_dir, CREATING, base.path, dirs=dirs)
        _make(env_dir, base, environ, system_site)
        if not os.path.exists(bin_python(env_dir)) or not has_pip(env_dir):
            raise EnvironmentCreateError(f"virtualenv did not create a whole environment in {env_dir}")
        write_state(env_dir, COMPLETE, base.path, dirs=dirs)
    except BaseException as exc:
        if made_dir or state(env_dir, dirs=dirs) == CREATING:
            remove(env_dir, dirs=dirs)
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


def _make(env_dir: str, base: Base, environ: Mapping[str, str], system_site: bool) -> None:
    """Make the environment: with virtualenv, or for a target older than its seeder
    supports, with the target's own ``venv`` module (its ensurepip works offline).
    virtualenv's pip comes without byte code: safepip gives it its own (``bytecode.py``).
    """
    base_python, version = base.path, base.version
    if version[:2] >= VIRTUALENV_SEEDS_FROM:
        from safepip.venv.seedpip import virtualenv_args

        _run_virtualenv(env_dir, base_python, system_site, virtualenv_args(version, environ))
        _mark(env_dir)
        from safepip.venv import bytecode

        bytecode.seed(env_dir, base, environ)
        return
    argv = module_argv(base_python, "venv", [*(["--system-site-packages"] if system_site else []), env_dir])
    done = capture(argv)
    if done.returncode != 0:
        shown = ".".join(map(str, version[:2]))
        last = (done.stderr.strip().splitlines() or ["venv failed"])[-1]
        raise EnvironmentCreateError(
            f"cannot create {env_dir}: virtualenv seeds Python {VIRTUALENV_SEEDS_FROM[0]}.{VIRTUALENV_SEEDS_FROM[1]}+ "
            f"only, and Python {shown}'s own venv failed ({last}); on Debian or Ubuntu: "
            f"apt install python{shown}-venv"
        )


#: What newer virtualenvs write into a new environment; Debian 12's (20.17) writes no CACHEDIR.TAG.
_MARKERS = {
    ".gitignore": "# created by safepip automatically\n*\n",
    "CACHEDIR.TAG": ("Signature: 8a477f597d28d172789f06886806bc55\n"
                     "# This file is a cache directory tag created by safepip.\n"
                     "# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n"),
}


def _mark(env_dir: str) -> None:
    """Keep the environment out of git and of backups, whichever virtualenv made it."""
    for name, text in _MARKERS.items():
        path = os.path.join(env_dir, name)
        if not os.path.lexists(path):
            with open(path, "x", encoding="utf-8") as handle:
                handle.write(text)


def _run_virtualenv(env_dir: str, base_python: str, system_site: bool = False, seed: Sequence[str] = ()) -> None:
    import io

    from virtualenv import cli_run

    # pip alone, as `python -m venv` seeds from Python 3.12 on: pip's build isolation brings
    # setuptools when a build needs it, and seeding it costs a tenth of a first install.
    args = [env_dir, "--python", base_python, "--no-periodic-update", "--quiet", "--no-setuptools", *seed]
    if system_site:
        args.append("--system-site-packages")
    from safepip.paths import virtualenv_app_data

    app_data = virtualenv_app_data(os.environ)
    if app_data is not None:  # root with another user's HOME: never theirs
        args += ["--app-data", app_data]
    saved = dict(os.environ)
    said = io.StringIO()
    import contextlib  # here: only a creation needs it

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


def remove(env_dir: str, *, dirs: Dirs | None = None) -> None:
    """Remove an environment safepip made, in which pip never ran (callers check the state
    file). It is marked as safepip's trash, then renamed aside atomically, so that no other
    process (and no later run, if this one is killed) ever sees a half-deleted environment
    that has lost its state file but still has ``pyvenv.cfg`` and a working python, and so
    that a removal killed midway is finished by the next sweep (which removes only trees
    safepip marked so).
    """
    from safepip.venv import rebuild

    trash = f"{env_dir.rstrip(os.sep)}{OLD_INFIX}{rebuild.stamp()}"
    try:
        rebuild.mark_trash(env_dir, trash, dirs=dirs)
    except FileNotFoundError:
        return
    except OSError:
        pass
    try:
        os.rename(env_dir, trash)
    except FileNotFoundError:
        return
    except OSError:
        import shutil  # here: rarely needed

        shutil.rmtree(env_dir, ignore_errors=True)  # cannot rename (a mount point...): in place
        return
    rebuild.remove_trash(trash, made=True, dirs=dirs)  # the caller checked: safepip made it (marked, or not on a full disk)
