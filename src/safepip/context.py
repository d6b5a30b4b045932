"""Gather the facts ``plan()`` decides on: the target, the project, the configuration.

Facts are gathered lazily, cheapest first: an interpreter that is a virtual environment
(``pyvenv.cfg`` beside or above its executable, CPython's own rule) is passed through
without running the probe or reading any configuration file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import config as cfg
from .decide import Plan, plan
from .interpreter import Interp, find_target, probe
from .pipargs import PipCall
from .pipconf import Setting, settings
from .project import Project, find_root, project_env, working_directory


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

    def plan(self) -> Plan:
        return plan(self.call, self.interp, self.project, self.env, self.config, self.pip_settings, self.cwd)


def venv_of(python: str) -> str | None:
    """The virtual environment an interpreter path belongs to, by CPython's own rule:
    ``pyvenv.cfg`` in the executable's directory or its parent."""
    bindir = os.path.dirname(python)
    for candidate in (bindir, os.path.dirname(bindir)):
        if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
            return candidate
    return None


def _venv_interp(path: str, how: str, env_dir: str) -> Interp:
    """What is known of a venv's interpreter without running it."""
    from .envs import has_pip

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
            return Context(call, _venv_interp(path, how, env_dir), base, cwd)
        if base.policy == "never":
            return Context(call, probe(path, how, environ), base, cwd)

    config, project = load_config(environ, flags, cwd)
    python = (config.python, config.origin["python"]) if config.python else None
    path, how = find_target(cli_python, environ, python)
    interp = probe(path, how, environ)
    ctx = Context(call, interp, config, cwd, project)
    if (interp.in_venv or interp.conda) and not full:
        return ctx
    env = None
    if project is not None:
        env = project_env(project.root, config.venv)
    elif config.outside == "cwd":
        _check_trust(cwd, "directory", environ, config)
        env = project_env(cwd, config.venv)
    if env is not None and os.path.isdir(env[0]):
        _check_trust(env[0], "environment", environ, config)
    isolated = "--isolated" in call.argv
    return Context(call, interp, config, cwd, project, env, settings(environ, interp.prefix, isolated))


def _check_trust(path: str, what: str, environ: Mapping[str, str], config: cfg.Config, user_file: str | None = None) -> None:
    from .paths import user_config_file
    from .trust import check

    check(path, what, environ, config.trusted, user_file or user_config_file(environ))


def load_config(environ: Mapping[str, str], flags: Mapping[str, Any], cwd: str) -> tuple[cfg.Config, Project | None]:
    """The full configuration (every layer) and the project it was read for."""
    from .paths import user_config_file

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
