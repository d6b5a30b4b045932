"""What a decision looks like: the plan's kinds, :class:`Plan`, :class:`Route` and
:class:`Resolved` (data only).

:func:`safepip.decide.plan` makes plans (its root rules among them),
:mod:`safepip.decide_outside` makes parts of them, :mod:`safepip.act` executes them and
``explain`` and ``doctor`` render them.
"""

from __future__ import annotations

from safepip.errors import EX_UNAVAILABLE
from safepip.frozen import Frozen, field, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

    from safepip.facts.gather import Context
    from safepip.facts.trust import Untrusted
    from safepip.steps import Step

PASSTHROUGH = "passthrough"
PROJECT_VENV = "project-venv"
USER_ENV = "user-env"
PIPX = "pipx"
REFUSE = "refuse"


@record
class Plan(Frozen):
    """Where a pip call goes.

    ``kind`` is one of PASSTHROUGH, PROJECT_VENV, USER_ENV, PIPX, REFUSE. ``env_dir`` is the
    environment to use (created if missing) for PROJECT_VENV and USER_ENV. ``args`` is pip's
    argv as it will be run; ``python`` the interpreter that runs it (None: the environment's).
    ``reason`` is the notice's first half (or the refusal); ``notes`` are appended to it.
    """

    kind: str
    why: str
    args: tuple[str, ...]
    python: str | None = None
    env_dir: str | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()
    creation_notes: tuple[str, ...] = ()  # said only when the environment is created
    warnings: tuple[str, ...] = ()
    lock: bool = False
    own_pip: bool = False
    env_changes: Mapping[str, str | None] = field(default_factory=dict)
    #: USER_ENV: create the environment with access to the system site-packages.
    system_site: bool = False
    #: USER_ENV: some requirements may go to pipx (``apps`` is not ``"user-env"``); for
    #: uninstall and list, pipx's applications are part of the answer.
    apps_to_pipx: bool = False
    #: Outside a project: where each named requirement of an install goes
    #: (:func:`safepip.decide_outside.route`).
    routes: tuple[Route, ...] = ()
    #: USER_ENV as root: pipx must work in its --global mode.
    pipx_global: bool = False
    #: REFUSE: the exit code (69: nowhere safe to go; 77: a root/ownership rule).
    exit_code: int = EX_UNAVAILABLE
    #: Outside a project with ``apps = "pipx"``: each hand-over, in order
    #: (:func:`safepip.decide_outside.route`); empty: the one pip run ``args`` says.
    steps: tuple[Step, ...] = ()
    #: REFUSE because of a trust rule: what is not trusted, and how to trust it.
    untrusted: Untrusted | None = None


@record
class Route(Frozen):
    """Where one named requirement of an install outside a project goes, and why.

    ``to`` is USER_ENV or PIPX; ``expose``: link its commands onto PATH (a library the user
    named). ``other`` is the flag that sends it the other way. ``app``: the application
    pipx manages that it plugs into (``pipx inject APP``).
    """

    requirement: str
    name: str | None
    to: str
    why: str
    expose: bool = False
    other: str = ""
    app: str = ""


@record
class Resolved(Frozen):
    """A pip command line resolved (:func:`safepip.pipeline.resolve`): its facts (``ctx``),
    its complete ``plan``, and how it was typed (``args`` and ``flags``, which a remembered
    answer is keyed by). What ``explain`` renders is what ``install`` executes.
    """

    ctx: Context
    plan: Plan
    args: tuple[str, ...] = ()
    flags: Mapping[str, Any] | None = None
