"""What the verbs share: their small argument parsers, and "the environment safepip would
install into" (found through the same plan as ``safepip install``, created only on request).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from safepip.errors import NoTargetError, UsageError

if TYPE_CHECKING:
    import argparse

    from safepip.context import Context
    from safepip.decide import Plan


class _DoneError(Exception):
    """argparse asked to stop (``--help``): carries the exit code back to the verb."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An argparse parser whose errors are safepip usage errors (exit 64), not ``sys.exit(2)``."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> Any:  # argparse's own signature returns NoReturn
            raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")

        def exit(self, status: int = 0, message: str | None = None) -> Any:
            if message:
                self._print_message(message)
            raise _DoneError(status)

    return _Parser(prog=prog, description=description)


def parse(parser: argparse.ArgumentParser, args: Sequence[str]) -> argparse.Namespace | int:
    """Parse ``args``; an int is the exit code to return at once (after ``--help``)."""
    try:
        return parser.parse_args(list(args))
    except _DoneError as done:
        return done.code


def install_context(
    environ: Mapping[str, str], flags: Mapping[str, Any], python: str | None, *, full: bool = False
) -> Context:
    """The facts for a plain ``pip install`` (optionally ``--python PYTHON``): where safepip
    would install is where ``run`` and ``which`` point.
    """
    from safepip.context import gather
    from safepip.pipargs import scan

    argv = ["--python", python, "install"] if python else ["install"]
    return gather(scan(argv), environ, flags, full=full)


@dataclass(frozen=True)
class Target:
    """The environment a plan points at: its directory, interpreter and scripts directory.

    ``venv`` says whether it is a virtual environment (``VIRTUAL_ENV`` is set only then);
    ``exists`` whether it is there now; ``problem`` why it cannot be used as it is.
    """

    env_dir: str
    python: str
    bin_dir: str
    venv: bool
    exists: bool = True
    problem: str | None = None
    created: bool = False


def locate(ctx: Context, plan: Plan) -> Target:
    """Where ``plan`` would install, without creating anything. A refusal raises its error."""
    from safepip._quick import bin_python
    from safepip.decide import PASSTHROUGH, REFUSE
    from safepip.envs import broken, working_tree
    from safepip.project import is_venv_dir
    from safepip.rebuild import pending

    if plan.kind == REFUSE:
        raise NoTargetError(plan.reason)
    if plan.env_dir is not None and plan.kind != PASSTHROUGH:
        python = bin_python(plan.env_dir)
        work = working_tree(plan.env_dir)
        exists = is_venv_dir(work) or bool(pending(work))
        return Target(
            plan.env_dir,
            python,
            os.path.dirname(python),
            venv=True,
            exists=exists,
            problem=broken(plan.env_dir) if exists else None,
        )
    interp = ctx.interp
    return Target(
        interp.prefix,
        interp.path,
        interp.scripts or os.path.dirname(interp.path),
        venv=interp.in_venv,
    )


def ensure_target(ctx: Context, plan: Plan, environ: Mapping[str, str]) -> Target:
    """Where ``plan`` would install, created or repaired first if needed, exactly as
    ``safepip install`` would (same code; creation under the same lock). A whole
    environment is used without the lock: commands run in parallel (``make -j``) must not
    queue behind each other, and ordering them after an install is the Makefile's job.
    """
    import dataclasses

    from safepip.pipflow import notice, prepare

    target = locate(ctx, plan)
    if target.exists and target.problem is None:
        return target
    _, lock, ready = prepare(ctx, dataclasses.replace(plan, lock=False), environ)
    if lock is not None:  # pragma: no cover - no lock is asked for
        lock.release()
    if ready is None:
        return target
    if ready.created:
        notice(ctx, plan, ready, environ)
    return Target(ready.env_dir, ready.python, os.path.dirname(ready.python), venv=True, created=ready.created)


def split_verb_flags(args: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    """``--safepip-KEY=VALUE`` flags anywhere in a verb's own arguments (up to ``--``)."""
    from safepip.config import split_flags

    return split_flags(args)
