"""The commands of the libraries a user named, linked onto PATH from the per-user environment.

A library installed outside a project (numpy, flask, pytest) often ships commands (f2py,
flask, pytest). They are linked into the user's bin directory the way pipx exposes an
application's: a symbolic link to the script in the environment's ``bin``. Only the
commands of the distributions the user named, never their dependencies', never ``pip*``,
``python*`` or ``activate*``; except for a metapackage (a distribution that installs nothing
but its metadata, such as jupyter), whose commands are those of what it brings in, all the
way down, as ``pipx install --include-deps`` exposes them: ``pip install jupyter`` gives
``jupyter``, ``jupyter-lab`` and ``jupyter-notebook``. A file safepip did not make is never replaced. What was linked
is recorded in the environment (``safepip-links.json``): ``uninstall`` removes those links.
"""

from __future__ import annotations

import json
import os
from typing import Callable, Mapping

from safepip.venv.layout import site_packages

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


def _dist_info(env_dir: str, name: str) -> str | None:
    """The ``.dist-info`` directory of distribution ``name`` in ``env_dir`` (None: not installed there)."""
    from packaging.utils import canonicalize_name

    wanted = canonicalize_name(name)
    for site in site_packages(env_dir):
        for entry in os.listdir(site):
            if entry.endswith(".dist-info") and canonicalize_name(entry[: -len(".dist-info")].rsplit("-", 1)[0]) == wanted:
                return os.path.join(site, entry)
    return None


def _record(info: str) -> list[str] | None:
    """The files a distribution installed, as absolute paths (None: no readable RECORD)."""
    try:
        with open(os.path.join(info, "RECORD"), encoding="utf-8") as handle:
            return [os.path.normpath(os.path.join(os.path.dirname(info), line.split(",", 1)[0]))
                    for line in handle if line.strip()]
    except OSError:
        return None


def commands_of(env_dir: str, name: str) -> list[str]:
    """The commands distribution ``name`` installed into ``env_dir``'s ``bin`` (from its RECORD)."""
    info = _dist_info(env_dir, name)
    paths = _record(info) if info is not None else None
    if not paths:
        return []
    bin_dir = os.path.join(env_dir, "bin")
    found = {os.path.basename(p) for p in paths if os.path.dirname(p) == bin_dir}
    return sorted(c for c in found if not c.lower().startswith(_NEVER))


def _requirements(info: str) -> list[str]:
    """The names a distribution requires, those for extras left out (its ``Requires-Dist``)."""
    from email.parser import HeaderParser

    from packaging.requirements import InvalidRequirement, Requirement

    try:
        with open(os.path.join(info, "METADATA"), encoding="utf-8", errors="replace") as handle:
            headers = HeaderParser().parse(handle)
    except OSError:
        return []
    names = []
    for line in headers.get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or "extra" not in str(requirement.marker):
            names.append(requirement.name)
    return names


def is_metapackage(env_dir: str, name: str) -> bool:
    """Whether ``name`` installed nothing into ``env_dir`` but its own metadata (no module,
    no command): what it is for is what it brings in.
    """
    info = _dist_info(env_dir, name)
    paths = _record(info) if info is not None else None
    if info is None or paths is None:
        return False
    return all(p == info or p.startswith(info + os.sep) for p in paths)


def exposed(env_dir: str, name: str) -> list[str]:
    """The commands to link for distribution ``name``: its own; for a metapackage, those of
    the distributions it brings in, all the way down (those installed in ``env_dir`` itself).
    """
    from packaging.utils import canonicalize_name

    own = commands_of(env_dir, name)
    if own or not is_metapackage(env_dir, name):
        return own
    found: set[str] = set()
    seen = {canonicalize_name(name)}
    todo = list(_requirements(_dist_info(env_dir, name) or ""))
    while todo:
        current = canonicalize_name(todo.pop())
        if current in seen:
            continue
        seen.add(current)
        info = _dist_info(env_dir, current)
        if info is None:
            continue  # not in the environment itself: the system's, or not for this interpreter
        found.update(commands_of(env_dir, current))
        todo.extend(_requirements(info))
    return sorted(found)


def _manifest(env_dir: str) -> dict[str, list[str]]:
    try:
        with open(os.path.join(env_dir, MANIFEST), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return {str(k): [str(p) for p in v] for k, v in data.items() if isinstance(v, list)} if isinstance(data, dict) else {}


def _save(env_dir: str, data: Mapping[str, list[str]]) -> None:
    from safepip.paths import replace_file

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
        for command in exposed(env_dir, name):
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
            # A metapackage's link may be another distribution's too (the one it came with, named itself).
            if _ours(link, env_dir) and not any(link in links for links in data.values()):
                os.unlink(link)
                removed.append(link)
    if removed or os.path.exists(os.path.join(env_dir, MANIFEST)):
        _save(env_dir, data)
    return removed
