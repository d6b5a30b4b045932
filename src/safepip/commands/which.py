"""``safepip which [python|pip|env|bin]``: one absolute path on stdout, nothing else.

For Makefiles and scripts: ``PY := $(shell safepip which python)``. The path is that of
the environment safepip would install into (the same plan as ``safepip install``). Nothing
is created unless ``--create`` is given; when there is nothing to point at, a message
goes to stderr and the exit code is 69.

Where a trust rule keeps safepip from running the interpreter (it came with the repository,
or someone else could change it), ``which`` still prints its path when it is known, so that
you can look at it, runs nothing, and exits 77 with the line that says how to trust it:
a script that goes on with the path does so knowingly.

``--for-activation`` prints the path of the environment shell-init's activation makes
active here (:func:`safepip.commands.activation.choose`), or nothing, and exits 0: an
environment that exists and works, where ``pip install`` would go; none while a venv you
activated, or a conda environment, is active.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Mapping

from safepip.errors import NoTargetError, PermissionRefused, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.session import Session

WHAT = ("python", "pip", "env", "bin")


def main(args: list[str], session: Session) -> int:
    """Print the path asked for; return 0, or raise when there is none."""
    environ = session.environ
    from safepip.commands.args import given, parse, parser, split_verb_flags
    from safepip.commands.target import ensure_target, install_plan, locate

    rest, flags = split_verb_flags(args)
    p = parser("which", "Print the path of the environment safepip installs into (or of its python, pip, bin).")
    p.add_argument("what", nargs="?", choices=WHAT, default="python", help="what to print (default: python)")
    p.add_argument("--create", action="store_true", help="create the environment first if it does not exist")
    p.add_argument("--python", metavar="PYTHON", type=given, help="the target interpreter, as pip's own --python")
    p.add_argument("--for-activation", action="store_true",
                   help="the environment shell-init activates here, or nothing (exit 0); never created")
    # shell-init's hook in fish: the answer is remembered as fish code (bash and zsh read sh).
    p.add_argument("--memo-for", choices=("sh", "fish"), default="sh", help=argparse.SUPPRESS)
    ns = parse(p, rest)
    if isinstance(ns, int):
        return ns
    if ns.for_activation:
        return _for_activation(ns.what, ns.create or ns.python is not None, environ, flags, fish=ns.memo_for == "fish")
    resolved = install_plan(session, flags, ns.python)
    ctx, plan = resolved.ctx, resolved.plan
    if plan.untrusted is not None:
        if plan.untrusted.python is not None and not ns.create:
            _print(_untrusted_path(plan.untrusted.python, ns.what))
        raise PermissionRefused(plan.reason)
    from safepip.venv.ensure import working_tree
    from safepip.venv.state import CREATING, state

    target = locate(ctx, plan, dirs=session.dirs)
    # which never rebuilds an environment pip ran in; --create may finish an interrupted creation.
    if target.problem is not None and not (ns.create and state(working_tree(target.env_dir), dirs=session.dirs) == CREATING):
        raise NoTargetError(
            f"{target.env_dir} cannot be used: {target.problem}; `safepip repair` rebuilds it and reinstalls what it holds"
        )
    if ns.create:
        target = ensure_target(ctx, plan, session)
    elif not target.exists:
        raise NoTargetError(
            f"no environment yet: safepip would create {target.env_dir} ({plan.why}); "
            "safepip which --create (or any safepip install) creates it"
        )
    if ns.what == "python":
        path = target.python
    elif ns.what == "env":
        path = target.env_dir
    elif ns.what == "bin":
        path = target.bin_dir
    else:
        path = _pip(target.bin_dir)
    _print(path)
    return 0


def _for_activation(what: str, other: bool, environ: Mapping[str, str], flags: Mapping[str, Any], *,
                    fish: bool = False) -> int:
    from safepip.commands.activation import choose

    if other:
        raise UsageError("safepip which: --for-activation takes neither --create nor --python (see safepip which --help)")
    target = choose(environ, flags, remember=True, fish=fish)  # for the prompt hook: next time no start
    if target is None:
        return 0
    paths = {"python": target.python, "env": target.env_dir, "bin": target.bin_dir}
    _print(paths[what] if what in paths else _pip(target.bin_dir))
    return 0


def _untrusted_path(python: str, what: str) -> str | None:
    """The path asked for, of an interpreter safepip will not run (None: not known
    without running it).
    """
    from safepip.venv.layout import venv_of

    env_dir = venv_of(python)
    if what == "python":
        return python
    if what == "bin":
        return os.path.dirname(python)
    if env_dir is None:
        return None  # its prefix is the probe's to tell
    if what == "env":
        return env_dir
    try:
        return _pip(os.path.dirname(python))
    except NoTargetError:
        return None


def _print(path: str | None) -> None:
    if path is None:
        return
    out = os.fsencode(os.path.abspath(path)) + b"\n"  # the path's own bytes, whatever the output encoding
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(os.fsdecode(out))
    else:
        sys.stdout.flush()
        buffer.write(out)
        buffer.flush()


def _pip(bin_dir: str) -> str:
    for name in ("pip", "pip3"):
        candidate = os.path.join(bin_dir, name + (".exe" if os.name == "nt" else ""))
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise NoTargetError(f"no pip in {bin_dir}; use safepip (it drives environments without pip) or python -m pip")
