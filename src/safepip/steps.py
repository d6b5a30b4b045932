"""One hand-over of a multi-part plan (outside a project: pip in the per-user environment,
or pipx), as :func:`safepip.decide_outside.route` plans it and :mod:`safepip.act.outside`
runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

PIP = "pip"
PIPX_RUN = "pipx"


@dataclass(frozen=True)
class Step:
    """One hand-over of a multi-part command.

    ``tool`` PIP: ``args`` are pip's arguments in the per-user environment (created when
    ``create``); PIPX_RUN: ``args`` is pipx's whole argv. ``warnings`` and ``notice`` are said
    before it runs; with ``skip`` it does not run, and ``skip`` is the warning said instead.
    """

    what: str
    where: str
    tool: str
    args: tuple[str, ...]
    create: bool = False
    notice: str | None = None
    warnings: tuple[str, ...] = ()
    skip: str | None = None
