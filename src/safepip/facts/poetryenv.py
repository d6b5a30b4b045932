"""Where Poetry keeps a project's environment, computed as Poetry names it (see
:mod:`safepip.facts.toolenv`, which holds the rule for every tool).
"""

from __future__ import annotations

import os

from safepip.facts.toolread import Reader, ToolEnv, as_bool, b64_8, expand, get, listed, xdg

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any

# -- Poetry --------------------------------------------------------------------------------


def _poetry_setting(reader: Reader, key: str) -> tuple[Any, str]:
    """A Poetry setting (``virtualenvs.in-project``...) as Poetry reads it: its variable,
    the project's poetry.toml, the user's config.toml; and where it came from.
    """
    variable = "POETRY_" + key.upper().replace(".", "_").replace("-", "_")
    if variable in reader.environ:
        return reader.environ[variable], variable
    keys = key.split(".")
    local = os.path.join(reader.root, "poetry.toml")
    value = get(reader.toml(local), *keys)
    if value is not None:
        return value, local
    config_dir = reader.environ.get("POETRY_CONFIG_DIR") or os.path.join(
        xdg(reader.environ, "XDG_CONFIG_HOME", ".config"), "pypoetry")
    user = os.path.join(config_dir, "config.toml")
    return get(reader.toml(user), *keys), user


def poetry_env_name(name: str, root: str) -> str:
    """Poetry's name for a project's environment without its ``-pyX.Y`` (``name`` as the
    project spells it, ``root`` its directory).
    """
    import re  # here: only a Poetry project needs it

    from safepip.facts.interpreter import sha256_digest

    canonical = re.sub(r"[-_.]+", "-", name).lower()  # Poetry's package name is the normalized one
    sanitized = re.sub(r'[ $`!*@"\\\r\n\t]', "_", canonical)[:42]
    where = os.path.normcase(os.path.realpath(root))
    return f"{sanitized}-{b64_8(sha256_digest(where.encode('utf-8', 'surrogateescape')))}"


def poetry_env(reader: Reader, version: tuple[int, ...] | None) -> ToolEnv | None:
    """Poetry's environment for a project Poetry manages (:func:`safepip.facts.toolenv.find`
    looks here only when the project's files name Poetry).
    """
    project = reader.pyproject
    tool = get(project, "tool", "poetry")
    truth = (("true", "1"), ("false", "0"))
    in_project_raw, source = _poetry_setting(reader, "virtualenvs.in-project")
    in_project = as_bool(in_project_raw, truth)
    dot_venv = os.path.join(reader.root, ".venv")
    if in_project is True or (in_project is None and os.path.isdir(dot_venv)):
        said = f"virtualenvs.in-project from {os.path.basename(source)}" if in_project else "its .venv"
        return ToolEnv("Poetry", dot_venv, reader.venv(dot_venv), f"Poetry's environment for this project ({said})")
    name = get(project, "project", "name") or get(tool, "name")
    create, _ = _poetry_setting(reader, "virtualenvs.create")
    if not isinstance(name, str) or not name or as_bool(create, truth) is False:
        return None  # Poetry would use no environment of its own
    base = _poetry_base(reader)
    if base is None:
        return None
    parent, named_by, value = base
    stem = poetry_env_name(name, reader.root)
    minor = get(reader.toml(os.path.join(parent, "envs.toml")), stem, "minor")
    if not isinstance(minor, str) and version is not None:
        minor = f"{version[0]}.{version[1]}"
    path = os.path.join(parent, f"{stem}-py{minor.strip()}") if isinstance(minor, str) else ""
    exists = bool(path) and reader.venv(path)
    if not exists:
        # Poetry made it for another Python than the target's: that one is still the project's.
        others = listed(reader, parent, f"{stem}-py")
        if others:
            path, exists = others[-1], True
    if not path and named_by:
        # The version is not known (safepip trust): the place the repository names still is.
        return ToolEnv("Poetry", parent, False, "Poetry's environments", named_by, value, parent)
    if not path:
        return None
    place = parent if named_by else ""
    return ToolEnv("Poetry", path, exists, "Poetry's environment for this project", named_by, value, place)


def _poetry_base(reader: Reader) -> tuple[str, str, str] | None:
    """Where Poetry keeps its environments, and the repository file that chose it (if one did)."""
    path, source = _poetry_setting(reader, "virtualenvs.path")
    named_by = source if source == os.path.join(reader.root, "poetry.toml") else ""
    cache, _ = _poetry_setting(reader, "cache-dir")
    if not isinstance(cache, str) or not cache:
        cache = os.path.join(xdg(reader.environ, "XDG_CACHE_HOME", ".cache"), "pypoetry")
    if not isinstance(path, str) or not path:
        return os.path.join(expand(cache, reader.environ), "virtualenvs"), "", ""
    value = path
    path = expand(path.replace("{cache-dir}", cache), reader.environ)
    if not os.path.isabs(path):
        return None  # relative to wherever Poetry runs: not a place safepip can name
    return os.path.normpath(path), named_by, value
