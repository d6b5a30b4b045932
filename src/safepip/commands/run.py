"""``safepip run CMD [ARGS...]``: run a command in the environment safepip installs into.

The environment's scripts directory goes first on ``PATH`` and ``VIRTUAL_ENV`` is set (as
``activate`` does; ``PYTHONHOME`` is removed, it would break a venv's interpreter), then
safepip execs the command: its exit code, signals and terminal are its own. The
environment is created first when needed, by the same code and under the same lock as
``safepip install``; where ``install`` would refuse, ``run`` refuses with the same message.
"""

from __future__ import annotations

import os
import sys

from safepip.errors import SafepipError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping, Sequence

    from safepip.session import Session

USAGE = """usage: safepip run [--python PYTHON] [--safepip-KEY=VALUE ...] [--] COMMAND [ARGS...]

Run COMMAND with the environment safepip would install into: its bin directory first on
PATH and VIRTUAL_ENV set. The environment is created if it does not exist yet.

  --python PYTHON      the target interpreter, as pip's own --python
  --safepip-KEY=VALUE  a configuration value for this call (policy, venv, outside, apps, quiet)
"""

#: The shell's exit codes for a command that cannot be found or run, which Makefiles and
#: scripts already understand.
EX_NOTFOUND = 127
EX_NOEXEC = 126


def parse_args(args: Sequence[str]) -> tuple[str | None, dict[str, Any], list[str]] | None:
    """Split run's own leading options from the command; None means ``--help``."""
    from safepip.facts.config import FLAG_PREFIX, split_flags

    python: str | None = None
    own: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if arg in ("-h", "--help"):
            return None
        if arg == "--python":
            if i + 1 >= len(args):
                raise UsageError("safepip run: --python needs an interpreter")
            python = args[i + 1]
            i += 2
            continue
        if arg.startswith("--python="):
            python = arg.partition("=")[2]
            i += 1
            continue
        if arg.startswith(FLAG_PREFIX):
            own.append(arg)
            i += 1
            continue
        if arg.startswith("-") and arg != "-":
            raise UsageError(f"safepip run: unknown option {arg}; put the command after -- if it starts with -")
        break
    if python == "":
        from safepip.commands.args import EMPTY

        raise UsageError(f"safepip run: --python: {EMPTY}")
    _, flags = split_flags(own)
    return python, flags, list(args[i:])


def command_environ(environ: Mapping[str, str], bin_dir: str, env_dir: str | None) -> dict[str, str]:
    """The command's environment: ``bin_dir`` first on PATH, ``VIRTUAL_ENV`` for a venv."""
    env = dict(environ)
    entries = [e for e in env.get("PATH", os.defpath).split(os.pathsep) if e and e != bin_dir]
    env["PATH"] = os.pathsep.join([bin_dir, *entries])
    if env_dir is not None:
        env["VIRTUAL_ENV"] = env_dir
    env.pop("PYTHONHOME", None)
    return env


def main(args: list[str], session: Session) -> int:
    """Run the command line after ``run`` in the environment; return its exit code."""
    environ = session.environ
    from safepip.commands.target import ensure_target, install_plan

    parsed = parse_args(args)
    if parsed is None:
        sys.stdout.write(USAGE)
        return 0
    python, flags, command = parsed
    if not command:
        raise UsageError("safepip run: no command given; e.g. safepip run python -m pytest")
    resolved = install_plan(session, flags, python)
    target = ensure_target(resolved.ctx, resolved.plan, session)
    if not flags and python is None and not target.created:
        from safepip.decide import PROJECT_VENV
        from safepip.remembered.record import remember_run

        # The next `safepip run` here (in the project: in any of its directories) execs at
        # once while this choice holds (safepip.front).
        remember_run(resolved.ctx, (target.env_dir, target.python) if target.venv else None, target.bin_dir, environ,
                     debug=session.debug, dirs=session.dirs, project=resolved.plan.kind == PROJECT_VENV,
                     lookup=session.lookup)
    env = command_environ(environ, target.bin_dir, target.env_dir if target.venv else None)
    from safepip.runner import find_command
    from safepip.runner import run as exec_command

    found = find_command(command[0], env["PATH"])
    if found is None:
        where = "" if os.sep in command[0] else f" (looked in {target.bin_dir} and on PATH)"
        raise SafepipError(f"{command[0]}: command not found{where}", exit_code=EX_NOTFOUND)
    return exec_command([os.path.abspath(found), *command[1:]], env, failure_code=EX_NOEXEC)

