"""A project's own ``[tool.safepip]`` settings that the root discovery reads
(:mod:`safepip.facts.project`): the environment ``venv`` names, and the monorepo rule,
whether a sub-project of a repository whose root is itself a project shares the root's
environment (``subproject``), and uv workspaces, whose members use the workspace root's.
"""

from __future__ import annotations

import os

from safepip.errors import SafepipError
from safepip.venv.layout import is_venv_dir


def configured_env(directory: str) -> str | None:
    """Why ``directory`` holds the environment its ``[tool.safepip] venv`` names, if it exists
    (a pyproject.toml that cannot be read here is left to the configuration's own errors).
    """
    from safepip.facts.config import project_layer

    try:
        configured = project_layer(os.path.join(directory, "pyproject.toml")).get("venv")
    except (SafepipError, OSError, ValueError):
        return None
    if not isinstance(configured, str) or not configured:
        return None
    path = os.path.normpath(os.path.join(directory, os.path.expanduser(configured)))
    return f"holds the virtual environment {configured} ([tool.safepip] venv)" if is_venv_dir(path) else None


def subproject_setting(pyproject: str, root: bool = False) -> str | None:
    """``[tool.safepip] subproject`` in a pyproject.toml, or None (unset, or not readable
    here: the configuration's own errors say so when it is the project's).
    """
    from safepip.facts.config import project_layer

    try:
        values = project_layer(pyproject)
    except (SafepipError, OSError, ValueError):
        return None
    if "venv" in values and not root:
        return "own"  # the sub-project names its own environment
    value = values.get("subproject")
    return value if value in ("root", "own") else None


def shares_root(sub: str, root: str, subproject: tuple[str, bool]) -> bool:
    """Whether the sub-project at ``sub`` uses the environment of the repository's root
    project at ``root`` (the monorepo rule). ``subproject`` is the configured value and
    whether the command line or a variable set it (it then comes first); else the
    sub-project's own ``[tool.safepip] subproject``, the root's, the user's file. ``auto``:
    yes, unless the sub-project names its own environment (``[tool.safepip] venv``) or a
    tool's own file (a lock file, a Pipfile, ``hatch.toml``...) says it is managed on its own.
    """
    from safepip.facts.toolenv import marked

    value, pinned = subproject
    setting = value if pinned else None
    setting = setting or subproject_setting(os.path.join(sub, "pyproject.toml"))
    setting = setting or subproject_setting(os.path.join(root, "pyproject.toml"), root=True) or value
    if setting in ("root", "own"):
        return setting == "root"
    return not marked(sub)


def uv_workspace(sub: str, above: list[str], subproject: tuple[str, bool]) -> tuple[int, str] | None:
    """The uv workspace ``sub`` is a member of, as uv finds it: the nearest directory in
    ``above`` (``sub``'s ancestors, nearest first) whose pyproject.toml has a
    ``[tool.uv.workspace]`` table; ``sub`` is a member when a ``members`` glob names it and no
    ``exclude`` glob does (the root is a member of itself). Returns that directory's index in
    ``above`` and the pyproject.toml read, or None: not a member (an excluded or unlisted
    sub-project follows the monorepo rule), or pinned ``own`` (the command line, a variable,
    or the sub-project's own ``[tool.safepip]``).
    """
    from safepip.facts.toolread import get, read_toml

    if not os.path.isfile(os.path.join(sub, "pyproject.toml")):
        return None  # uv's members are projects
    value, pinned = subproject
    if (value if pinned else subproject_setting(os.path.join(sub, "pyproject.toml"))) == "own":
        return None
    for index, directory in enumerate(above):
        pyproject = os.path.join(directory, "pyproject.toml")
        workspace = get(read_toml(pyproject, mentions="workspace") or {}, "tool", "uv", "workspace") if os.path.isfile(pyproject) else None
        if not isinstance(workspace, dict):
            continue
        named = _globbed(directory, workspace.get("members"))
        here = os.path.realpath(sub)
        if here in named and here not in _globbed(directory, workspace.get("exclude")):
            return index, pyproject
        return None  # the nearest workspace does not take it: uv treats it as a project of its own
    return None


def _globbed(root: str, patterns: object) -> set[str]:
    """The directories the globs (relative to ``root``, as uv reads them) name on disk."""
    import glob

    if not isinstance(patterns, list):
        return set()
    found: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, str) and pattern and not os.path.isabs(pattern):
            found.update(os.path.realpath(p) for p in glob.glob(os.path.join(glob.escape(root), pattern), recursive=True)
                         if os.path.isdir(p))
    return found
