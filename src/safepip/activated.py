"""safepip's own activation, told from one the user made: what shell-init's activation
exports, and the environment safepip decides with while it is in effect.

Standard library only, and apart from the rest: :mod:`safepip.cli` takes safepip's own
activation away before the front door, and the one decision of what to activate
(:func:`safepip.commands.activation_env.choose`) looks through it the same way.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only: typing imports re (about 10 ms) in every activated shell's call
    from typing import Mapping

#: The variable shell-init's activation exports beside ``VIRTUAL_ENV``: the environment it made active.
ACTIVATED = "SAFEPIP_ACTIVATED"


def own(environ: Mapping[str, str]) -> str | None:
    """The environment safepip's activation made active, while it is the active one."""
    env_dir = environ.get(ACTIVATED)
    if env_dir and environ.get("VIRTUAL_ENV") == env_dir:
        return env_dir
    return None


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
        entries = view["PATH"].split(os.pathsep)
        entry = os.path.join(env_dir, "bin")
        if entry in entries:
            entries.remove(entry)  # the first occurrence: the one the activation added
        view["PATH"] = os.pathsep.join(entries)
    return view
