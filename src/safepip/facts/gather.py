"""Gather the facts :func:`safepip.decide.plan` decides on: the target, the project, its
environment, the configuration.

Facts are gathered lazily, cheapest first: an interpreter that is a virtual environment
(``pyvenv.cfg`` beside or above its executable, CPython's own rule) is passed through
without running the probe or reading any configuration file.

Gathering never refuses: a place the trust rules do not let safepip run code from (a project
or environment someone else could change, an interpreter that came with the repository) is
recorded as the ``untrusted`` fact, and gathering stops there, before anything there is read
further, probed or run. The plan turns the fact into the refusal.

Which environment belongs to a project (:func:`project_env`): the configured one, the one of
the tool that manages it (:mod:`safepip.facts.toolenv`), an existing ``.venv``, ``venv`` or
``env``, else where it will be made; the placement rules then judge a place the repository
chose (:func:`_project_spot`).
"""

from __future__ import annotations

import os

from safepip.errors import InterpreterError
from safepip.facts import config as cfg
from safepip.facts.interpreter import Interp, Reads, find_target, probe, resolving, target_reads
from safepip.facts.pipargs import PipCall
from safepip.facts.pipconf import Setting, config_files, settings
from safepip.facts.project import VENV_NAMES, EnvSpot, Project, find_root, walk_reads
from safepip.facts.trust import Untrusted, Who, facts_about_users, target_owner
from safepip.frozen import Frozen, field, record
from safepip.venv.layout import has_pip, is_venv_dir, venv_of

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

    from safepip.facts.toolenv import ToolEnv
    from safepip.paths import Dirs


@record
class Context(Frozen):
    """Everything known about one safepip call."""

    call: PipCall
    interp: Interp
    config: cfg.Config
    cwd: str
    project: Project | None = None
    #: The environment of the project (or of the working directory, ``outside = cwd``).
    env: EnvSpot | None = None
    pip_settings: Mapping[str, Setting] = field(default_factory=dict)
    #: The per-user environment for the target's version (outside a project, ``outside = user-env``).
    user_env: EnvSpot | None = None
    who: Who = field(default_factory=Who)
    #: What gathering read (the memo signs it: :mod:`safepip.remembered.store`).
    reads: Reads = field(default_factory=Reads)
    #: What the trust rules keep safepip from running (gathering stopped there).
    untrusted: Untrusted | None = None


def _unrun(path: str, how: str) -> Interp:
    """What is known of an interpreter without running it (a venv's, passed through; one
    safepip must not run; one it did not get to choose).
    """
    env_dir = venv_of(path) if path else None
    return Interp(
        path=path, how=how, version=(0, 0, 0), implementation="", prefix=env_dir or "", base_prefix="",
        in_venv=env_dir is not None, conda=False, stdlib="", purelib="", platlib="",
        scripts=os.path.dirname(path), marker=None, marker_message=None, marker_problem=None, distributor=None,
        has_pip=env_dir is not None and has_pip(env_dir), managed=False, probed=False,
    )


def _named(cli_python: str | None, environ: Mapping[str, str]) -> Interp:
    """The target as far as it is known without the project's configuration, not run."""
    try:
        return _unrun(*find_target(cli_python, environ))
    except InterpreterError:
        return _unrun("", "not chosen: the project is not trusted")


def _stopped(call: PipCall, config: cfg.Config, cwd: str, project: Project | None, untrusted: Untrusted,
             interp: Interp) -> Context:
    """The facts up to the first untrusted place, where gathering stopped."""
    return Context(call, interp, config, cwd, project, untrusted=untrusted)


def gather(call: PipCall, environ: Mapping[str, str], flags: Mapping[str, Any], *, cwd: str, dirs: Dirs,
           full: bool = False, debug: bool = False) -> Context:
    """Collect the facts for ``call`` made in the working directory ``cwd``, and what was read
    for them. ``dirs``, ``debug`` (``SAFEPIP_DEBUG``) are the session's; ``full`` always
    probes and reads every layer (doctor).
    """
    user_file = dirs.config_file  # found once: read, trusted and listed in the reads
    was = resolving(True)  # each path's real path resolved once while gathering
    try:
        ctx, walked = _gather(call, environ, flags, cwd, full, user_file, debug, dirs)

        # The early pass-through of a named or active venv decides without the project walk.
        reads = walk_reads(ctx.cwd, ctx.project, environ) if walked else Reads()
        if ctx.env is not None:
            reads += Reads(ctx.env.reads)
        isolated = "--isolated" in call.argv
        config = Reads((user_file, *config_files(environ, ctx.interp.prefix, isolated)))
        return ctx.replace_(reads=reads + target_reads(ctx.interp, ctx.cwd, environ) + config)
    finally:
        if not was:
            resolving(False)


