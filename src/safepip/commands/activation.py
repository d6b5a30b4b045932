"""The environment that follows the directory: what shell-init's activation makes active,
and safepip's view of a shell where its own activation is in effect.

``safepip shell-init`` activates, in each directory, the environment safepip would install
into there when it already exists (the project's; outside any project the per-user one):
its ``bin`` first on PATH, ``VIRTUAL_ENV`` set, and ``SAFEPIP_ACTIVATED`` naming it, so
that safepip can tell its own activation from one the user made.

* :func:`choose` is the one decision, "the environment activation would choose in the
  working directory": the plan of a plain ``pip install`` (the one ``safepip which env``
  follows), kept only when it goes to an environment that exists and works. On the command
  line: ``safepip which env --for-activation`` (``python`` and ``bin`` alike) prints its
  path, or nothing.
* :func:`without_own_activation` is the environment safepip decides with: safepip's own
  activation taken away, so that it never changes where a call goes (outside a project,
  with the per-user environment active, an application still goes to pipx).

Standard library only at import: :mod:`safepip.cli` uses the view before the front door.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.commands.target import Target

#: The variable shell-init's activation exports beside ``VIRTUAL_ENV``: the environment it made active.
ACTIVATED = "SAFEPIP_ACTIVATED"
#: Set by shell-init's ``pip`` function for its own call: the shell activates the
#: environment right after pip returns (the notice then need not say how to use it).
SHELL_ACTIVATES = "SAFEPIP_SHELL_ACTIVATES"


def own(environ: Mapping[str, str]) -> str | None:
    """The environment safepip's activation made active, while it is the active one."""
    env_dir = environ.get(ACTIVATED)
    if env_dir and environ.get("VIRTUAL_ENV") == env_dir:
        return env_dir
    return None


def _without_entry(path_var: str, entry: str) -> str:
    """``path_var`` without the first occurrence of ``entry`` (the one the activation added)."""
    entries = path_var.split(os.pathsep)
    if entry in entries:
        entries.remove(entry)
    return os.pathsep.join(entries)


def without_own_activation(environ: Mapping[str, str]) -> Mapping[str, str]:
    """``environ`` as it would be without safepip's own activation, while that is the
    active one: its ``VIRTUAL_ENV`` unset and its ``bin`` taken off PATH. A venv activated
    by hand over it is the user's, and decides. ``SAFEPIP_ACTIVATED`` stays (the notice
    reads it); the view of a view is itself.
    """
    env_dir = own(environ)
    if env_dir is None:
        return environ
    view = dict(environ)
    del view["VIRTUAL_ENV"]
    if "PATH" in view:
        view["PATH"] = _without_entry(view["PATH"], os.path.join(env_dir, "bin"))
    return view


def choose(environ: Mapping[str, str], flags: Mapping[str, Any] | None = None) -> Target | None:
    """The environment activation would make active in the working directory, or None:
    none while a venv the user activated or a conda environment is active; none where a
    plain ``pip install`` would not go to an existing, working environment (no project
    environment yet, a target that is not externally managed, ``policy = never``, a trust
    or root rule's refusal, an environment that needs repair). ``flags`` are
    ``--safepip-KEY=VALUE`` values for this call.
    """
    from safepip.errors import SafepipError

    if environ.get("CONDA_PREFIX") or environ.get("CONDA_DEFAULT_ENV"):
        return None
    view = without_own_activation(environ)
    if view.get("VIRTUAL_ENV"):
        return None
    try:
        return _existing(view, flags or {})
    except SafepipError:  # no interpreter, an unreadable configuration: nothing to activate
        return None


def _existing(environ: Mapping[str, str], flags: Mapping[str, Any]) -> Target | None:
    from safepip.commands.target import install_context, locate
    from safepip.decide import PROJECT_VENV, USER_ENV
    from safepip.facts.project import is_venv_dir

    ctx = install_context(environ, flags, None)
    plan = ctx.plan()
    if plan.untrusted is not None or plan.kind not in (PROJECT_VENV, USER_ENV) or plan.env_dir is None:
        return None
    target = locate(ctx, plan)
    if not target.exists or target.problem is not None or not is_venv_dir(target.env_dir):
        return None  # not made yet, half made, or broken: `pip install` or `safepip repair` first
    if not (os.path.isfile(target.python) and os.access(target.python, os.X_OK)):
        return None
    return target
