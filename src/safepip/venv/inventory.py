"""What an environment holds: the distributions pip can install again (and how), and the
files that are the user's (no distribution's ``RECORD`` lists them).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Iterator

from safepip.venv.layout import site_packages

#: A rebuild's journal, in the tree it moved aside (:mod:`safepip.venv.rebuild`).
JOURNAL = ".safepip-rebuild.json"

#: Distributions the new environment brings itself.
SEEDED = frozenset({"pip"})
#: What an environment holds of its own, besides what RECORD files list (relative paths).
_OWN_TOP = frozenset({"pyvenv.cfg", ".gitignore", "CACHEDIR.TAG", "lib64", JOURNAL})
#: What virtualenv and venv put in ``bin``: python3.12, pip3, activate.fish, Activate.ps1...
_OWN_BIN = re.compile(r"(?:python|pip)(?:\d+(?:\.\d+)?)?(?:\.exe)?|pythonw(?:\.exe)?|[aA]ctivate.*|deactivate.*")


@dataclass(frozen=True)
class Dist:
    """One recorded distribution and how to install it again."""

    name: str
    version: str
    args: tuple[str, ...]  # pip arguments that install it again
    source: str  # how it was installed, for messages: "==1.0", "from file:///...", "editable ..."
    requested: bool = False
    installer: str = ""


def _metadata(info: str) -> tuple[str, str] | None:
    for name in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(info, name), encoding="utf-8", errors="replace") as handle:
                text = handle.read(1 << 20)
        except OSError:
            continue
        fields: dict[str, str] = {}
        for line in text.splitlines():
            if not line.strip():
                break
            key, sep, value = line.partition(":")
            if sep and key in ("Name", "Version") and key not in fields:
                fields[key] = value.strip()
        if "Name" in fields and "Version" in fields:
            return fields["Name"], fields["Version"]
    return None


def _file_path(url: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return unquote(parts.path)


def _how(name: str, version: str, direct: Any) -> tuple[tuple[str, ...], str]:
    """pip's arguments that install this distribution again, and how to say so."""
    if isinstance(direct, dict) and isinstance(direct.get("url"), str):
        url = direct["url"]
        found = direct.get("subdirectory")
        subdirectory = found if isinstance(found, str) else ""
        fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
        dir_info = direct.get("dir_info")
        vcs_info = direct.get("vcs_info")
        if isinstance(dir_info, dict) and dir_info.get("editable"):
            path = _file_path(url)
            target = os.path.join(path, subdirectory) if path and fragment else (path or url + fragment)
            return ("-e", target), f"editable {target}"
        if isinstance(vcs_info, dict) and isinstance(vcs_info.get("vcs"), str):
            commit = vcs_info.get("commit_id")
            at = f"@{commit}" if isinstance(commit, str) and commit else ""
            spec = f"{vcs_info['vcs']}+{url}{at}{fragment}"
            return (f"{name} @ {spec}",), f"from {spec}"
        return (f"{name} @ {url}{fragment}",), f"from {url}{fragment}"
    return (f"{name}=={version}",), f"=={version}"


def dist_infos(env_dir: str) -> Iterator[str]:
    """The metadata directories of the distributions installed in the environment."""
    for site in site_packages(env_dir):
        try:
            names = sorted(os.listdir(site))
        except OSError:
            continue
        for entry in names:
            if entry.endswith((".dist-info", ".egg-info")) and not entry.startswith("~"):
                path = os.path.join(site, entry)
                if os.path.isdir(path):
                    yield path


def inventory(env_dir: str) -> list[Dist]:
    """What the environment holds that pip can install again (pip itself excepted)."""
    found: dict[str, Dist] = {}
    for info in dist_infos(env_dir):
        meta = _metadata(info)
        if meta is None:
            continue
        name, version = meta
        key = name.lower().replace("_", "-").replace(".", "-")
        if key in SEEDED or key in found:
            continue
        direct: Any = None
        text = read_text(os.path.join(info, "direct_url.json"))
        if text:
            try:
                direct = json.loads(text)
            except ValueError:
                direct = None
        args, source = _how(name, version, direct)
        found[key] = Dist(
            name, version, args, source,
            requested=os.path.exists(os.path.join(info, "REQUESTED")),
            installer=(read_text(os.path.join(info, "INSTALLER")) or "").strip(),
        )
    return list(found.values())


def dist_from(data: Any) -> Dist | None:
    """A :class:`Dist` from its journal form (None: not one)."""
    if not isinstance(data, dict):
        return None
    try:
        return Dist(
            str(data["name"]), str(data["version"]), tuple(str(a) for a in data["args"]), str(data["source"]),
            bool(data.get("requested")), str(data.get("installer", "")),
        )
    except (KeyError, TypeError):
        return None


# -- what the old tree holds of the user's -------------------------------------------------


def _recorded(env_dir: str) -> set[str]:
    """Every path the environment's RECORD files list (absolute, normalised)."""
    listed: set[str] = set()
    for info in dist_infos(env_dir):
        listed.add(os.path.normpath(info))
        text = read_text(os.path.join(info, "RECORD"))
        if text is None:
            text = read_text(os.path.join(info, "installed-files.txt"))
            base = info
        else:
            base = os.path.dirname(info)
        for line in (text or "").splitlines():
            rel = line.rsplit(",", 2)[0] if "," in line else line
            if rel:
                listed.add(os.path.normpath(os.path.join(base, rel)))
    return listed


def user_files(tree: str) -> list[str]:
    """The files in an old tree that are neither the environment's own nor listed by a
    distribution's RECORD: what the user put there (relative paths, sorted).
    """
    listed = _recorded(tree)
    sites = {os.path.normpath(s) for s in site_packages(tree)}
    found: list[str] = []
    for top, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel_top = os.path.relpath(top, tree)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            path = os.path.normpath(os.path.join(top, name))
            rel = os.path.relpath(path, tree)
            if path in listed or name.endswith(".pyc") or name.startswith(".safepip"):
                continue
            if rel_top == "." and name in _OWN_TOP:
                continue
            if rel_top in ("bin", "Scripts") and _OWN_BIN.fullmatch(name):
                continue
            if top in sites and (name.startswith("_virtualenv") or name.endswith(".virtualenv")):
                continue
            if any(parent in listed for parent in _parents(path, tree)):
                continue  # inside a listed .dist-info directory (a file RECORD omits)
            found.append(rel)
    return sorted(found)


def _parents(path: str, stop: str) -> Iterator[str]:
    current = os.path.dirname(path)
    while len(current) > len(stop):
        yield current
        current = os.path.dirname(current)


def read_text(path: str) -> str | None:
    """A file's text, at most 1 MiB (None: it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(1 << 20)
    except OSError:
        return None
