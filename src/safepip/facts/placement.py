"""Where a project's own configuration may put its environment: inside the project.

``[tool.safepip] venv`` comes with the repository, so whoever wrote the repository chose
it, not the user who cloned it. Left alone it could send installs into the user's per-user
environment (``~/.local/share/safepip/envs/...``), make a read-only ``freeze`` create an
environment anywhere the user can write, or point safepip's rebuilds at a directory that is
not the project's. So a project's value must be a relative path that stays below the
project root: no ``~``, no absolute path, no ``..``, no link inside the project that leads
out of it, not the project root itself, and nowhere in or over safepip's own directories.
On the project, above it, or over safepip's own directories no environment ever goes,
whoever allows it: an environment there would hold them.

A project's ``python`` that names (by a path, not a command name) the interpreter of a
virtual environment outside the project sends installs there too: it is refused the same
way, until ``safepip trust`` records that interpreter with its identity.

The same holds for a link at the environment's default place (``.venv -> ../elsewhere``)
that the repository committed: it is the repository's choice of place too (a link you made
yourself is yours, wherever it leads).

Anything else stops every command (exit 78) with one line that says how to allow it, until
the user does: ``safepip trust PROJECT`` records the place the value leads to (a changed
value, or a link that now leads elsewhere, needs trusting again), or the project is in the
user file's ``trusted`` list. The user's own ``venv`` (the user file, ``SAFEPIP_VENV``,
``--safepip-venv``) is the user's word and may point anywhere.
"""

from __future__ import annotations

import os
from typing import Mapping

from safepip.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.facts.config import Config
    from safepip.facts.project import EnvSpot

#: How a placement the user allowed is recorded in ``[trust]``, keyed by the project root.
RECORD_PREFIX = "venv:"


def _within(path: str, top: str) -> bool:
    """``path`` is ``top`` or below it (both real paths)."""
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def destination(configured: str, root: str) -> str:
    """Where the value ``configured`` puts the environment, followed through every link (the
    place a trust record names). ``..`` is folded first, as for the path safepip uses
    (:func:`safepip.facts.gather.env_candidates`).
    """
    return os.path.realpath(os.path.normpath(os.path.join(root, os.path.expanduser(configured))))


def over(configured: str, root: str, environ: Mapping[str, str]) -> bool:
    """Whether ``configured`` puts the environment on the project itself, above it, or over
    one of safepip's own directories: a place no trust makes an environment's (an
    environment there would hold them, and a rebuild would move them aside).
    """
    from safepip.paths import own_dirs

    real = destination(configured, root)
    holds = [os.path.realpath(root), *(os.path.realpath(own) for own in own_dirs(environ))]
    return any(_within(mine, real) for mine in holds)


def problem(configured: str, root: str, environ: Mapping[str, str]) -> str | None:
    """How the project's ``venv = configured`` puts the environment where a repository may
    not (a phrase that follows "puts the environment"), or None when it stays inside.
    """
    from safepip.paths import own_dirs

    path = os.path.normpath(os.path.join(root, os.path.expanduser(configured)))
    real = destination(configured, root)
    top = os.path.realpath(root)
    for own in own_dirs(environ):
        mine = os.path.realpath(own)
        if _within(real, mine):
            return f"in safepip's own directory {own} (at {real})"
        if _within(mine, real):
            return f"at {real}, which holds safepip's own directory {own}"
    if real == top:
        return "at the project root itself"
    if _within(top, real):
        return f"at {real}, which holds the project"
    if not _within(real, top):
        if _within(path, top):  # lexically inside: a link on the way leads out
            return f"outside the project: {path} leads to {real}"
        return f"outside the project, at {real}"
    parts = configured.replace(os.altsep or os.sep, os.sep).split(os.sep)
    if configured.startswith("~"):
        return f"at {real} through ~, which depends on who runs safepip"
    if os.path.isabs(configured):
        return f"at {real} through an absolute path, which depends on where the project is"
    if ".." in parts:
        return f"at {real} through .., which climbs out before it comes back"
    return None


def record(configured: str, root: str) -> str:
    """The ``[trust]`` value that allows the project at ``root`` to put its environment
    where ``configured`` leads now.
    """
    return RECORD_PREFIX + destination(configured, root)


def allowed(configured: str, root: str, config: Config) -> bool:
    """Whether the user allowed the project at ``root`` to put its environment where
    ``configured`` leads: ``safepip trust`` recorded that very place, or the project is in
    the ``trusted`` list.
    """
    from safepip.facts.trust import is_trusted

    if is_trusted(root, config.trusted):
        return True
    return config.trust.get(os.path.abspath(root)) == record(configured, root)


def _allow(configured: str, root: str, environ: Mapping[str, str]) -> str:
    """How the user allows it (or, where nothing can, what to do instead)."""
    if over(configured, root, environ):
        return "No environment goes there, trusted or not: put it in a directory of its own inside the project"
    return f"If you want it there: {_allow_python(root, environ)}"