def _gather(
    call: PipCall, environ: Mapping[str, str], flags: Mapping[str, Any], cwd: str, full: bool, user_file: str,
    debug: bool, dirs: Dirs,
) -> tuple[Context, bool]:
    """The facts for ``call``, and whether the project walk was made."""
    isolated = "--isolated" in call.argv  # pip looks for the exact token before parsing
    # How pip itself picks another interpreter: --python before the command, else PIP_PYTHON
    # (ignored with --isolated), else ``python =`` in [global] of a config file (read below).
    cli_python = call.python or (None if isolated else environ.get("PIP_PYTHON") or None)
    base = cfg.Config().with_environment(environ).with_flags(flags)
    early = cli_python or environ.get("SAFEPIP_PYTHON") or environ.get("VIRTUAL_ENV") or environ.get("CONDA_PREFIX")
    if early and not full:
        path, how = find_target(cli_python, environ)
        if cli_python and not call.python:
            how = "PIP_PYTHON"
        env_dir = venv_of(path)
        if env_dir is not None and base.policy != "always":
            return Context(call, _unrun(path, how), base, cwd, who=target_owner(env_dir, environ)), False
        if base.policy == "never":
            return Context(call, probe(path, how, environ, dirs), base, cwd), False

    config, project, untrusted = load_config(environ, flags, cwd, user_file, debug=debug)
    if untrusted is not None:
        return _stopped(call, config, cwd, project, untrusted, _named(cli_python, environ)), True
    python = (config.python, config.origin["python"]) if config.python else None
    path, how = find_target(cli_python, environ, python)
    if cli_python and not call.python:
        how = "PIP_PYTHON"
    if project is not None and python is not None and how == f"python (from {python[1]})" and python[1].endswith("[tool.safepip]"):
        untrusted = _project_python(python[0], path, project, environ, config)
    if untrusted is not None:
        return _stopped(call, config, cwd, project, untrusted, _unrun(path, how)), True
    interp = probe(path, how, environ, dirs)
    pip_settings = settings(environ, interp.prefix, isolated)
    file_python = pip_settings.get("python")
    if not cli_python and file_python is not None and file_python.value.strip():
        # pip (this one) would re-run itself on that interpreter: it is the target.
        path, how = find_target(file_python.value.strip(), environ)
        how = f"python (from {file_python.source})"
        interp = probe(path, how, environ, dirs)
        pip_settings = settings(environ, interp.prefix, isolated)
    if (interp.in_venv or (interp.conda and not interp.managed)) and not full:
        return Context(call, interp, config, cwd, project, who=target_owner(interp.prefix, environ)), True
    env = None
    user_env = None
    if project is not None:
        env = _project_spot(project, config, environ, interp)
    elif config.outside == "cwd":
        env = project_env(cwd, config.venv)
    elif config.outside == "user-env":
        from safepip.paths import user_env_dir
        from safepip.venv.layout import is_venv_dir

        path = user_env_dir(environ, interp.version)
        user_env = EnvSpot(path, is_venv_dir(path))
    untrusted = _env_refusal(env, project.root if project is not None else cwd, project is None, environ, config,
                             user_file)
    if untrusted is not None:
        return _stopped(call, config, cwd, project, untrusted, interp), True
    who = facts_about_users(environ, project.root if project else cwd, user_env.path if user_env else None)
    return Context(call, interp, config, cwd, project, env, pip_settings, user_env, who), True


def env_candidates(root: str, configured: str | None) -> list[str]:
    """Where the project's environment is or would be, in order of preference."""
    if configured:
        path = os.path.expanduser(configured)
        return [os.path.normpath(os.path.join(root, path))]
    return [os.path.join(root, name) for name in VENV_NAMES]


def project_env(root: str, configured: str | None, environ: Mapping[str, str] | None = None,
                version: tuple[int, ...] | None = None) -> EnvSpot:
    """The project's environment directory, and whether it already exists as a venv.

    The configured path wins; else the environment of the tool that manages the project
    (:mod:`safepip.facts.toolenv`; given ``environ`` and the target's ``version``) when it
    exists; else the first of ``.venv``, ``venv``, ``env`` that is a virtual environment;
    else where that tool will look for it; else ``.venv``, to be created.
    """
    candidates = env_candidates(root, configured)
    tool = None
    reads: tuple[str, ...] = ()
    if configured is None and environ is not None:
        from safepip.facts.toolenv import find

        found = find(root, environ, version)
        tool, reads = found.env, found.reads
        if tool is not None and tool.exists:
            return _spot(tool, reads)
    for path in candidates:
        if is_venv_dir(path):
            return EnvSpot(path, True, reads=reads)
    if tool is not None:
        return _spot(tool, reads)
    return EnvSpot(candidates[0], False, reads=reads)


