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

from safepip.facts.interpreter import realpath
from safepip.facts.toolread import Found, Reader, ToolEnv, as_bool, b64_8, backend, expand, get, home, listed, xdg
from safepip.facts.toolvars import VARIABLES

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

__all__ = ["VARIABLES", "Found", "ToolEnv", "find", "marked", "poetry_env_name"]

# -- uv -----------------------------------------------------------------------------------


def _uv(reader: Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    # reader.mentions first: a pyproject.toml that cannot name the table is not parsed.
    marked = reader.has("uv.lock") or (reader.mentions("uv") and isinstance(get(reader.pyproject, "tool", "uv"), dict))
    if not marked:
        return None, False
    chosen = reader.environ.get("UV_PROJECT_ENVIRONMENT", "")
    if not chosen:
        return None, True  # uv's default is safepip's: .venv at the root
    path = os.path.normpath(os.path.join(reader.root, expand(chosen, reader.environ)))
    why = f"uv's environment for this project (UV_PROJECT_ENVIRONMENT={chosen})"
    return ToolEnv("uv", path, reader.venv(path), why), True


# -- Poetry (facts/poetryenv.py) ------------------------------------------------------------


def _poetry(reader: Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    named = reader.mentions("poetry")  # else neither [tool.poetry] nor a poetry backend is there
    marked = ((named and isinstance(get(reader.pyproject, "tool", "poetry"), dict)) or reader.has("poetry.lock")
              or (named and backend(reader).startswith("poetry.")))
    if not marked:
        return None, False
    from safepip.facts.poetryenv import poetry_env  # here: a project Poetry manages alone reads it

    return poetry_env(reader, version), True


def poetry_env_name(name: str, root: str) -> str:
    """Poetry's name for a project's environment (:func:`safepip.facts.poetryenv.poetry_env_name`)."""
    from safepip.facts.poetryenv import poetry_env_name as named

    return named(name, root)


# -- PDM -----------------------------------------------------------------------------------


def pdm_prefix(root: str) -> str:
    """PDM's prefix for the names of a project's environments in its own directory."""
    import hashlib

    digest = hashlib.md5(root.encode("utf-8", "surrogateescape"), usedforsecurity=False).digest()
    return f"{os.path.basename(root)}-{b64_8(digest)}-"


def _pdm_user(reader: Reader) -> dict[str, Any]:
    path = reader.environ.get("PDM_CONFIG_FILE") or os.path.join(
        xdg(reader.environ, "XDG_CONFIG_HOME", ".config"), "pdm", "config.toml")
    return reader.toml(path) or {}


def _pdm(reader: Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    named = reader.mentions("pdm")  # else neither [tool.pdm] nor a PDM backend is there
    marked = ((named and (isinstance(get(reader.pyproject, "tool", "pdm"), dict) or backend(reader).startswith("pdm.")))
              or any(reader.has(n) for n in ("pdm.lock", "pdm.toml", ".pdm-python")))
    if not marked:
        return None, False
    truth = (("1", "true", "yes", "on", "y"), ("0", "false", "no", "off", "n", ""))
    location = get(_pdm_user(reader), "venv", "location")
    parent = (os.path.normpath(expand(location, reader.environ)) if isinstance(location, str) and location
              else os.path.join(xdg(reader.environ, "XDG_DATA_HOME", ".local/share"), "pdm", "venvs"))
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
    central = listed(reader, parent, prefix)
    if central:
        ident = f"{prefix}{version[0]}.{version[1]}" if version else ""
        path = next((p for p in central if os.path.basename(p) == ident), central[0])
        return ToolEnv("PDM", path, True, "PDM's environment for this project"), True
    in_project = as_bool(reader.environ.get("PDM_VENV_IN_PROJECT"), truth)
    if in_project is None:
        in_project = as_bool(get(reader.toml(os.path.join(reader.root, "pdm.toml")), "venv", "in_project"), truth)
    if in_project is None:
        in_project = as_bool(get(_pdm_user(reader), "venv", "in_project"), truth)
    if in_project is False and version is not None:
        path = os.path.join(parent, f"{prefix}{version[0]}.{version[1]}")
        return ToolEnv("PDM", path, False, "PDM's environment for this project (venv.in_project = false)"), True
    return None, True  # PDM's default: .venv at the root, safepip's own


def _pdm_saved(reader: Reader) -> tuple[str, str] | None:
    """The interpreter PDM saved for the project, and where it is written."""
    if reader.environ.get("PDM_PYTHON"):
        return reader.environ["PDM_PYTHON"], "PDM_PYTHON"
    truth = (("1", "true", "yes", "on", "y"), ("0", "false", "no", "off", "n", ""))
    if as_bool(reader.environ.get("PDM_IGNORE_SAVED_PYTHON"), truth):
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
    from safepip.facts.interpreter import sha256_digest  # not hashlib: OpenSSL's loading, a few ms

    return b64_8(sha256_digest(root.encode("utf-8", "surrogateescape")))


def _hatch(reader: Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    hatch_toml = os.path.join(reader.root, "hatch.toml")
    own = reader.toml(hatch_toml) if reader.has("hatch.toml") else None
    if own is not None:
        envs = get(own, "envs")
    else:
        # Both words: "hatch" alone is in every project Hatchling builds.
        envs = get(reader.pyproject, "tool", "hatch", "envs") if reader.mentions("hatch", "envs") else None
    marked = own is not None or isinstance(envs, dict)
    default = get(envs, "default") or {}
    if get(default, "type") not in (None, "virtual"):
        return None, marked
    chosen = reader.environ.get("HATCH_ENV_TYPE_VIRTUAL_PATH", "")
    named_by = ""
    if not chosen and isinstance(get(default, "path"), str):
        chosen = default["path"]
        named_by = hatch_toml if own is not None else os.path.join(reader.root, "pyproject.toml")
    if chosen:
        path = chosen if os.path.isabs(chosen) else os.path.normpath(os.path.join(reader.root, chosen))
        why = "Hatch's default environment for this project (its path)"
        return ToolEnv("Hatch", path, reader.venv(path), why, named_by, chosen), True
    user = reader.environ.get("HATCH_CONFIG") or os.path.join(
        xdg(reader.environ, "XDG_CONFIG_HOME", ".config"), "hatch", "config.toml")
    settings = reader.toml(user) or {}
    data = reader.environ.get("HATCH_DATA_DIR") or get(settings, "dirs", "data")
    data = expand(data, reader.environ) if isinstance(data, str) and data else os.path.join(
        xdg(reader.environ, "XDG_DATA_HOME", ".local/share"), "hatch")
    configured = get(settings, "dirs", "env", "virtual")
    if isinstance(configured, str) and configured:
        configured = expand(configured, reader.environ)
        directory = configured if os.path.isabs(configured) else os.path.join(reader.root, configured)
    else:
        directory = os.path.join(data, "env", "virtual")
    directory = os.path.normpath(directory)
    if not marked and not os.path.isdir(directory):
        # No environment of Hatch's can be in a directory that is not there: the project's
        # name (which only a parse of pyproject.toml gives) is not needed to know.
        reader.reads.append(directory)
        return None, False
    import re

    name = get(reader.pyproject, "project", "name")
    project_id = hatch_id(reader.root)
    name = re.sub(r"[-_.]+", "-", name).lower() if isinstance(name, str) and name else f"{project_id}-unmanaged"
    flat = directory == os.path.join(home(reader.environ), ".virtualenvs") or directory.startswith(reader.root + os.sep)
    path = os.path.join(directory, name) if flat else os.path.join(directory, name, project_id, name)
    exists = reader.venv(path)
    if not exists and not marked:
        return None, False
    return ToolEnv("Hatch", path, exists, "Hatch's default environment for this project"), True


# -- pipenv --------------------------------------------------------------------------------


def pipenv_env_name(root: str) -> str:
    """pipenv's name for the environment of the project whose Pipfile is in ``root``."""
    import re

    from safepip.facts.interpreter import sha256_digest

    name = re.sub(r'[ &$`!*@"()\[\]\\\r\n\t]', "_", os.path.basename(root))[:42]
    where = os.path.join(root, "Pipfile")
    return f"{name}-{b64_8(sha256_digest(where.encode('utf-8', 'surrogateescape'))[:6])}"


def _pipenv(reader: Reader, version: tuple[int, ...] | None) -> tuple[ToolEnv | None, bool]:
    if not reader.has("Pipfile"):
        return None, False
    truth = (("1", "true", "yes", "on"), ("0", "false", "no", "off"))
    environ = reader.environ
    dot_venv = os.path.join(reader.root, ".venv")
    explicit = as_bool(environ.get("PIPENV_VENV_IN_PROJECT"), truth)
    if explicit is None and "PIPENV_NO_VENV_IN_PROJECT" in environ:
        negated = as_bool(environ["PIPENV_NO_VENV_IN_PROJECT"], truth)
        explicit = None if negated is None else not negated
    in_file = as_bool(get(reader.toml(os.path.join(reader.root, "Pipfile")), "pipenv", "venv_in_project"), truth)
    workon = environ.get("WORKON_HOME") or os.path.join(xdg(environ, "XDG_DATA_HOME", ".local/share"), "virtualenvs")
    workon = expand(workon, environ)
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
    reader = Reader(realpath(root), environ)
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
