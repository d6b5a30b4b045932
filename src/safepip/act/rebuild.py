"""Rebuild an environment without losing what is in it.

An environment safepip made must be rebuilt when its interpreter is gone or is now another
minor version (a distribution upgrade: python3.11 becomes python3.12), or when a rebuild
was interrupted. Under the environment's lock, in this order:

1. **Record** what it holds: every ``*.dist-info`` (and ``*.egg-info``) with its name,
   version, ``direct_url.json`` (URL, VCS and editable installs), ``INSTALLER`` and
   ``REQUESTED``. The record (a journal, ``.safepip-rebuild.json``) is written into the old
   tree, so that it travels with it.
2. **Move aside** the old tree, atomically, to ``<env>.safepip-old-<date>-<pid>`` (for a
   ``.venv`` that is a symbolic link: the link's target, and the link is kept).
3. **Create** the new environment in the same place (``.safepip.json`` says ``restoring``
   until step 5 is done).
4. **Move** ``<old>/src`` (pip's checkouts of editable VCS installs, with the user's edits)
   into the new environment, then **reinstall** the recorded set: the same versions, URL and
   VCS installs from their recorded source and commit, editables from their directory.
5. **Only then** remove the old tree, unless it still holds files that no distribution
   lists in its ``RECORD`` and that are not the environment's own (the user's): it is then
   kept, and a notice names it. When a reinstall fails, the old tree is kept and the error
   says exactly what was not restored.

A process killed at any instant leaves either the journal ``pending`` in the old tree (the
next call, under the lock, goes on from where it was) or a finished rebuild. Nothing of the
user's is deleted: the old tree is removed only once the new one holds everything.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

from safepip.errors import EnvironmentCreateError
from safepip.venvdir import bin_python, site_packages

JOURNAL = ".safepip-rebuild.json"
OLD_INFIX = ".safepip-old-"
PENDING = "pending"  # the old tree still holds things the new one lacks
KEPT = "kept"  # restored; the old tree holds the user's files, or what could not be restored
TRASH = "trash"  # restored; nothing in the old tree is wanted (removed at once, swept if killed)
#: Distributions the new environment brings itself.
SEEDED = frozenset({"pip"})
#: What an environment holds of its own, besides what RECORD files list (relative paths).
_OWN_TOP = frozenset({"pyvenv.cfg", ".gitignore", "CACHEDIR.TAG", "lib64", JOURNAL})
_OWN_BIN_PREFIXES = ("python", "pip", "activate", "Activate", "deactivate")


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


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(1 << 20)
    except OSError:
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
        text = _read(os.path.join(info, "direct_url.json"))
        if text:
            try:
                direct = json.loads(text)
            except ValueError:
                direct = None
        args, source = _how(name, version, direct)
        found[key] = Dist(
            name, version, args, source,
            requested=os.path.exists(os.path.join(info, "REQUESTED")),
            installer=(_read(os.path.join(info, "INSTALLER")) or "").strip(),
        )
    return list(found.values())


def _dist_from(data: Any) -> Dist | None:
    if not isinstance(data, dict):
        return None
    try:
        return Dist(
            str(data["name"]), str(data["version"]), tuple(str(a) for a in data["args"]), str(data["source"]),
            bool(data.get("requested")), str(data.get("installer", "")),
        )
    except (KeyError, TypeError):
        return None


# -- the journal ---------------------------------------------------------------------------


def read_journal(tree: str) -> dict[str, Any] | None:
    """The journal of a tree moved aside by a rebuild (None: not safepip's)."""
    text = _read(os.path.join(tree, JOURNAL))
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("kind") in (PENDING, KEPT, TRASH) else None


def _write_journal(tree: str, data: Mapping[str, Any]) -> None:
    path = os.path.join(tree, JOURNAL)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(dict(data), handle, ensure_ascii=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def old_trees(work: str) -> list[str]:
    """The trees moved aside beside ``work`` by safepip's rebuilds (oldest first)."""
    parent, name = os.path.split(work.rstrip(os.sep))
    try:
        names = sorted(n for n in os.listdir(parent or os.curdir) if n.startswith(name + OLD_INFIX))
    except OSError:
        return []
    return [os.path.join(parent, n) for n in names if os.path.isdir(os.path.join(parent, n))]


def pending(work: str) -> list[str]:
    """The old trees whose contents are not yet restored (oldest first)."""
    return [t for t in old_trees(work) if (read_journal(t) or {}).get("kind") == PENDING]


def remove_trash(tree: str) -> None:
    """Remove a tree safepip moved aside and marked as trash; the journal goes last, so that
    a removal killed midway is still recognised (and finished) by the next sweep.
    """
    try:
        entries = os.listdir(tree)
    except OSError:
        return
    for entry in entries:
        if entry == JOURNAL:
            continue
        path = os.path.join(tree, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)
    with contextlib.suppress(OSError):
        os.unlink(os.path.join(tree, JOURNAL))
    with contextlib.suppress(OSError):
        os.rmdir(tree)


def sweep(work: str) -> None:
    """Finish removals a killed process left (only trees safepip marked as trash)."""
    for tree in old_trees(work):
        if (read_journal(tree) or {}).get("kind") == TRASH:
            remove_trash(tree)


# -- what the old tree holds of the user's -------------------------------------------------


def _recorded(env_dir: str) -> set[str]:
    """Every path the environment's RECORD files list (absolute, normalised)."""
    listed: set[str] = set()
    for info in dist_infos(env_dir):
        listed.add(os.path.normpath(info))
        text = _read(os.path.join(info, "RECORD"))
        if text is None:
            text = _read(os.path.join(info, "installed-files.txt"))
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
            if rel_top in ("bin", "Scripts") and name.startswith(_OWN_BIN_PREFIXES):
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


# -- the rebuild ---------------------------------------------------------------------------


Create = Callable[[str], None]  # makes a whole environment at the path (safepip's _create)


def mark_trash(tree: str) -> None:
    """Mark a tree (an environment in which pip never ran) as safepip's trash."""
    _write_journal(tree, {"kind": TRASH})


def stamp() -> str:
    """The date and process that name a tree moved aside."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f"-{os.getpid()}"


def move_aside(work: str, env_dir: str, why: str) -> str:
    """Steps 1 and 2: record what ``work`` holds into it, then rename it aside; return where."""
    dists = inventory(work)
    _write_journal(work, {"kind": PENDING, "env": env_dir, "why": why, "dists": [asdict(d) for d in dists]})
    old = f"{work.rstrip(os.sep)}{OLD_INFIX}{stamp()}"
    try:
        os.rename(work, old)
    except OSError as exc:
        raise EnvironmentCreateError(f"cannot move {work} aside to rebuild it: {exc.strerror}") from None
    return old


def reinstall(python: str, dists: Sequence[Dist], pip_options: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """Install ``dists`` into the environment of ``python``; return what could not be
    installed (each as ``name version (source): reason``).
    """
    if not dists:
        return []
    args = [a for d in dists for a in d.args]
    done = _pip(python, args, pip_options, environ)
    if done[0] == 0:
        return []
    failed = []
    for dist in dists:  # one by one, to say exactly which did not come back
        code, reason = _pip(python, list(dist.args), [*pip_options, "--no-deps"], environ)
        if code != 0:
            failed.append(f"{dist.name} {dist.version} ({dist.source}): {reason}")
    if not failed:  # each alone installs, together they conflict: say pip's reason
        failed.append(f"the set as a whole: {done[1]}")
    return failed


def _pip(python: str, args: Sequence[str], options: Sequence[str], environ: Mapping[str, str]) -> tuple[int, str]:
    from safepip.act.run import capture, child_environ

    argv = [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", *options, *args]
    try:
        done = capture(argv, child_environ(environ, {}, redirected=True))
    except OSError as exc:
        return 1, str(exc.strerror)
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return done.returncode, ((errors or lines or ["pip failed"])[-1])[:300]


def restore(
    old: str,
    work: str,
    create: Create,
    pip_options: Sequence[str],
    environ: Mapping[str, str],
    say: Callable[[str], object],
    mark_restoring: Callable[[str], None],
    mark_complete: Callable[[], None],
) -> str:
    """Steps 3 to 5 for the tree moved aside at ``old`` (again, if a killed run began them);
    return why the environment was rebuilt.
    """
    journal = read_journal(old) or {}
    why = str(journal.get("why") or "it was rebuilt")
    dists = [d for d in (_dist_from(x) for x in journal.get("dists") or ()) if d is not None]
    create(work)
    mark_restoring(old)
    src_old, src_new = os.path.join(old, "src"), os.path.join(work, "src")
    if os.path.isdir(src_old) and not os.path.lexists(src_new):
        os.rename(src_old, src_new)  # pip's editable checkouts, with the user's edits in them
    failed = reinstall(bin_python(work), dists, pip_options, environ)
    from safepip import ui

    where = ui.shortpath(old, environ)
    if failed:
        _write_journal(old, {**journal, "kind": KEPT, "not_restored": failed})
        mark_complete()
        raise EnvironmentCreateError(
            f"rebuilt {work} ({why}) but could not reinstall {len(failed)} of {len(dists)} distributions: "
            + "; ".join(failed)
            + f". The old environment is kept in {where}; install them by hand, then remove it"
        )
    mine = user_files(old)
    if mine:
        _write_journal(old, {**journal, "kind": KEPT, "user_files": mine[:100]})
        mark_complete()
        shown = ", ".join(mine[:3]) + (f" and {len(mine) - 3} more" if len(mine) > 3 else "")
        say(
            f"rebuilt {ui.shortpath(work, environ)} and reinstalled {len(dists)} distributions; the old environment "
            f"holds files no distribution installed ({shown}): kept in {where}"
        )
        return why
    _write_journal(old, {**journal, "kind": TRASH})
    mark_complete()
    remove_trash(old)
    return why
