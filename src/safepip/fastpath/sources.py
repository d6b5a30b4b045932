"""Requirement sources the fast path reads besides project names and requirement files:
local projects and PEP 735 dependency groups.

**Local projects** (``-e PATH``, ``-e PATH[extras]``, ``PATH``, ``PATH[extras]``,
``name @ file:///PATH``). pip itself rebuilds and reinstalls a local directory on every call,
even when nothing changed. The fast path answers instead (as uv does) when all of these hold:

* the project's name is static (``[project] name`` in its ``pyproject.toml``);
* the environment holds that distribution, installed from that very directory: its
  ``direct_url.json`` records ``file://`` of the same directory, editable for ``-e`` and not
  editable otherwise (an editable install answers only ``-e``, a regular one only ``PATH``);
* the project's cache keys are unchanged since that install: ``pyproject.toml``,
  ``setup.py``, ``setup.cfg`` and the paths listed in ``[tool.safepip] cache-keys`` (a
  version file, ``.git/HEAD`` for setuptools-scm...) must each be absent or older (both
  modification and change time) than the installed distribution's ``RECORD``;
* a static ``[project] version`` equals the installed version;
* the requested extras and every dependency are satisfied, as for a name.

The limits, plainly: metadata computed at build time from anything else (dynamic
``version`` or ``dependencies`` read from a file that is not a cache key, the environment,
the date) is not seen; add such files to ``cache-keys``, or run pip with
``SAFEPIP_NO_FASTPATH=1`` (``--force-reinstall`` always goes to pip). Files deleted since the
install are not seen either. Local archives and wheels go to pip; remote and VCS URLs are
:mod:`safepip.fastpath.remote`'s.

**Dependency groups** (``--group NAME``, ``--group PATH:NAME``, pip 25.1+): the group is
resolved from ``pyproject.toml`` with packaging's own resolver (packaging 26.1+; with an
older packaging the fast path stands aside), and its requirements are checked like the
command line's. The environment's pip must be new enough to know ``--group``, or pip runs
(and says so).
"""

from __future__ import annotations

import os
import sys

from safepip.fastpath.satisfied import Line, looks_like_a_name

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any

    from safepip.fastpath.environment import Environment
    from safepip.fastpath.options import Call

#: The files whose change means a local project must be rebuilt (uv's defaults).
CACHE_KEYS = ("pyproject.toml", "setup.py", "setup.cfg")
#: The first pip that reads --group.
GROUPS_SINCE = (25, 1)


def _fallback(message: str) -> Exception:
    from safepip.fastpath.options import Fallback

    return Fallback(message)


def _toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except (OSError, ValueError) as exc:
        raise _fallback(f"cannot read {path}: {exc}") from None
    return data


def _split_extras(text: str) -> tuple[str, tuple[str, ...]]:
    """``PATH[a,b]`` -> (``PATH``, (``a``, ``b``))."""
    if not text.endswith("]") or "[" not in text:
        return text, ()
    path, _, inner = text[:-1].rpartition("[")
    extras = tuple(e.strip() for e in inner.split(",") if e.strip())
    return path, extras


class Local:
    """A local project requirement: its directory, extras, and whether editable."""

    __slots__ = ("editable", "extras", "name", "path", "text", "url")

    def __init__(self, text: str, path: str, extras: tuple[str, ...], editable: bool, name: str | None = None,
                 url: str | None = None) -> None:
        self.text, self.path, self.extras, self.editable, self.name = text, path, extras, editable, name
        #: A remote (https, VCS) URL: see :mod:`safepip.fastpath.remote`; ``path`` is then empty.
        self.url = url


def _looks_like_a_path(text: str) -> bool:
    """pip's rule: a separator in it, or a leading dot."""
    return os.sep in text or (os.altsep is not None and os.altsep in text) or text.startswith(".")


def local_projects(call: Call, cwd: str) -> tuple[list[Local], list[str]]:
    """The command line's local projects, and its other positionals (left for the name
    rules); raise Fallback for a form outside the rules above.
    """
    found: list[Local] = []
    for value in call.values("--editable"):
        if "://" in value or value.startswith(("git+", "hg+", "svn+", "bzr+")):
            raise _fallback(f"-e {value}: a VCS or remote editable")
        path, extras = _split_extras(value)
        found.append(Local(f"-e {value}", os.path.join(cwd, path), extras, editable=True))
    rest: list[str] = []
    for text in call.positionals:
        if looks_like_a_name(text, cwd):
            rest.append(text)
            continue
        spec = text.split(";", 1)[0].strip()
        if "@" in spec and ";" not in text:
            name, _, url = spec.partition("@")
            url = url.strip()
            if not url.startswith("file://") or url.split("#", 1)[0].endswith(".whl"):
                name, extras = _split_extras(name.strip())
                found.append(Local(text, "", extras, editable=False, name=name, url=url))
                continue
            from urllib.parse import unquote

            path, extras = os.path.normpath(unquote(url[len("file://") :])), ()
            name, extras = _split_extras(name.strip())
            found.append(Local(text, path, extras, editable=False, name=name))
            continue
        path, extras = _split_extras(spec)
        if ";" in text or not (_looks_like_a_path(path) or os.path.isdir(os.path.join(cwd, path))):
            raise _fallback(f"{text!r} is not a requirement safepip can read")
        found.append(Local(text, os.path.join(cwd, path), extras, editable=False))
    for local in found:
        if local.url is None and not os.path.isdir(local.path):
            raise _fallback(f"{local.text}: not a project directory (archives and wheels go to pip)")
    return found, rest


