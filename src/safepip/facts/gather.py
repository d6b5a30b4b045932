"""Gather the facts ``plan()`` decides on: the target, the project, the configuration.

Facts are gathered lazily, cheapest first: an interpreter that is a virtual environment
(``pyvenv.cfg`` beside or above its executable, CPython's own rule) is passed through
without running the probe or reading any configuration file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from safepip.decide import Plan, Who, plan
from safepip.facts import config as cfg
from safepip.facts.interpreter import Interp, find_target, probe
from safepip.facts.pipargs import PipCall
from safepip.facts.pipconf import Setting, settings
from safepip.facts.project import Project, find_root, project_env, working_directory
from safepip.venvdir import has_pip, venv_of


@dataclass(frozen=True)
class Context:
    """Everything known about one safepip call."""

    call: PipCall
    interp: Interp
    config: cfg.Config
    cwd: str
    project: Project | None = None
    env: tuple[str, bool] | None = None
    pip_settings: Mapping[str, Setting] = field(default_factory=dict)
    user_env: tuple[str, bool] | None = None
    who: Who = field(default_factory=Who)
    #: Whether the project walk and the configuration files were consulted (the early
    #: pass-through of a named or active venv decides without them).
    walked: bool = False

    def plan(self) -> Plan:
        """Decide where this call goes (see :func:`safepip.decide.plan`)."""
        return plan(
            self.call, self.interp, self.project, self.env, self.config, self.pip_settings, self.cwd,
            user_env=self.user_env, who=self.who,
        )


def _venv_interp(path: str, how: str, env_dir: str) -> Interp:
    """What is known of a venv's interpreter without running it."""
    return Interp(
        path=path, how=how, version=(0, 0, 0), implementation="", prefix=env_dir, base_prefix="",
        in_venv=True, conda=False, stdlib="", purelib="", platlib="", scripts=os.path.dirname(path),
        marker=None, marker_message=None, marker_problem=None, distributor=None, has_pip=has_pip(env_dir),
    )


def gather(call: PipCall, environ: Mapping[str, str], flags: Mapping[str, Any], *, full: bool = False) -> Context:
    """Collect the facts for ``call``. ``full`` always probes and reads every layer (doctor)."""
    cli_python = call.last("--python") if call.error is None else None
    base = cfg.Config().with_environment(environ).with_flags(flags)
    cwd = working_directory()
    early = cli_python or environ.get("SAFEPIP_PYTHON") or environ.get("VIRTUAL_ENV") or environ.get("CONDA_PREFIX")
    if early and not full:
        path, how = find_target(cli_python, environ)
        env_dir = venv_of(path)
        if env_dir is not None and base.policy != "always":
            return Context(call, _venv_interp(path, how, env_dir), base, cwd, who=target_owner(env_dir, environ))
        if base.policy == "never":
            return Context(call, probe(path, how, environ), base, cwd)

    config, project = load_config(environ, flags, cwd)
    python = (config.python, config.origin["python"]) if config.python else None
    path, how = find_target(cli_python, environ, python)
    if project is not None and python is not None and how == f"python (from {python[1]})" and python[1].endswith("[tool.safepip]"):
        from safepip.facts.repocode import interpreter_reason

        # Before it runs: an interpreter the repository itself ships is not yours yet.
        _check_repo_code(path, interpreter_reason(path, project.root), project.root, environ, config)
    interp = probe(path, how, environ)
    if (interp.in_venv or interp.conda) and not full:
        return Context(call, interp, config, cwd, project, walked=True, who=target_owner(interp.prefix, environ))
    env = None
    user_env = None
    if project is not None:
        env = project_env(project.root, config.venv)
    elif config.outside == "cwd":
        _check_trust(cwd, "directory", environ, config)
        env = project_env(cwd, config.venv)
    elif config.outside == "user-env":
        from safepip.facts.project import is_venv_dir
        from safepip.paths import user_env_dir

        path = user_env_dir(environ, interp.version)
        user_env = (path, is_venv_dir(path))
    if env is not None and os.path.isdir(env[0]):
        _check_trust(env[0], "environment", environ, config)
        if env[1]:
            from safepip.facts.repocode import env_reason
            from safepip.venvdir import bin_python

            root = project.root if project is not None else cwd
            _check_repo_code(bin_python(env[0]), env_reason(env[0], root), root, environ, config)
    isolated = "--isolated" in call.argv
    who = facts_about_users(environ, project.root if project else cwd, user_env[0] if user_env else None)
    pip_settings = settings(environ, interp.prefix, isolated)
    return Context(call, interp, config, cwd, project, env, pip_settings, user_env, who, walked=True)


