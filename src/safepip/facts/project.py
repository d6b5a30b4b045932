"""Project root discovery (which environment the project uses: :func:`safepip.facts.gather.project_env`).

The walk goes up from the working directory, reading each directory's entries, until the
repository root (the first directory holding ``.git``), the user's home directory, the
filesystem root (never a project), a change of filesystem, or a directory owned by another
user (root's directories are crossed; under sudo, so are the invoking user's, so that
safepip can see the project and refuse to touch it as root). Above a strong marker, where
rule 3's requirements file cannot count, a directory holding none of the fixed names is
not listed (:func:`_look`). Of what it saw:

1. the nearest directory holding an existing virtual environment (``.venv``, ``venv``,
   ``env``, the one its pyproject.toml's ``[tool.safepip] venv`` names, or the one the tool
   that manages it uses: :mod:`safepip.facts.toolenv`) up to the repository root is the root:
   ``docs/`` with its own requirements file, or a workspace member ``packages/a/`` with its
   own pyproject.toml, use the environment at the repository root;
2. else the nearest directory holding ``pyproject.toml``, ``setup.py``, ``setup.cfg``,
   ``Pipfile`` or ``.git`` (home only if nothing below it marks a project); but a sub-project
   of a repository whose root is itself a project shares the root's environment (one
   environment for a monorepo, whatever the order), unless the ``subproject`` setting says
   ``own`` or, left at ``auto``, the sub-project names its own environment or its own tool
   manages it on its own (a lock file, a ``Pipfile``, ``hatch.toml``...); a uv workspace's
   member uses the workspace root's environment, as uv does (:func:`uv_workspace`);
3. else the nearest holding a ``requirements*.txt``: a weak marker, that counts only when no
   stronger one stands above it below home.

The project's own ``[tool.safepip]`` settings that the walk reads are here too: the
environment ``venv`` names (:func:`configured_env`), and the monorepo rule, whether a
sub-project of a repository whose root is itself a project shares the root's environment
(``subproject``: :func:`shares_root`), and uv workspaces, whose members use the workspace
root's (:func:`uv_workspace`).
"""

from __future__ import annotations

import os

from safepip.errors import SafepipError
from safepip.facts.interpreter import Reads, ancestors, realpath
from safepip.facts.walkup import (
    LOOKED_FOR,
    MARKER_FILES,
    TOOL_FILES,
    VENV_NAMES,
    Unreadable,
    climb,
    crossable_owners,
    fixed_names,
    home_dir,
)
from safepip.facts.walkup import names as walk_names
from safepip.frozen import Frozen, field, record
from safepip.venv.layout import is_venv_dir

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping

__all__ = ["MARKER_FILES", "TOOL_FILES", "VENV_NAMES", "EnvSpot", "Project", "crossable_owners", "find_root",
           "walk_reads"]


@record
class EnvSpot(Frozen):
    """Where an environment is, or would be made: ``path``, and whether a virtual
    environment already ``exists`` there. ``tool`` is the tool whose environment it is
    (Poetry, PDM, Hatch, pipenv, uv; empty: safepip's own choice), ``why`` says so for the
    notice, and ``named_by`` is the repository file that chose the place, if one did.
    """

    path: str
    exists: bool
    tool: str = ""
    why: str = ""
    named_by: str = ""
    value: str = ""
    #: The place a repository's tool setting names (the placement rules judge it), if not ``path``.
    place: str = ""
    #: What finding the tool's environment read (remembered answers sign it).
    reads: tuple[str, ...] = field(default=(), compare=False)


@record
class Project(Frozen):
    """A project root and what made it one; ``seen`` is the highest directory whose entries
    the walk read (the root, or above it up to the repository root or home).
    """

    root: str
    why: str
    seen: str = ""
    #: Paths read to find the tools' own environments on the way (remembered answers sign them).
    tool_reads: tuple[str, ...] = ()

    @property
    def pyproject(self) -> str:
        """The project's pyproject.toml (which may not exist)."""
        return os.path.join(self.root, "pyproject.toml")