def _file_url(path: str) -> str:
    from urllib.parse import quote

    return "file://" + quote(os.path.abspath(path))


def check_local(local: Local, env: Environment, files: list[str]) -> Line | None:
    """The line to check for ``local`` like a name (its extras included) when the installed
    distribution is this project, built from this directory and unchanged since; None when
    pip has something to do. Every file read is added to ``files``.
    """
    root = os.path.abspath(local.path)
    pyproject = os.path.join(root, "pyproject.toml")
    files.append(pyproject)
    data = _toml(pyproject) if os.path.isfile(pyproject) else {}
    project = data.get("project")
    if not isinstance(project, dict):
        raise _fallback(f"{local.text}: no [project] table")
    name = project.get("name")
    if not isinstance(name, str):
        raise _fallback(f"{local.text}: no static [project] name")
    from safepip.fastpath.options import canonical

    if local.name is not None and canonical(local.name) != canonical(name):
        raise _fallback(f"{local.text}: the project is {name}")
    dist = env.get(name)
    if dist is None:
        return None
    info = env.info_dir(name)
    record = os.path.join(info, "RECORD")
    direct = os.path.join(info, "direct_url.json")
    files.extend((direct, record))
    recorded = _direct_url(direct)
    if recorded is None:
        return None  # installed from an index, not from here
    url, editable = recorded
    if not url.startswith("file://"):
        return None
    from urllib.parse import unquote

    where = unquote(url[len("file://") :])
    try:
        same = os.path.samefile(where, root)
    except OSError:
        same = False
    if not same or editable != local.editable:
        return None
    version = project.get("version") if "version" not in project.get("dynamic", ()) else None
    if isinstance(version, str):
        from packaging.version import InvalidVersion, Version

        try:
            if Version(version) != Version(dist.version):
                return None
        except InvalidVersion:
            raise _fallback(f"{local.text}: version {version!r} is not PEP 440") from None
    if _changed_since(root, data, record, files):
        return None
    extras = f"[{','.join(local.extras)}]" if local.extras else ""
    kind = "editable, " if local.editable else ""
    label = f"{name}{extras} from {_file_url(root)} ({kind}unchanged since installed)"
    return Line(f"{name}{extras}", None, label)


def _direct_url(path: str) -> tuple[str, bool] | None:
    """(url, editable) from a direct_url.json; None when there is none."""
    from safepip.fastpath.remote import recorded

    data = recorded(path)
    if data is None:
        return None
    url = str(data["url"])  # checked to be a string by recorded()
    if "dir_info" not in data:
        return url, False  # an archive or VCS URL: compared by the caller
    info = data["dir_info"]
    return url, bool(isinstance(info, dict) and info.get("editable"))


def _changed_since(root: str, data: dict[str, Any], record: str, files: list[str]) -> bool:
    """Whether a cache key changed (or appeared) since the install wrote ``record``."""
    try:
        installed = os.stat(record).st_mtime_ns
    except OSError:
        return True
    keys = list(CACHE_KEYS)
    tool = data.get("tool")
    table = tool.get("safepip") if isinstance(tool, dict) else None
    extra = table.get("cache-keys") if isinstance(table, dict) else None
    if isinstance(extra, list):
        keys.extend(k for k in extra if isinstance(k, str))
    for key in keys:
        path = os.path.join(root, key)
        files.append(path)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        except OSError:
            return True
        if max(st.st_mtime_ns, st.st_ctime_ns) >= installed:
            return True
    return False


# -- dependency groups -------------------------------------------------------------------


def group_lines(call: Call, cwd: str, env: Environment, files: list[str]) -> list[Line]:
    """The requirements of the ``--group`` options, in pip's order; raise Fallback where
    pip would fail or where safepip cannot resolve groups itself.
    """
    values = call.values("--group")
    if not values:
        return []
    pip = env.get("pip")
    if pip is None or _release(pip.version) < GROUPS_SINCE:
        raise _fallback("--group needs pip 25.1 or newer in the environment")
    try:
        from packaging.dependency_groups import DependencyGroupResolver
    except ImportError:
        raise _fallback("--group needs packaging 26.1 or newer") from None
    resolvers: dict[str, Any] = {}
    lines: list[Line] = []
    for value in values:
        path, colon, group = value.rpartition(":")
        if not colon:
            path = "pyproject.toml"
        if os.path.basename(path) != "pyproject.toml":
            raise _fallback(f"--group {value}: pip refuses a file not named pyproject.toml")
        full = os.path.join(cwd, path)
        if full not in resolvers:
            files.append(full)
            table = _toml(full).get("dependency-groups")
            if not isinstance(table, dict):
                raise _fallback(f"{path} has no [dependency-groups] table")
            try:
                resolvers[full] = DependencyGroupResolver(table)
            except Exception as exc:  # pip reports the group's errors itself
                raise _fallback(f"{path}: {exc}") from None
        try:
            lines.extend(Line(str(req), None) for req in resolvers[full].resolve(group))
        except Exception as exc:  # pip reports the group's errors itself
            raise _fallback(f"--group {value}: {exc}") from None
    return lines


def _release(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)