def facts_about_users(environ: Mapping[str, str], directory: str, user_env: str | None) -> Who:
    """Who runs safepip, and who owns the directory it would work in (for the root rules)."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows has no uids
        return Who()
    from safepip.paths import existing_owner

    euid = os.geteuid()
    if euid != 0:
        return Who(euid=euid)  # the rules only concern root: skip the stat calls
    sudo_uid = environ.get("SUDO_UID", "")
    owner = existing_owner(directory)
    owner_name = None
    if owner is not None:
        import pwd

        try:
            owner_name = pwd.getpwuid(owner).pw_name
        except KeyError:
            owner_name = None
    return Who(
        euid=euid,
        sudo_uid=int(sudo_uid) if sudo_uid.isdigit() else None,
        sudo_user=environ.get("SUDO_USER") or None,
        owner=owner,
        owner_name=owner_name,
        data_owner=existing_owner(user_env) if user_env else None,
        allow_root=environ.get("SAFEPIP_ALLOW_ROOT") == "1",
    )


def target_owner(env_dir: str, environ: Mapping[str, str]) -> Who:
    """For root only: who owns the environment it was pointed at (the sudo rule's fact)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return Who(euid=os.geteuid() if hasattr(os, "geteuid") else None)
    import dataclasses

    who = facts_about_users(environ, env_dir, None)
    return dataclasses.replace(who, target_owner=who.owner, target_owner_name=who.owner_name)


def _check_trust(path: str, what: str, environ: Mapping[str, str], config: cfg.Config, user_file: str | None = None) -> None:
    from safepip.facts.trust import check
    from safepip.paths import user_config_file

    check(path, what, environ, config.trusted, user_file or user_config_file(environ))


def _check_repo_code(python: str, reason: str | None, root: str, environ: Mapping[str, str], config: cfg.Config) -> None:
    """Refuse (exit 77) to run ``python``, which came with the repository at ``root``
    (``reason`` says how; None: it did not), unless the user trusted it as it is now.
    """
    if reason is None:
        return
    from safepip.errors import PermissionRefused
    from safepip.facts.repocode import trusted
    from safepip.facts.trust import is_trusted

    if is_trusted(root, config.trusted):
        return
    state = trusted(python, config.trust)
    if state:
        return
    if state is False:
        raise PermissionRefused(
            f"{python} changed since you trusted it ({reason}); look at it, then: safepip trust {root}"
        )
    raise PermissionRefused(
        f"{reason}: safepip will not run an interpreter that came with the repository until you "
        f"trust it; look at it, then: safepip trust {root}"
    )


def load_config(environ: Mapping[str, str], flags: Mapping[str, Any], cwd: str) -> tuple[cfg.Config, Project | None]:
    """The full configuration (every layer) and the project it was read for."""
    from safepip.paths import user_config_file

    user_file = user_config_file(environ)
    config = cfg.Config().layered(cfg.user_layer(user_file), user_file)
    project = find_root(cwd, environ)
    if project is not None:
        # Before its configuration is read: a project's config can name an interpreter.
        _check_trust(project.root, "project", environ, config, user_file)
        values = cfg.project_layer(project.pyproject)
        config = config.layered(values, f"{project.pyproject} [tool.safepip]")
    config = config.with_environment(environ).with_flags(flags)
    return config, project
