"""The commands of the libraries a user named, linked onto PATH from the per-user environment.

A library installed outside a project (numpy, flask, pytest) often ships commands (f2py,
flask, pytest). They are linked into the user's bin directory the way pipx exposes an
application's: a symbolic link to the script in the environment's ``bin``. Only the
commands of the distributions the user named, never their dependencies', never ``pip*``,
``python*`` or ``activate*``. A file safepip did not make is never replaced. What was linked
is recorded in the environment (``safepip-links.json``): ``uninstall`` removes those links.
"""

from __future__ import annotations

import json
import os
from typing import Callable, Mapping

MANIFEST = "safepip-links.json"
_NEVER = ("pip", "python", "activate", "easy_install", "deactivate")


def link_dir(environ: Mapping[str, str], global_mode: bool) -> str:
    """Where the commands go: pipx's rule (``PIPX_BIN_DIR``, ``~/.local/bin``; as root in
    pipx's global mode ``PIPX_GLOBAL_BIN_DIR``, ``/usr/local/bin``).
    """
    if global_mode:
        return environ.get("PIPX_GLOBAL_BIN_DIR") or "/usr/local/bin"
    if environ.get("PIPX_BIN_DIR"):
        return os.path.abspath(os.path.expanduser(environ["PIPX_BIN_DIR"]))
    home = environ.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".local", "bin")


def _site_dirs(env_dir: str) -> list[str]:
    lib = os.path.join(env_dir, "lib")
    found = []
    try:
        for entry in sorted(os.listdir(lib)):
            site = os.path.join(lib, entry, "site-packages")
            if os.path.isdir(site):
                found.append(site)
    except OSError:
        pass
    return found


def commands_of(env_dir: str, name: str) -> list[str]:
    """The commands distribution ``name`` installed into ``env_dir``'s ``bin`` (from its RECORD)."""
    from packaging.utils import canonicalize_name

    wanted = canonicalize_name(name)
    bin_dir = os.path.join(env_dir, "bin")
    for site in _site_dirs(env_dir):
        for entry in os.listdir(site):
            if not entry.endswith(".dist-info"):
                continue
            if canonicalize_name(entry[: -len(".dist-info")].rsplit("-", 1)[0]) != wanted:
                continue
            try:
                with open(os.path.join(site, entry, "RECORD"), encoding="utf-8") as handle:
                    paths = [line.split(",", 1)[0] for line in handle if line.strip()]
            except OSError:
                return []
            found = set()
            for path in paths:
                full = os.path.normpath(os.path.join(site, path))
                if os.path.dirname(full) == bin_dir:
                    found.add(os.path.basename(full))
            return sorted(c for c in found if not c.lower().startswith(_NEVER))
    return []


def _manifest(env_dir: str) -> dict[str, list[str]]:
    try:
        with open(os.path.join(env_dir, MANIFEST), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return {str(k): [str(p) for p in v] for k, v in data.items() if isinstance(v, list)} if isinstance(data, dict) else {}


def _save(env_dir: str, data: Mapping[str, list[str]]) -> None:
    from safepip.safefs import replace_file

    text = json.dumps(dict(data), indent=1, sort_keys=True)
    replace_file(os.path.join(env_dir, MANIFEST), text.encode("utf-8"), mode=0o666)


def _ours(link: str, env_dir: str) -> bool:
    """Whether ``link`` is a symbolic link safepip made (pointing into the environment's bin)."""
    try:
        target = os.readlink(link)
    except OSError:
        return False
    return os.path.dirname(os.path.abspath(os.path.join(os.path.dirname(link), target))) == os.path.join(
        os.path.abspath(env_dir), "bin")


def expose(env_dir: str, names: list[str], where: str, warn: Callable[[str], object]) -> list[str]:
    """Link the commands of each distribution in ``names`` into ``where``; return the links made."""
    from packaging.utils import canonicalize_name

    data = _manifest(env_dir)
    made: list[str] = []
    for name in names:
        key = str(canonicalize_name(name))
        links = set(data.get(key, []))
        for command in commands_of(env_dir, name):
            source = os.path.join(env_dir, "bin", command)
            link = os.path.join(where, command)
            if os.path.lexists(link):
                if _ours(link, env_dir):
                    links.add(link)
                else:
                    warn(f"not linking {command}: {link} exists and safepip did not make it")
                continue
            try:
                os.makedirs(where, exist_ok=True)
                os.symlink(source, link)
            except OSError as exc:
                warn(f"cannot link {command} into {where}: {exc.strerror}")
                continue
            links.add(link)
            made.append(link)
        if links:
            data[key] = sorted(links)
    if made or data != _manifest(env_dir):
        _save(env_dir, data)
    return made


def unexpose(env_dir: str, names: list[str]) -> list[str]:
    """Remove the links made for each distribution in ``names`` (only those still safepip's)."""
    from packaging.utils import canonicalize_name

    data = _manifest(env_dir)
    removed: list[str] = []
    for name in names:
        for link in data.pop(str(canonicalize_name(name)), []):
            if _ours(link, env_dir):
                os.unlink(link)
                removed.append(link)
    if removed or os.path.exists(os.path.join(env_dir, MANIFEST)):
        _save(env_dir, data)
    return removed