def _spot(tool: ToolEnv, reads: tuple[str, ...]) -> EnvSpot:
    return EnvSpot(tool.path, tool.exists, tool.tool, tool.why, tool.named_by, tool.value, tool.place, reads)


def _project_spot(project: Project, config: cfg.Config, environ: Mapping[str, str], interp: Interp) -> EnvSpot:
    """The project's environment, once the placement rules let the repository's choices of
    place stand (a committed ``.venv`` link, a tool's setting written in the repository).
    """
    env = project_env(project.root, config.venv, environ, interp.version)
    if config.venv is None and os.path.islink(env.path):  # only a link can lead out
        from safepip.facts.placement import check_default

        check_default(env.path, project.root, environ, config)
    if env.named_by:
        from safepip.facts.placement import check_tool

        check_tool(env, project.root, environ, config)
    return env


def _project_python(spec: str, path: str, project: Project, environ: Mapping[str, str],
                    config: cfg.Config) -> Untrusted | None:
    """Why the interpreter the project's own ``python = spec`` names (found at ``path``) must
    not run yet, or None; a virtual environment's interpreter outside the project is refused
    as a configuration error (where pip installs is the project's to name only inside it).
    """
    from safepip.facts.placement import check_python
    from safepip.facts.trust import interpreter_reason, interpreter_refusal

    check_python(spec, path, project.root, project.pyproject, environ, config)
    # Before it runs: an interpreter the repository itself ships is not yours yet.
    return interpreter_refusal(path, interpreter_reason(path, project.root), project.root, config.trusted, config.trust)


def _env_refusal(env: EnvSpot | None, root: str, bare: bool, environ: Mapping[str, str],
                 config: cfg.Config, user_file: str) -> Untrusted | None:
    """Why safepip must not use the environment ``env`` of ``root`` (a project, or with
    ``bare`` the working directory of ``outside = cwd``, itself checked first), or None.
    """
    if env is None:
        return None
    untrusted = _refusal(root, "directory", environ, config, user_file) if bare else None
    if untrusted is None and os.path.isdir(env.path):
        from safepip.facts.trust import env_refusal
        from safepip.venv.layout import bin_python

        untrusted = env_refusal(env.path, root, bin_python(env.path), environ, config.trusted, user_file,
                                config.trust, exists=env.exists)
    return untrusted


def _refusal(path: str, what: str, environ: Mapping[str, str], config: cfg.Config, user_file: str) -> Untrusted | None:
    from safepip.facts.trust import refusal

    return refusal(path, what, environ, config.trusted, user_file)


def load_config(
    environ: Mapping[str, str], flags: Mapping[str, Any], cwd: str, user_file: str | None = None, *,
    debug: bool = False,
) -> tuple[cfg.Config, Project | None, Untrusted | None]:
    """The full configuration (every layer; ``user_file`` the user's, when the caller found
    it), the project it was read for, and why the project cannot be trusted (its own layer is
    then not read: it can name an interpreter).
    """
    if user_file is None:
        from safepip.paths import user_config_file

        user_file = user_config_file(environ)
    config = cfg.Config().layered(cfg.user_layer(user_file), user_file)
    early = config.with_environment(environ).with_flags(flags)
    pinned = early.origin["subproject"] not in ("default", user_file)
    project = find_root(cwd, environ, (early.subproject, pinned), debug=debug)
    untrusted = None
    if project is not None:
        # Before its configuration is read: a project's config can name an interpreter.
        untrusted = _refusal(project.root, "project", environ, config, user_file)
        if untrusted is None:
            values = cfg.project_layer(project.pyproject)
            config = config.layered(values, f"{project.pyproject} [tool.safepip]")
    config = config.with_environment(environ).with_flags(flags)
    if project is not None and config.venv and config.origin["venv"] == f"{project.pyproject} [tool.safepip]":
        from safepip.facts.placement import check

        # The repository chose this path, not the user: it stays inside the project unless allowed.
        check(config.venv, project.root, project.pyproject, environ, config)
    return config, project, untrusted
