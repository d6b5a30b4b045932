"""pip's command line for a plan: the environment's own pip, else safepip's driving it (with
safepip's section after pip's help); and
what a plan's pip command means for a broken environment (read-only commands never
rebuild it; a rebuild reinstalls with the command's own index options).
"""

from __future__ import annotations

from safepip.runner import OFF_PATH, pip_args, pip_argv
from safepip.venv.ownpip import pip_command as own_pip

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping

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


HELP_SECTION = """
safepip:
  safepip runs pip where it is safe: when the target Python is externally managed
  (PEP 668), install, uninstall, list, freeze, show, check and inspect go to the
  project's virtual environment (created as .venv at the project root if needed).
  Everything else goes to pip unchanged. One line on stderr says where and why.

  Its own commands (each takes --help):
    safepip run CMD [ARGS...]       run CMD in that environment
    safepip which [python|pip|env|bin]  print a path of that environment
    safepip explain PIP-ARGS...     the decision for a pip command line, doing nothing
    safepip doctor                  the interpreter, project, environment and settings
    safepip shell-init bash|zsh|fish  make pip (typed, in make and scripts) run safepip
    safepip audit                   packages pip put into the system Python
    safepip repair                  rebuild a broken environment, reinstalling what it held
    safepip trust [PATH]            allow an interpreter that came with a repository
    safepip self-install [--shims]  install safepip for yourself from safepip.pyz
    safepip self-uninstall          remove what self-install made

  Environment: SAFEPIP_PYTHON, SAFEPIP_POLICY, SAFEPIP_VENV, SAFEPIP_OUTSIDE,
  SAFEPIP_APPS, SAFEPIP_QUIET, SAFEPIP_DEBUG. Flags: --safepip-policy=auto|always|never,
  --safepip-venv=PATH, --safepip-outside=..., --safepip-quiet. Exit codes 64-78 are
  safepip's own (see the README); every other code is pip's.
"""


#: ``python -c`` for pip's help followed by safepip's section, in pip's own process: the
#: working directory off ``sys.path`` first, as for every pip safepip starts
#: (:mod:`safepip.runner`); pip's usage lines name ``python -m pip`` for ``-c`` as for ``-m``.
#: The exit code is pip's: the section is not written to a stdout the caller closed (Python's
#: None), nor does its failed write change the code.
_HELP_PROGRAM = OFF_PATH + """from pip._internal.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
if sys.stdout is not None:
    try:
        sys.stdout.write(%r)
        sys.stdout.flush()
    except OSError:
        pass
sys.exit(code)
"""


def help_command(argv: list[str]) -> list[str] | None:
    """pip's help for ``argv`` (:func:`safepip.runner.pip_argv`) with safepip's section
    after it, as one process; None when pip is not run from an environment's interpreter.
    """
    args = pip_args(argv)
    if args is None:
        return None
    return [argv[0], "-c", _HELP_PROGRAM % HELP_SECTION, *args]