def _allow_python(root: str, environ: Mapping[str, str]) -> str:
    from safepip.paths import user_config_file

    return f'safepip trust {root} (or trusted = ["{root}"] in {user_config_file(environ)})'


def check(configured: str, root: str, pyproject: str, environ: Mapping[str, str], config: Config) -> None:
    """Refuse (exit 78) the project's ``venv = configured`` unless it stays inside the
    project or the user allowed it (see the module's rules).
    """
    why = problem(configured, root, environ)
    if why is None or (allowed(configured, root, config) and not over(configured, root, environ)):
        return
    from safepip.facts.config import located

    raise ConfigError(
        f"{located(pyproject, 'venv')}: venv = {configured!r} puts the environment {why}; a project's own "
        f"configuration may only put it inside the project. {_allow(configured, root, environ)}"
    )


def committed_link(env_dir: str, root: str, environ: Mapping[str, str], config: Config) -> str | None:
    """Why the environment's default place (``.venv``, ``venv``, ``env`` at the root) is a
    link the repository committed that leads out of the project (or into safepip's own
    directories), or None: one you made yourself is yours, wherever it leads.
    """
    name = os.path.basename(env_dir)
    if not os.path.islink(env_dir) or os.path.dirname(env_dir) != root:
        return None
    why = problem(name, root, environ)
    if why is None or (allowed(name, root, config) and not over(name, root, environ)):
        return None
    from safepip.facts.trust import committed

    return why if committed([env_dir]) else None


def check_default(env_dir: str, root: str, environ: Mapping[str, str], config: Config) -> None:
    """Refuse (exit 78) a committed link at the environment's default place that leads out
    (see :func:`committed_link`), unless the user allowed it.
    """
    why = committed_link(env_dir, root, environ, config)
    if why is not None:
        raise ConfigError(
            f"{env_dir} is a link committed in git: it puts the environment {why}; a repository may only "
            f"put it inside the project. {_allow(os.path.basename(env_dir), root, environ)}"
        )


def python_problem(spec: str, python: str, root: str, environ: Mapping[str, str]) -> str | None:
    """Where the project's ``python = spec`` (found at ``python``) sends installs when it is
    the interpreter of a virtual environment outside the project or in safepip's own
    directories (pip installs into that environment), or None. A bare command name is
    found on your PATH: your choice, not the project's.
    """
    named_place = spec.startswith("~") or os.sep in spec or bool(os.altsep and os.altsep in spec)
    if not named_place and not os.path.isdir(spec):
        return None
    from safepip.paths import own_dirs
    from safepip.venv.layout import venv_of

    env = venv_of(python)
    if env is None:
        return None
    real = os.path.realpath(env)
    for own in own_dirs(environ):
        if _within(real, os.path.realpath(own)):
            return f"in safepip's own directory {own} ({env})"
    if not _within(real, os.path.realpath(root)):
        return f"outside the project ({env})"
    return None


def check_python(spec: str, python: str, root: str, pyproject: str, environ: Mapping[str, str], config: Config) -> None:
    """Refuse (exit 78) the project's ``python = spec`` when it is the interpreter of a
    virtual environment outside the project (see :func:`python_problem`), unless the user
    trusted that interpreter with ``safepip trust`` or the project is in ``trusted``.
    """
    why = python_problem(spec, python, root, environ)
    if why is None:
        return
    from safepip.facts.trust import is_trusted, trusted

    if is_trusted(root, config.trusted) or trusted(python, config.trust):
        return
    from safepip.facts.config import located

    raise ConfigError(
        f"{located(pyproject, 'python')}: python = {spec!r} is the interpreter of a virtual environment {why}, "
        f"where pip would install; a project's own configuration may only name an environment inside the "
        f"project. If you want it: {_allow_python(root, environ)}"
    )


def tool_problem(env: EnvSpot, root: str, environ: Mapping[str, str]) -> str | None:
    """Where a tool's setting written in the repository (``env.named_by``: Hatch's ``path``,
    Poetry's ``poetry.toml``, PDM's ``.pdm-python``) puts the project's environment when
    that is not inside the project (a phrase that follows "puts the environment"), or None.
    Such a file is the repository's choice, as ``[tool.safepip] venv`` is.
    """
    if not env.named_by:
        return None
    return problem(os.path.relpath(env.place or env.path, root), root, environ)


def check_tool(env: EnvSpot, root: str, environ: Mapping[str, str], config: Config) -> None:
    """Refuse (exit 78) a tool's setting written in the repository that puts the project's
    environment outside it (see :func:`tool_problem`), unless the user allowed that place
    (``safepip trust PROJECT``, or the ``trusted`` list).
    """
    why = tool_problem(env, root, environ)
    place = env.place or env.path
    if why is None or (allowed(place, root, config) and not over(place, root, environ)):
        return
    raise ConfigError(
        f"{env.named_by}: {env.value!r} puts {env.tool}'s environment {why}; a repository's own files may only "
        f"put it inside the project. {_allow(place, root, environ)}"
    )
