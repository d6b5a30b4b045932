"""The environment a project's own tool (uv, Poetry, PDM, Hatch, pipenv) uses for it.

A project one of these tools manages has, or will have, the environment that tool names
for it; safepip uses that one, and never makes a second. Each place is computed as the
tool computes it, from files and variables only (no tool is run, nothing is imported):

* **uv**: ``UV_PROJECT_ENVIRONMENT`` (your variable; relative to the project root), else
  ``.venv`` at the root (safepip's own default).
* **Poetry** (``[tool.poetry]``, ``poetry.lock`` or the ``poetry.core`` build backend):
  ``virtualenvs.in-project`` (``POETRY_VIRTUALENVS_IN_PROJECT``, the project's
  ``poetry.toml``, your ``config.toml``): true, ``.venv``; unset, ``.venv`` when it is a
  directory; else ``{virtualenvs.path}/{name}-{hash}-py{X.Y}`` (``virtualenvs.path``
  defaults to ``{cache-dir}/virtualenvs``, ``cache-dir`` to ``~/.cache/pypoetry``), where
  ``name`` is the project's normalized name (PEP 503) with shell-special characters replaced by ``_``
  (42 at most), ``hash`` the first 8 characters of the URL-safe base64 of the SHA-256 of the
  project directory's real path, and ``X.Y`` the version Poetry recorded in ``envs.toml``,
  else the target interpreter's.
* **PDM** (``[tool.pdm]``, ``pdm.lock``, ``pdm.toml`` or ``.pdm-python``): the environment
  of the interpreter ``.pdm-python`` (or ``PDM_PYTHON``) names; else an in-project one; else
  ``{venv.location}/{dirname}-{hash}-{X.Y}`` (``venv.location`` from your PDM
  configuration, default ``~/.local/share/pdm/venvs``; ``hash`` the first 8 characters of
  the URL-safe base64 of the MD5 of the root's path); a new one is ``.venv`` unless
  ``venv.in_project`` is false.
* **Hatch** (``hatch.toml`` or ``[tool.hatch.envs]``; or its default environment exists):
  the default environment's ``path`` (``HATCH_ENV_TYPE_VIRTUAL_PATH``, the project's
  configuration), else ``{dirs.env.virtual}`` or ``{data}/env/virtual`` followed by
  ``{name}/{id}/{name}`` (``name`` the normalized project name, ``id`` the first 8
  characters of the URL-safe base64 of the SHA-256 of the root's path).
* **pipenv** (``Pipfile``): ``.venv`` at the root when ``PIPENV_VENV_IN_PROJECT`` or the
  Pipfile's ``[pipenv] venv_in_project`` says so, or (neither set) when ``.venv`` is a
  directory; else ``{WORKON_HOME}/{dirname}-{hash}`` (``WORKON_HOME`` defaults to
  ``~/.local/share/virtualenvs``; ``hash`` the first 8 characters of the URL-safe base64
  of the first 6 bytes of the SHA-256 of the Pipfile's path; ``PIPENV_CUSTOM_VENV_NAME``
  replaces the whole name).

Where several tools could claim the project, an environment that exists wins (the tools
in the order above); else the first tool the project's own files name.

A place the repository's own files name (Hatch's ``path``, Poetry's ``virtualenvs.path``
in ``poetry.toml``, PDM's ``.pdm-python``) is the repository's choice, not yours: it is held
to the placement rules (:mod:`safepip.facts.placement`): inside the project, or allowed
with ``safepip trust``. A tool's own directory under your home that safepip computes from
your variables and your tools' configuration is yours. A ``.pdm-python`` naming an
environment in PDM's own directory counts only when the name is the one PDM gives this
project.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Mapping

from safepip.facts.toolvars import VARIABLES

__all__ = ["VARIABLES", "Found", "ToolEnv", "find", "marked"]

#: The largest tool configuration file read (they are a few kilobytes).
_MAX = 4 << 20


@dataclass(frozen=True)
class ToolEnv:
    """The environment ``tool`` uses for a project: ``path``, whether it ``exists``, and
    ``why`` (a phrase for the notice). ``named_by`` is the repository file that chose the
    place, when one did (the placement rules apply to it), with the ``value`` it wrote.
    """

    tool: str
    path: str
    exists: bool
    why: str
    named_by: str = ""
    value: str = ""
    #: The place the repository's setting names (Poetry's: the directory of its environments).
    place: str = ""


@dataclass(frozen=True)
class Found:
    """The tool environment of a project (None: no tool claims it), and every path read."""

    env: ToolEnv | None
    reads: tuple[str, ...] = ()


def _is_venv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _toml(path: str) -> dict[str, Any] | None:
    """A tool's TOML file, or None (missing, too large, not TOML: the tool's to report)."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX + 1)
        if len(data) > _MAX:
            return None
        parsed: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return parsed


