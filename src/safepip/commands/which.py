"""``safepip which [python|pip|env|bin]``: one absolute path on stdout, nothing else.

For Makefiles and scripts: ``PY := $(shell safepip which python)``. The path is that of
the environment safepip would install into (the same plan as ``safepip install``). Nothing
is created unless ``--create`` is given; when there is nothing to point at, a message
goes to stderr and the exit code is 69.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

from safepip.errors import NoTargetError

WHAT = ("python", "pip", "env", "bin")


def main(args: list[str], environ: Mapping[str, str]) -> int:
    """Print the path asked for; return 0, or raise when there is none."""
    from safepip.commands.args import parse, parser, split_verb_flags
    from safepip.commands.target import ensure_target, install_context, locate

    rest, flags = split_verb_flags(args)
    p = parser("which", "Print the path of the environment safepip installs into (or of its python, pip, bin).")
    p.add_argument("what", nargs="?", choices=WHAT, default="python", help="what to print (default: python)")
    p.add_argument("--create", action="store_true", help="create the environment first if it does not exist")
    p.add_argument("--python", metavar="PYTHON", help="the target interpreter, as pip's own --python")
    ns = parse(p, rest)
    if isinstance(ns, int):
        return ns
    ctx = install_context(environ, flags, ns.python)
    plan = ctx.plan()
    if ns.create:
        target = ensure_target(ctx, plan, environ)
    else:
        target = locate(ctx, plan)
        if not target.exists:
            raise NoTargetError(
                f"no environment yet: safepip would create {target.env_dir} ({plan.why}); "
                "safepip which --create (or any safepip install) creates it"
            )
        if target.problem is not None:
            raise NoTargetError(
                f"{target.env_dir} cannot be used: {target.problem}; "
                "safepip which --create (or safepip install) rebuilds it"
            )
    if ns.what == "python":
        path = target.python
    elif ns.what == "env":
        path = target.env_dir
    elif ns.what == "bin":
        path = target.bin_dir
    else:
        path = _pip(target.bin_dir)
    sys.stdout.write(os.path.abspath(path) + "\n")
    return 0


def _pip(bin_dir: str) -> str:
    for name in ("pip", "pip3"):
        candidate = os.path.join(bin_dir, name + (".exe" if os.name == "nt" else ""))
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise NoTargetError(f"no pip in {bin_dir}; use safepip (it drives environments without pip) or python -m pip")
