"""``safepip self-install`` and ``safepip self-uninstall``: safepip for the user, from safepip.pyz.

The installation is a virtual environment under the user data directory
(``~/.local/share/safepip/self/<build id>``), made with the archive's own virtualenv (so it
needs neither ``venv`` nor ``ensurepip``), holding the archive's contents in its site-packages
and pip (seeded from virtualenv's embedded wheel): nothing is downloaded. A small ``sh``
launcher in the user's bin directory (``~/.local/bin/safepip``) runs it.

Every build gets its own directory (its id is the archive's SHA-256); the launcher is
replaced atomically once the new environment is whole, and only then are older builds
removed: an interrupted upgrade leaves the old installation working.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from typing import Mapping

from safepip.act.shims import read_text
from safepip.archive import running_archive
from safepip.commands.selfhome import (
    RECORD,
    Archive,
    base_python,
    home,
    installed,
    is_ours,
    launcher_path,
    launcher_text,
    payload,
    read_archive,
    site_packages,
    write_text,
)
from safepip.errors import PermissionRefused, UsageError
from safepip.paths import Dirs, bin_dir, on_path
from safepip.session import say, shortpath
from safepip.venv.layout import bin_python

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.session import Session


def _path_advice(environ: Mapping[str, str]) -> str:
    directory = bin_dir(environ)
    shown = shortpath(directory, environ)
    if on_path(directory, environ):
        return f"{shown} is on your PATH: run safepip"
    home = environ.get("HOME") or os.path.expanduser("~")
    if directory == os.path.join(home, ".local", "bin") and '$HOME/.local/bin' in (read_text(os.path.join(home, ".profile")) or ""):
        # Debian's and Ubuntu's stock ~/.profile adds it when it exists, which it now does.
        return f"{shown} is not on this shell's PATH; ~/.profile puts it there in new login shells (log in again)"
    return (
        f"{shown} is not on your PATH; add it (for example in ~/.profile): "
        f'export PATH="{directory}:$PATH"'
    )


def install(archive: Archive, upgrade: bool, environ: Mapping[str, str], *, dirs: Dirs) -> int:
    """Install (or repair, or with ``upgrade`` replace) safepip from ``archive``; ``dirs``: the
    session's directories (the lock's, and the state files' key).
    """
    launcher = launcher_path(environ)
    if os.path.lexists(launcher) and not is_ours(launcher):
        raise PermissionRefused(
            f"{launcher} exists and was not written by safepip self-install (pip install --user?); "
            "remove it first, or set SAFEPIP_BIN_DIR to put the launcher elsewhere"
        )
    current = installed(environ)
    if current and current.get("id") != archive.build_id and not upgrade:
        raise UsageError(
            f"safepip {current.get('version')} (build {current.get('id')}) is already installed in "
            f"{shortpath(home(environ), environ)}; to replace it with {archive.version} (build "
            f"{archive.build_id}): safepip self-install --upgrade {shlex.quote(archive.path)}"
        )
    from safepip.venv.ensure import ensure
    from safepip.venv.lock import EnvLock
    from safepip.venv.state import COMPLETE, state

    # Now: an upgrade run by the installation it replaces removes the modules it would import later.
    shell_advice = _shell_advice(launcher, environ)
    top = home(environ)
    os.makedirs(top, exist_ok=True)
    env_dir = os.path.join(top, archive.build_id)
    lock = EnvLock(top, dirs, lambda m: say(m, "notice", environ))
    lock.acquire()
    try:
        fresh = not (current and current.get("id") == archive.build_id and state(env_dir, dirs=dirs) == COMPLETE
                     and os.path.isfile(os.path.join(env_dir, ".safepip-payload")))
        if fresh:
            if os.path.isdir(env_dir):
                shutil.rmtree(env_dir)  # ours, and not whole: a half-finished earlier attempt
            python = base_python(environ)
            from safepip.facts.interpreter import probe

            ensure(env_dir, probe(python, "environment creation", environ), environ,
                   lambda m: say(m, "notice", environ), dirs=dirs)
            payload(archive, site_packages(bin_python(env_dir)))
            write_text(os.path.join(env_dir, ".safepip-payload"), archive.path + "\n")
            record = {"id": archive.build_id, "version": archive.version, "python": python, "env": env_dir}
            write_text(os.path.join(top, RECORD), json.dumps(record, indent=1) + "\n")
        text = launcher_text(bin_python(env_dir))
        os.makedirs(os.path.dirname(launcher), exist_ok=True)
        unchanged = read_text(launcher) == text
        if not unchanged:
            write_text(launcher, text, 0o755)
        for name in os.listdir(top):  # older builds, now that the launcher no longer points there
            old = os.path.join(top, name)
            if name != archive.build_id and os.path.isdir(old) and state(old, dirs=dirs) is not None:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        lock.release()
    where = shortpath(env_dir, environ)
    if not fresh and unchanged:
        print(f"safepip {archive.version} is already installed in {where}")
    elif current and current.get("id") != archive.build_id:
        print(f"replaced safepip {current.get('version')} with {archive.version} in {where}")
    else:
        print(f"installed safepip {archive.version} in {where}")
    print(f"launcher: {shortpath(launcher, environ)}; {_path_advice(environ)}")
    print(shell_advice)
    return 0


def _shell_advice(launcher: str, environ: Mapping[str, str]) -> str:
    """The line that makes ``pip`` typed in the user's shell run safepip, and where it goes.

    By the launcher's absolute path: Debian's and Ubuntu's ``~/.profile`` reads ``~/.bashrc``
    before it puts ``~/.local/bin`` on PATH, so ``safepip`` alone fails in login shells.
    """
    from safepip.commands.shellinit import SHELLS
    from safepip.commands.shellrc import rc_file, rc_line

    shell = os.path.basename(environ.get("SHELL", ""))
    shell = shell if shell in SHELLS else "bash"
    line = rc_line(shell, launcher)
    where = rc_file(shell, environ)
    if line in (read_text(where) or ""):
        return f"shell-init: loaded by {shortpath(where, environ)}"
    return (f"for pip typed in {shell} to run safepip (login shells too), add this line to "
            f"{shortpath(where, environ)}:\n  {line}")


def install_shims(exe: str, environ: Mapping[str, str]) -> None:
    """``pip``, ``pip3`` and ``pip3.X`` launchers of ``exe`` in the user's bin directory
    (the same as shell-init's; a file safepip did not write is left alone and named).
    """
    from safepip.act.shims import memo_root, python_versions, refresh, wanted

    directory = bin_dir(environ)
    texts = wanted(exe, python_versions(environ, skip=(directory,)), memo_root(environ))
    outcome = refresh(directory, texts)
    for name in outcome.foreign:
        say(f"{os.path.join(directory, name)} was not written by safepip: left as it is", "warning", environ)
    names = [n for n in texts if n not in outcome.foreign]
    print(f"pip launchers in {shortpath(directory, environ)}: {', '.join(names) if names else 'none'}")


def self_install(args: list[str], session: Session) -> int:
    """``safepip self-install [--upgrade [PYZ]] [--shims]``."""
    environ = session.environ
    from safepip.commands.args import given, parse, parser

    cli = parser("self-install", "Install safepip for this user from safepip.pyz, without the network.")
    cli.add_argument(
        "--upgrade", nargs="?", const="", metavar="PYZ", type=given,
        help="replace an existing installation (with PYZ, or with the archive running this)",
    )
    cli.add_argument(
        "--shims", action="store_true",
        help="also put pip, pip3 and pip3.X launchers of safepip in the bin directory (for make and scripts)",
    )
    options = parse(cli, args)
    if isinstance(options, int):
        return options
    source = options.upgrade or running_archive()
    if not source and options.shims:  # an installed safepip (pipx, a venv): the launchers alone
        from safepip.commands.shellrc import own_executable

        install_shims(own_executable(environ), environ)
        return 0
    if not source:
        raise UsageError(
            "self-install installs from safepip.pyz: run python3 safepip.pyz self-install, "
            "or name the archive: safepip self-install --upgrade PATH/TO/safepip.pyz"
        )
    code = install(read_archive(source), options.upgrade is not None, environ, dirs=session.dirs)
    if options.shims:
        install_shims(launcher_path(environ), environ)
    return code


def _remove_manifest(top: str, environ: Mapping[str, str], *, dirs: Dirs) -> list[str]:
    """Remove what the install manifest (``install.json``) lists, and the manifest; the
    directory itself only if that leaves it empty. Anything else in it is not safepip's.
    """
    from safepip.venv.state import state

    current = installed(environ)
    if current is None:
        return []
    removed = []
    env_dir = current.get("env", "")
    inside = os.path.dirname(env_dir) == top and os.path.basename(env_dir) == current.get("id")
    if inside and os.path.isdir(env_dir) and not os.path.islink(env_dir) and state(env_dir, dirs=dirs) is not None:
        try:
            shutil.rmtree(env_dir)
        except OSError as exc:
            raise PermissionRefused(f"cannot remove {env_dir}: {exc.strerror}") from None
        removed.append(shortpath(env_dir, environ))
    elif env_dir:
        say(f"{env_dir} (named by {RECORD}) is not an installation safepip made: left in place", "warning", environ)
    try:
        os.unlink(os.path.join(top, RECORD))
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise PermissionRefused(f"cannot remove {os.path.join(top, RECORD)}: {exc.strerror}") from None
    try:
        os.rmdir(top)
    except OSError:
        left = sorted(os.listdir(top)) if os.path.isdir(top) else []
        if left:
            say(f"{shortpath(top, environ)} holds files safepip did not install ({', '.join(left[:3])}): left in place",
                   "notice", environ)
    return removed


def self_uninstall(args: list[str], session: Session) -> int:
    """``safepip self-uninstall``: remove the installation, its launcher and pip launchers, nothing else."""
    environ = session.environ
    from safepip.commands.args import parse, parser

    done = parse(parser("self-uninstall", "Remove what safepip self-install made: its environment and launcher."), args)
    if isinstance(done, int):
        return done
    top = home(environ)
    launcher = launcher_path(environ)
    removed = []
    if os.path.lexists(launcher):
        if is_ours(launcher):
            os.unlink(launcher)
            removed.append(shortpath(launcher, environ))
        else:
            say(f"{launcher} was not written by safepip self-install: left in place", "warning", environ)
    from safepip.act.shims import remove

    shims = remove(bin_dir(environ))
    if shims:
        removed.append(f"{', '.join(shims)} in {shortpath(bin_dir(environ), environ)}")
    removed.extend(_remove_manifest(top, environ, dirs=session.dirs))
    if removed:
        print("removed " + " and ".join(removed))
    else:
        print("safepip is not self-installed here: nothing to remove")
    return 0
