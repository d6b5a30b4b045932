"""The environment activation would choose in a directory: the one ``safepip which env``
names, when it may be run.

Activation (shell-init's, and the ``python``/``python3`` shims) makes an environment the
one that ``python3`` runs. It follows exactly the plan of a plain ``pip install`` made
here, as ``safepip which env`` does, and stops short wherever that plan would not run the
environment as it is:

* inside a project: the project's environment, when it exists, is whole, and the trust
  rules let safepip run it (a ``.venv`` that came with the repository is not, until
  ``safepip trust``);
* outside any project: the per-user environment, when it exists;
* nothing (None) while a venv the user activated or a conda environment is active (safepip's
  own activation, ``SAFEPIP_ACTIVATED``, is looked through: it never changes a decision);
* nothing (None) otherwise: no environment yet, a refusal (the trust rules, the sudo and
  root rules, ``outside = "refuse"``), a pass-through (an unmanaged Python, an active or
  named virtual environment, ``policy = "never"``), no interpreter at all.

Nothing is created, probed beyond what ``which`` probes, or changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from safepip.activated import without_own_activation
from safepip.facts.interpreter import Reads

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.paths import Dirs


@dataclass(frozen=True)
class Activation:
    """The environment chosen (None: none), and every path the choice read (for a
    remembered answer to check).
    """

    env_dir: str | None
    reads: Reads = field(default_factory=Reads)


def choose(environ: Mapping[str, str], flags: Mapping[str, Any] | None = None) -> Activation:
    """The environment activation would choose in the working directory, and what was read:
    the one decision behind shell-init's activation, ``safepip which --for-activation`` and
    the python shims. ``flags`` are ``--safepip-KEY=VALUE`` values for this call.

    safepip's own activation is looked through; none while a venv the user activated or a
    conda environment is active. Refusals and a missing interpreter give None; other errors
    (an unreadable configuration file) are raised, as every command raises them.
    """
    from safepip.decide import PROJECT_VENV, USER_ENV
    from safepip.errors import InterpreterError, NoTargetError, PermissionRefused
    from safepip.pipeline import resolve
    from safepip.session import Session

    if environ.get("CONDA_PREFIX") or environ.get("CONDA_DEFAULT_ENV"):
        return Activation(None)
    view = without_own_activation(environ)
    if view.get("VIRTUAL_ENV"):
        return Activation(None)
    try:
        with Session(view) as session:
            resolved = resolve(["install"], session, flags=flags)
    except (InterpreterError, NoTargetError, PermissionRefused):
        return Activation(None)
    ctx, plan = resolved.ctx, resolved.plan
    env_dir = plan.env_dir
    extra: tuple[str, ...] = ()
    if env_dir is not None:
        from safepip.venv.layout import bin_python
        from safepip.venv.state import STATE_FILE

        # Whether it exists, is whole, and which interpreter it holds.
        python = bin_python(env_dir)
        extra = (os.path.dirname(env_dir), env_dir, os.path.join(env_dir, "pyvenv.cfg"),
                 os.path.join(env_dir, STATE_FILE), os.path.dirname(python), python)
    chosen: str | None = None
    if plan.untrusted is None and plan.kind in (PROJECT_VENV, USER_ENV) and env_dir is not None and _usable(env_dir, session.dirs):
        chosen = os.path.abspath(env_dir)
    if not flags:
        from safepip.remembered.record import remember_activation

        # The next `which env --for-activation` (here, or in a project anywhere in it) is
        # answered by the front door while this choice holds.
        remember_activation(ctx, chosen, list(extra), view, debug=session.debug, dirs=session.dirs)
    return Activation(chosen, ctx.reads + Reads(extra))


def _usable(env_dir: str, dirs: Dirs) -> bool:
    """Whether the environment is there and whole (what ``which env`` requires)."""
    from safepip.venv.ensure import broken, working_tree
    from safepip.venv.layout import bin_python, is_venv_dir

    if not is_venv_dir(working_tree(env_dir)) or broken(env_dir, dirs=dirs) is not None:
        return False  # not made yet, half made, or broken: `pip install` or `safepip repair` first
    python = bin_python(env_dir)
    return os.path.isfile(python) and os.access(python, os.X_OK)


def activation_env(environ: Mapping[str, str]) -> str | None:
    """The directory of the environment activation would choose in the working directory
    (None: none; see the module's docstring).
    """
    return choose(environ).env_dir
