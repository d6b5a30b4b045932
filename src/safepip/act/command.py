"""pip's command line for a plan: the environment's own pip, else safepip's driving it; and
what a plan's pip command means for a broken environment (read-only commands never
rebuild it; a rebuild reinstalls with the command's own index options).
"""

from __future__ import annotations

from typing import Mapping

from safepip.launch import pip_argv
from safepip.venv.ownpip import pip_command as own_pip

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.decide import Plan
    from safepip.facts.pipargs import PipCall

#: pip commands that only read an environment: they never rebuild a broken one.
READ_ONLY = frozenset({"list", "freeze", "show", "check", "inspect"})
REPAIR_HINT = "`safepip repair` rebuilds it and reinstalls what it holds"
#: pip options that say where distributions come from: a rebuild's reinstall uses them too.
INDEX_OPTIONS = (
    "--index-url", "--extra-index-url", "--no-index", "--find-links", "--trusted-host", "--cert", "--client-cert",
    "--proxy", "--pre", "--only-binary", "--no-binary", "--prefer-binary", "--no-build-isolation",
)


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


def index_options(call: PipCall) -> list[str]:
    """The options of ``call`` that say where pip finds distributions (for a reinstall)."""
    found: list[str] = []
    for option in call.options:
        if option.name in INDEX_OPTIONS:
            found.extend([option.name] if option.value is None else [option.name, option.value])
    return found
