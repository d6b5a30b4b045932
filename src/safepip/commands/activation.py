"""The environment that follows the directory: what shell-init's activation makes active,
and safepip's view of a shell where its own activation is in effect.

``safepip shell-init`` activates, in each directory, the environment safepip would install
into there when it already exists (the project's; outside any project the per-user one):
its ``bin`` first on PATH, ``VIRTUAL_ENV`` set, and ``SAFEPIP_ACTIVATED`` naming it, so
that safepip can tell its own activation from one the user made.

* :func:`choose` is the one decision, "the environment activation would choose in the
  working directory" (:func:`safepip.commands.activation_env.choose`, which the python shims
  use too): the plan of a plain ``pip install`` (the one ``safepip which env`` follows),
  kept only when it goes to an environment that exists and works. On the command line: ``safepip which env --for-activation`` (``python`` and ``bin`` alike) prints its
  path, or nothing.
* :func:`without_own_activation` (:mod:`safepip.activated`) is the environment safepip decides with: safepip's own
  activation taken away, so that it never changes where a call goes (outside a project,
  with the per-user environment active, an application still goes to pipx).

Standard library only at import: :mod:`safepip.cli` uses the view before the front door.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from safepip.activated import ACTIVATED, own, without_own_activation

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.commands.target import Target

#: Set by shell-init's ``pip`` function for its own call: the shell activates the
#: environment right after pip returns (the notice then need not say how to use it).
SHELL_ACTIVATES = "SAFEPIP_SHELL_ACTIVATES"


def choose(environ: Mapping[str, str], flags: Mapping[str, Any] | None = None, *,
           remember: bool = False, fish: bool = False) -> Target | None:
    """The environment activation would make active in the working directory, or None: the
    decision of :func:`safepip.commands.activation_env.choose` (the python shims' too), as a
    :class:`Target`. An error that decision raises (an unreadable configuration) means
    nothing to activate: the shell's prompt is no place for it. ``remember``: the answer
    is remembered for the shell's prompt hook (:func:`safepip.commands.shellhooks.remember`;
    not with ``flags``, which the hook never passes); ``fish``: in fish code, for fish's hook.
    """
    from safepip.commands.activation_env import choose as decide
    from safepip.commands.target import Target
    from safepip.errors import SafepipError
    from safepip.venv.layout import bin_python

    try:
        chosen = decide(environ, flags)
    except SafepipError:
        return None
    env_dir = chosen.env_dir
    if remember and not flags:
        from safepip.commands.shellhooks import remember as write

        write(environ, env_dir, chosen.reads, fish=fish)
    if env_dir is None:
        return None
    python = bin_python(env_dir)
    return Target(env_dir, python, os.path.dirname(python), venv=True)


__all__ = ["ACTIVATED", "SHELL_ACTIVATES", "choose", "own", "without_own_activation"]