def _strangers(directory: str, names: set[str], owners: set[int] | None, debug: bool) -> set[str]:
    """The names in a world-writable sticky directory (``/tmp/work``) that belong to users
    the walk does not trust: anyone can put a marker there, so theirs make no project
    (each said on stderr when ``debug``, the session's ``SAFEPIP_DEBUG``).
    """
    import stat

    try:
        st = os.stat(directory)
    except OSError:
        return set()
    if owners is None or not (st.st_mode & stat.S_ISVTX and st.st_mode & stat.S_IWOTH):
        return set()
    ignored = set()
    for name in names:
        try:
            uid = os.lstat(os.path.join(directory, name)).st_uid
        except OSError:
            continue
        if uid not in owners:
            ignored.add(name)
            if debug:
                import sys

                sys.stderr.write(f"safepip: debug: ignoring {os.path.join(directory, name)}: uid {uid}'s, "
                                 "in a directory every user can write to\n")
    return ignored


def _unreadable(directory: str, exc: OSError) -> SafepipError:
    """The one line for a directory the walk cannot read: it cannot tell whether it is the
    project, so it stops (it never falls through to "outside a project").
    """
    code = 77 if isinstance(exc, PermissionError) else 69
    if len(directory) > 300:  # deeper than the system's limit: one line still
        directory = f"{directory[:80]}...{directory[-120:]}"
    return SafepipError(
        f"cannot read {directory} ({exc.strerror or type(exc).__name__}) while looking for the project root; "
        "safepip cannot tell whether it is a project. cd elsewhere, or name the environment with --python",
        exit_code=code,
    )


def _names(directory: str) -> set[str]:
    """The names in ``directory`` the walk looks for (:func:`safepip.facts.walkup.names`);
    fails closed (one line) when it cannot tell.
    """
    try:
        return walk_names(directory)
    except Unreadable as exc:
        raise _unreadable(exc.directory, exc.error) from None


@record
class _Seen(Frozen):
    """What one directory of the walk holds."""

    path: str
    strong: str | None  # why it is a project by a strong marker
    weak: str | None  # a requirements*.txt
    env: str | None  # an existing environment in it
    git: bool
    #: A project file (not only ``.git``): a repository root that is itself a project.
    project: bool = False
    #: What finding a tool's environment read.
    reads: tuple[str, ...] = ()


def _look(directory: str, owners: set[int] | None = None, environ: Mapping[str, str] | None = None, *,
          debug: bool = False, above: bool = False) -> _Seen:
    """What ``directory`` holds for the walk. ``above``: a strong marker below (not home's)
    was seen, so a ``requirements*.txt`` here cannot count (:func:`_choose`): a directory
    holding none of the fixed names is then not listed at all.
    """
    fixed = fixed_names(directory) if above else None
    listed = _names(directory) if fixed is None else fixed
    # What the walk reads alone: the owners of the other names (the thousand of a /tmp) go unasked.
    names = {n for n in listed if n in LOOKED_FOR or (n.startswith("requirements") and n.endswith(".txt"))}
    names -= _strangers(directory, names, owners, debug)
    strong = next((f"holds {name}" for name in MARKER_FILES if name in names), None)
    weak = next(
        (f"holds {n}" for n in sorted(names) if n.startswith("requirements") and n.endswith(".txt")), None
    )
    env = configured_env(directory) if "pyproject.toml" in names else None
    env = env or next(
        (f"holds the virtual environment {n}/" for n in VENV_NAMES if n in names and is_venv_dir(os.path.join(directory, n))),
        None,
    )
    reads: tuple[str, ...] = ()
    if env is None and environ is not None and any(n in names for n in TOOL_FILES):
        from safepip.facts.toolenv import find

        found = find(directory, environ, existing=True)
        reads = found.reads
        if found.env is not None:
            env = f"has {found.env.why} ({found.env.path})"
    is_project = any(n in names for n in MARKER_FILES if n != ".git")
    return _Seen(directory, strong, weak, env, ".git" in names, is_project, reads)


