"""pip's command line for a plan: the environment's own pip, else safepip's driving it."""

from __future__ import annotations

from typing import Mapping

from safepip.act.ownpip import pip_command as own_pip
from safepip.act.run import pip_argv

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.decide import Plan


def pip_command(plan: Plan, env_python: str | None, *, env_has_pip: bool, environ: Mapping[str, str]) -> list[str]:
    """pip's command line for ``plan``. ``env_python`` is the interpreter of the plan's
    environment (None when the plan uses none); ``explain`` shows this without running it.
    """
    if env_python is None:
        if plan.python and not plan.own_pip:
            return pip_argv(plan.python, plan.args)
        return [*own_pip(environ), *plan.args]
    if not env_has_pip:
        # An environment made without pip (uv venv, venv --without-pip): drive it with
        # safepip's own pip rather than change what the user made.
        return [*own_pip(environ), "--python", env_python, *plan.args]
    return pip_argv(env_python, plan.args)
