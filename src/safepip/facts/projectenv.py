"""Which environment belongs to a project: the configured one, the one of the tool that
manages it (:mod:`safepip.facts.toolenv`), an existing ``.venv``, ``venv`` or ``env``, else
where it will be made.
"""

from __future__ import annotations

import os
from typing import Mapping

from safepip.facts.project import VENV_NAMES, EnvSpot
from safepip.venv.layout import is_venv_dir

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.facts.toolenv import ToolEnv


def env_candidates(root: str, configured: str | None) -> list[str]:
    """Where the project's environment is or would be, in order of preference."""
    if configured:
        path = os.path.expanduser(configured)
        return [os.path.normpath(os.path.join(root, path))]
    return [os.path.join(root, name) for name in VENV_NAMES]


def project_env(root: str, configured: str | None, environ: Mapping[str, str] | None = None,
                version: tuple[int, ...] | None = None) -> EnvSpot:
    """The project's environment directory, and whether it already exists as a venv.

    The configured path wins; else the environment of the tool that manages the project
    (:mod:`safepip.facts.toolenv`; given ``environ`` and the target's ``version``) when it
    exists; else the first of ``.venv``, ``venv``, ``env`` that is a virtual environment;
    else where that tool will look for it; else ``.venv``, to be created.
    """
    candidates = env_candidates(root, configured)
    tool = None
    reads: tuple[str, ...] = ()
    if configured is None and environ is not None:
        from safepip.facts.toolenv import find

        found = find(root, environ, version)
        tool, reads = found.env, found.reads
        if tool is not None and tool.exists:
            return _spot(tool, reads)
    for path in candidates:
        if is_venv_dir(path):
            return EnvSpot(path, True, reads=reads)
    if tool is not None:
        return _spot(tool, reads)
    return EnvSpot(candidates[0], False, reads=reads)


def _spot(tool: ToolEnv, reads: tuple[str, ...]) -> EnvSpot:
    return EnvSpot(tool.path, tool.exists, tool.tool, tool.why, tool.named_by, tool.value, tool.place, reads)