def _get(table: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


def _bool(value: Any, words: tuple[tuple[str, ...], tuple[str, ...]]) -> bool | None:
    """A tool's boolean (None: unset or unreadable); ``words`` are its (true, false) words."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in words[0]:
            return True
        if low in words[1]:
            return False
    return None


def _home(environ: Mapping[str, str]) -> str:
    return environ.get("HOME") or os.path.expanduser("~")


def _xdg(environ: Mapping[str, str], variable: str, default: str) -> str:
    value = environ.get(variable, "")
    return value if os.path.isabs(value) else os.path.join(_home(environ), default)


def _expand(path: str, environ: Mapping[str, str]) -> str:
    if path == "~" or path.startswith("~/"):
        return _home(environ) + path[1:]
    return path


def _b64_8(digest: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(digest).decode()[:8]


class _Reader:
    """The project's files, each read once, and every path read (for remembered answers)."""

    def __init__(self, root: str, environ: Mapping[str, str]) -> None:
        self.root = root
        self.environ = environ
        self.reads: list[str] = []
        self._cache: dict[str, dict[str, Any] | None] = {}

    def toml(self, path: str) -> dict[str, Any] | None:
        if path not in self._cache:
            self.reads.append(path)
            self._cache[path] = _toml(path)
        return self._cache[path]

    def has(self, name: str) -> bool:
        path = os.path.join(self.root, name)
        self.reads.append(path)
        return os.path.exists(path)

    def venv(self, path: str) -> bool:
        self.reads.extend((os.path.dirname(path), path, os.path.join(path, "pyvenv.cfg")))
        return _is_venv(path)

    @property
    def pyproject(self) -> dict[str, Any]:
        return self.toml(os.path.join(self.root, "pyproject.toml")) or {}


def _backend(reader: _Reader) -> str:
    backend = _get(reader.pyproject, "build-system", "build-backend")
    return backend if isinstance(backend, str) else ""


# -- uv -----------------------------------------------------------------------------------


def _uv(reader: _Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    marked = reader.has("uv.lock") or isinstance(_get(reader.pyproject, "tool", "uv"), dict)
    if not marked:
        return None, False
    chosen = reader.environ.get("UV_PROJECT_ENVIRONMENT", "")
    if not chosen:
        return None, True  # uv's default is safepip's: .venv at the root
    path = os.path.normpath(os.path.join(reader.root, _expand(chosen, reader.environ)))
    why = f"uv's environment for this project (UV_PROJECT_ENVIRONMENT={chosen})"
    return ToolEnv("uv", path, reader.venv(path), why), True


# -- Poetry --------------------------------------------------------------------------------


def _poetry_setting(reader: _Reader, key: str) -> tuple[Any, str]:
    """A Poetry setting (``virtualenvs.in-project``...) as Poetry reads it: its variable,
    the project's poetry.toml, the user's config.toml; and where it came from.
    """
    variable = "POETRY_" + key.upper().replace(".", "_").replace("-", "_")
    if variable in reader.environ:
        return reader.environ[variable], variable
    keys = key.split(".")
    local = os.path.join(reader.root, "poetry.toml")
    value = _get(reader.toml(local), *keys)
    if value is not None:
        return value, local
    config_dir = reader.environ.get("POETRY_CONFIG_DIR") or os.path.join(
        _xdg(reader.environ, "XDG_CONFIG_HOME", ".config"), "pypoetry")
    user = os.path.join(config_dir, "config.toml")
    return _get(reader.toml(user), *keys), user


def poetry_env_name(name: str, root: str) -> str:
    """Poetry's name for a project's environment without its ``-pyX.Y`` (``name`` as the
    project spells it, ``root`` its directory).
    """
    import hashlib

    canonical = re.sub(r"[-_.]+", "-", name).lower()  # Poetry's package name is the normalized one
    sanitized = re.sub(r'[ $`!*@"\\\r\n\t]', "_", canonical)[:42]
    where = os.path.normcase(os.path.realpath(root))
    return f"{sanitized}-{_b64_8(hashlib.sha256(where.encode('utf-8', 'surrogateescape')).digest())}"


def _poetry(reader: _Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    project = reader.pyproject
    tool = _get(project, "tool", "poetry")
    marked = isinstance(tool, dict) or reader.has("poetry.lock") or _backend(reader).startswith("poetry.")
    if not marked:
        return None, False
    truth = (("true", "1"), ("false", "0"))
    in_project_raw, source = _poetry_setting(reader, "virtualenvs.in-project")
    in_project = _bool(in_project_raw, truth)
    dot_venv = os.path.join(reader.root, ".venv")
    if in_project is True or (in_project is None and os.path.isdir(dot_venv)):
        said = f"virtualenvs.in-project from {os.path.basename(source)}" if in_project else "its .venv"
        return ToolEnv("Poetry", dot_venv, reader.venv(dot_venv), f"Poetry's environment for this project ({said})"), True
    name = _get(project, "project", "name") or _get(tool, "name")
    create, _ = _poetry_setting(reader, "virtualenvs.create")
    if not isinstance(name, str) or not name or _bool(create, truth) is False:
        return None, True  # Poetry would use no environment of its own
    base = _poetry_base(reader)
    if base is None:
        return None, True
    parent, named_by, value = base
    stem = poetry_env_name(name, reader.root)
    minor = _get(reader.toml(os.path.join(parent, "envs.toml")), stem, "minor")
    if not isinstance(minor, str) and version is not None:
        minor = f"{version[0]}.{version[1]}"
    path = os.path.join(parent, f"{stem}-py{minor.strip()}") if isinstance(minor, str) else ""
    exists = bool(path) and reader.venv(path)
    if not exists:
        # Poetry made it for another Python than the target's: that one is still the project's.
        others = _listed(reader, parent, f"{stem}-py")
        if others:
            path, exists = others[-1], True
    if not path and named_by:
        # The version is not known (safepip trust): the place the repository names still is.
        return ToolEnv("Poetry", parent, False, "Poetry's environments", named_by, value, parent), True
    if not path:
        return None, True
    place = parent if named_by else ""
    return ToolEnv("Poetry", path, exists, "Poetry's environment for this project", named_by, value, place), True


def _poetry_base(reader: _Reader) -> tuple[str, str, str] | None:
    """Where Poetry keeps its environments, and the repository file that chose it (if one did)."""
    path, source = _poetry_setting(reader, "virtualenvs.path")
    named_by = source if source == os.path.join(reader.root, "poetry.toml") else ""
    cache, _ = _poetry_setting(reader, "cache-dir")
    if not isinstance(cache, str) or not cache:
        cache = os.path.join(_xdg(reader.environ, "XDG_CACHE_HOME", ".cache"), "pypoetry")
    if not isinstance(path, str) or not path:
        return os.path.join(_expand(cache, reader.environ), "virtualenvs"), "", ""
    value = path
    path = _expand(path.replace("{cache-dir}", cache), reader.environ)
    if not os.path.isabs(path):
        return None  # relative to wherever Poetry runs: not a place safepip can name
    return os.path.normpath(path), named_by, value


def _listed(reader: _Reader, parent: str, prefix: str) -> list[str]:
    """The virtual environments in ``parent`` whose names start with ``prefix``, sorted."""
    reader.reads.append(parent)
    try:
        names = sorted(n for n in os.listdir(parent) if n.startswith(prefix))
    except OSError:
        return []
    return [os.path.join(parent, n) for n in names if reader.venv(os.path.join(parent, n))]


# -- PDM -----------------------------------------------------------------------------------


def pdm_prefix(root: str) -> str:
    """PDM's prefix for the names of a project's environments in its own directory."""
    import hashlib

    digest = hashlib.md5(root.encode("utf-8", "surrogateescape"), usedforsecurity=False).digest()
    return f"{os.path.basename(root)}-{_b64_8(digest)}-"


def _pdm_user(reader: _Reader) -> dict[str, Any]:
    path = reader.environ.get("PDM_CONFIG_FILE") or os.path.join(
        _xdg(reader.environ, "XDG_CONFIG_HOME", ".config"), "pdm", "config.toml")
    return reader.toml(path) or {}


def _pdm(reader: _Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    marked = (isinstance(_get(reader.pyproject, "tool", "pdm"), dict) or _backend(reader).startswith("pdm.")
              or any(reader.has(n) for n in ("pdm.lock", "pdm.toml", ".pdm-python")))
    if not marked:
        return None, False
    truth = (("1", "true", "yes", "on", "y"), ("0", "false", "no", "off", "n", ""))
    location = _get(_pdm_user(reader), "venv", "location")
    parent = (os.path.normpath(_expand(location, reader.environ)) if isinstance(location, str) and location
              else os.path.join(_xdg(reader.environ, "XDG_DATA_HOME", ".local/share"), "pdm", "venvs"))
    prefix = pdm_prefix(reader.root)
    saved = _pdm_saved(reader)
    if saved is not None:
        from safepip.venv.layout import venv_of

        env = venv_of(saved[0])
        if env is not None:
            env = os.path.normpath(env)
            own = os.path.dirname(env) == parent and os.path.basename(env).startswith(prefix)
            named_by = "" if own or saved[1] == "PDM_PYTHON" else saved[1]
            why = f"PDM's environment for this project ({os.path.basename(saved[1])})"
            return ToolEnv("PDM", env, reader.venv(env), why, named_by, saved[0]), True
    for name in (".venv", "venv", "env"):
        path = os.path.join(reader.root, name)
        if reader.venv(path):
            return ToolEnv("PDM", path, True, "PDM's environment for this project (in the project)"), True
    central = _listed(reader, parent, prefix)
    if central:
        ident = f"{prefix}{version[0]}.{version[1]}" if version else ""
        path = next((p for p in central if os.path.basename(p) == ident), central[0])
        return ToolEnv("PDM", path, True, "PDM's environment for this project"), True
    in_project = _bool(reader.environ.get("PDM_VENV_IN_PROJECT"), truth)
    if in_project is None:
        in_project = _bool(_get(reader.toml(os.path.join(reader.root, "pdm.toml")), "venv", "in_project"), truth)
    if in_project is None:
        in_project = _bool(_get(_pdm_user(reader), "venv", "in_project"), truth)
    if in_project is False and version is not None:
        path = os.path.join(parent, f"{prefix}{version[0]}.{version[1]}")
        return ToolEnv("PDM", path, False, "PDM's environment for this project (venv.in_project = false)"), True
    return None, True  # PDM's default: .venv at the root, safepip's own


def _pdm_saved(reader: _Reader) -> tuple[str, str] | None:
    """The interpreter PDM saved for the project, and where it is written."""
    if reader.environ.get("PDM_PYTHON"):
        return reader.environ["PDM_PYTHON"], "PDM_PYTHON"
    truth = (("1", "true", "yes", "on", "y"), ("0", "false", "no", "off", "n", ""))
    if _bool(reader.environ.get("PDM_IGNORE_SAVED_PYTHON"), truth):
        return None
    path = os.path.join(reader.root, ".pdm-python")
    reader.reads.append(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(4096).strip()
    except (OSError, UnicodeDecodeError):
        return None
    return (text, path) if text and "\0" not in text else None


# -- Hatch ---------------------------------------------------------------------------------


def hatch_id(root: str) -> str:
    """Hatch's identifier for the project at ``root`` (as Hatch computes it on Linux)."""
    import hashlib

    return _b64_8(hashlib.sha256(root.encode("utf-8", "surrogateescape")).digest())


def _hatch(reader: _Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    hatch_toml = os.path.join(reader.root, "hatch.toml")
    own = reader.toml(hatch_toml) if reader.has("hatch.toml") else None
    envs = _get(own, "envs") if own is not None else _get(reader.pyproject, "tool", "hatch", "envs")
    marked = own is not None or isinstance(envs, dict)
    default = _get(envs, "default") or {}
    if _get(default, "type") not in (None, "virtual"):
        return None, marked
    chosen = reader.environ.get("HATCH_ENV_TYPE_VIRTUAL_PATH", "")
    named_by = ""
    if not chosen and isinstance(_get(default, "path"), str):
        chosen = default["path"]
        named_by = hatch_toml if own is not None else os.path.join(reader.root, "pyproject.toml")
    if chosen:
        path = chosen if os.path.isabs(chosen) else os.path.normpath(os.path.join(reader.root, chosen))
        why = "Hatch's default environment for this project (its path)"
        return ToolEnv("Hatch", path, reader.venv(path), why, named_by, chosen), True
    name = _get(reader.pyproject, "project", "name")
    project_id = hatch_id(reader.root)
    name = re.sub(r"[-_.]+", "-", name).lower() if isinstance(name, str) and name else f"{project_id}-unmanaged"
    user = reader.environ.get("HATCH_CONFIG") or os.path.join(
        _xdg(reader.environ, "XDG_CONFIG_HOME", ".config"), "hatch", "config.toml")
    settings = reader.toml(user) or {}
    data = reader.environ.get("HATCH_DATA_DIR") or _get(settings, "dirs", "data")
    data = _expand(data, reader.environ) if isinstance(data, str) and data else os.path.join(
        _xdg(reader.environ, "XDG_DATA_HOME", ".local/share"), "hatch")
    configured = _get(settings, "dirs", "env", "virtual")
    if isinstance(configured, str) and configured:
        configured = _expand(configured, reader.environ)
        directory = configured if os.path.isabs(configured) else os.path.join(reader.root, configured)
    else:
        directory = os.path.join(data, "env", "virtual")
    directory = os.path.normpath(directory)
    flat = directory == os.path.join(_home(reader.environ), ".virtualenvs") or directory.startswith(reader.root + os.sep)
    path = os.path.join(directory, name) if flat else os.path.join(directory, name, project_id, name)
    exists = reader.venv(path)
    if not exists and not marked:
        return None, False
    return ToolEnv("Hatch", path, exists, "Hatch's default environment for this project"), True


# -- pipenv --------------------------------------------------------------------------------


def pipenv_env_name(root: str) -> str:
    """pipenv's name for the environment of the project whose Pipfile is in ``root``."""
    import hashlib

    name = re.sub(r'[ &$`!*@"()\[\]\\\r\n\t]', "_", os.path.basename(root))[:42]
    where = os.path.join(root, "Pipfile")
    return f"{name}-{_b64_8(hashlib.sha256(where.encode('utf-8', 'surrogateescape')).digest()[:6])}"


def _pipenv(reader: _Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    if not reader.has("Pipfile"):
        return None, False
    truth = (("1", "true", "yes", "on"), ("0", "false", "no", "off"))
    environ = reader.environ
    dot_venv = os.path.join(reader.root, ".venv")
    explicit = _bool(environ.get("PIPENV_VENV_IN_PROJECT"), truth)
    if explicit is None and "PIPENV_NO_VENV_IN_PROJECT" in environ:
        negated = _bool(environ["PIPENV_NO_VENV_IN_PROJECT"], truth)
        explicit = None if negated is None else not negated
    in_file = _bool(_get(reader.toml(os.path.join(reader.root, "Pipfile")), "pipenv", "venv_in_project"), truth)
    workon = environ.get("WORKON_HOME") or os.path.join(_xdg(environ, "XDG_DATA_HOME", ".local/share"), "virtualenvs")
    workon = _expand(workon, environ)
    name = environ.get("PIPENV_CUSTOM_VENV_NAME") or pipenv_env_name(reader.root)
    python = environ.get("PIPENV_PYTHON", "")
    if python and not environ.get("PIPENV_CUSTOM_VENV_NAME"):
        name += f"-{os.path.basename(python) if os.path.isabs(python) else python}"
    central = os.path.join(workon, name)
    if os.path.lexists(dot_venv) and not os.path.isdir(dot_venv):
        return None, True  # a .venv file naming the place: pipenv's own business, not followed
    in_project = explicit if explicit is not None else in_file
    if in_project is None and os.path.isdir(dot_venv):
        # Found on its own: pipenv keeps using one it made in WORKON_HOME before.
        if reader.venv(central):
            return ToolEnv("pipenv", central, True, "pipenv's environment for this project"), True
        in_project = True
    if in_project:
        return ToolEnv("pipenv", dot_venv, reader.venv(dot_venv), "pipenv's environment for this project (in the project)"), True
    return ToolEnv("pipenv", central, reader.venv(central), "pipenv's environment for this project"), True


_TOOLS = (_uv, _poetry, _pdm, _hatch, _pipenv)


def find(root: str, environ: Mapping[str, str], version: tuple[int, ...] | None = None, *,
         existing: bool = False) -> Found:
    """The environment the tool that manages the project at ``root`` uses for it (see the
    module's rules); ``version`` is the target interpreter's, for a name that holds it
    (None: a place whose name needs it is found only when it exists). ``existing``: only
    an environment that exists counts.
    """
    reader = _Reader(os.path.realpath(root), environ)
    first: ToolEnv | None = None
    for tool in _TOOLS:
        env, _marked = tool(reader, version)
        if env is None:
            continue
        if env.exists:
            return Found(env, tuple(reader.reads))
        first = first or env
    return Found(None if existing else first, tuple(reader.reads))


def marked(root: str) -> bool:
    """Whether a tool's own file at ``root`` says that the tool manages its environment
    (a lock file, ``Pipfile``, ``hatch.toml``, ``pdm.toml``, ``.pdm-python``): a sub-project
    with one has its own environment, where that tool puts it.
    """
    names = ("uv.lock", "poetry.lock", "pdm.lock", "pdm.toml", ".pdm-python", "Pipfile", "hatch.toml")
    return any(os.path.exists(os.path.join(root, n)) for n in names)