def _choose(seen: list[_Seen], home: str, subproject: tuple[str, bool] = ("auto", False)) -> Project | None:
    """The root among the directories the walk read, nearest first (rules in the module doc)."""
    top = seen[-1].path if seen else ""
    # Home as a repository (dotfiles) is no repository root for the projects below it.
    git = next((i for i, d in enumerate(seen) if d.git and d.path != home), None)
    strong = next((i for i, d in enumerate(seen) if d.strong and d.path != home), None)
    weak = next((i for i, d in enumerate(seen) if d.weak), None)
    # Existing environments count up to the repository root; without one, up to the nearest marker.
    nearest = min((i for i in (strong, weak) if i is not None), default=len(seen) - 1)
    reach = git if git is not None else nearest
    reads = tuple(r for d in seen for r in d.reads)
    member = None if strong is None else uv_workspace(seen[strong].path, [d.path for d in seen[strong + 1 :]],
                                                      subproject)
    if member is not None and strong is not None:  # as uv does: the workspace root's environment
        found = _choose(seen[strong + 1 + member[0] :], home, subproject)
        if found is not None:
            why = f"{found.why} (the uv workspace whose member {seen[strong].path} is)"
            return Project(found.root, why, top, (*reads, member[1]))
    for d in seen[: reach + 1]:
        if d.env:
            return Project(d.path, d.env, top, reads)
    if strong is not None:
        sub = seen[strong]
        if git is not None and git > strong and seen[git].project and shares_root(sub.path, seen[git].path, subproject):
            root = seen[git]
            why = f"{root.strong}: the repository's root project, whose environment {sub.path} shares"
            return Project(root.path, why, top, reads)
        return Project(sub.path, sub.strong or "", top, reads)
    if weak is not None:
        return Project(seen[weak].path, seen[weak].weak or "", top)
    if seen and seen[-1].path == home and seen[-1].strong:
        return Project(home, seen[-1].strong, top)
    return None




def find_root(start: str, environ: Mapping[str, str], subproject: tuple[str, bool] = ("auto", False), *,
              debug: bool = False) -> Project | None:
    """The project containing ``start``, or None outside any project. ``subproject`` is
    the ``subproject`` setting and whether the command line or a variable set it; ``debug``
    (the session's) says which markers the walk ignores.
    """
    home = home_dir(environ)
    owners = crossable_owners(environ)
    current = realpath(start)
    try:
        device = os.stat(current).st_dev
    except OSError as exc:
        raise _unreadable(current, exc) from None
    seen: list[_Seen] = []
    while True:
        try:
            above = any(d.strong and d.path != home for d in seen)
            here = _look(current, owners, environ, debug=debug, above=above)
        except SafepipError:
            if any(d.strong for d in seen):
                break  # a project was found below: only an environment up here could change it
            raise
        seen.append(here)
        try:
            parent = climb(current, here.git, device, owners, home)  # the front door's climb too
        except OSError as exc:
            if any(d.strong for d in seen):
                break
            raise _unreadable(os.path.dirname(current), exc) from None
        if parent is None:
            break
        current = parent
    return _choose(seen, home, subproject)


def walk_reads(cwd: str, project: Project | None, environ: Mapping[str, str]) -> Reads:
    """What the walk from ``cwd`` read: the entries of each directory up to the project root
    (without a project, up to home); above it, up to where the walk stopped, only the markers
    and environments it looks for (a busy /tmp above a project must not make every answer
    stale); the project's pyproject.toml. Every directory above ``cwd`` is owned: the trust
    rules look at its owner and mode.
    """
    upward = ancestors(cwd)
    stop = project.root if project is not None else realpath(environ.get("HOME") or "/")
    walked = upward[: upward.index(stop) + 1] if stop in upward else upward
    paths = list(walked)
    seen = project.seen if project is not None else ""
    if seen in upward and upward.index(seen) >= len(walked):
        names = (*MARKER_FILES, *(os.path.join(v, "pyvenv.cfg") for v in VENV_NAMES))
        paths.extend(os.path.join(d, n) for d in upward[len(walked) : upward.index(seen) + 1] for n in names)
    if project is not None:
        paths.append(project.pyproject)
        paths.extend(project.tool_reads)
    return Reads(tuple(paths), tuple(upward))


# -- The project's own settings the walk reads: [tool.safepip] venv, subproject; uv workspaces --


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
