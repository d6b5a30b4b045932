"""Distributions an interrupted pip left half-installed, and their repair.

pip writes a distribution's files, then its ``.dist-info`` metadata, and ``RECORD`` last.
A pip killed in between (``kill -9``, a CI job cancelled, the machine losing power) leaves
a ``.dist-info`` without ``RECORD``: pip then counts the distribution as installed ("already
satisfied") but can neither upgrade nor uninstall it (``error: uninstall-no-record-file``),
and its files may be incomplete.

Before pip installs into an environment safepip made, and under that environment's lock,
safepip removes the metadata of such distributions (renamed aside first, so it disappears
at once), and says so. pip then sees them as not installed and installs them again, over
their files, when the command or a dependency asks for them: what pip's own hint
(``--ignore-installed --no-deps``) does by hand. Environments safepip did not make are left
as they are.
"""

from __future__ import annotations

import os

from safepip.venv.layout import site_packages
from safepip.venv.state import COMPLETE, state

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Callable, Mapping


TORN_INFIX = ".safepip-torn-"


def _leftovers(site: str) -> list[str]:
    try:
        return [os.path.join(site, n) for n in os.listdir(site) if TORN_INFIX in n]
    except OSError:
        return []


def _remove(tree: str) -> None:
    import shutil  # here: the check before every install mostly finds nothing to remove

    shutil.rmtree(tree, ignore_errors=True)


def torn(env_dir: str) -> list[str]:
    """The ``.dist-info`` directories in the environment that have no ``RECORD``."""
    found = []
    for site in site_packages(env_dir):
        try:
            names = os.listdir(site)
        except OSError:
            continue
        for name in sorted(names):
            if not name.endswith(".dist-info") or name.startswith("~"):
                continue  # "~" marks pip's own stash of an uninstall in progress
            info = os.path.join(site, name)
            if os.path.isdir(info) and not os.path.lexists(os.path.join(info, "RECORD")):
                found.append(info)
    return found


def repair(env_dir: str, say: Callable[[str], object]) -> list[str]:
    """Remove the metadata of half-installed distributions; return the ``name-version``
    of each one removed.
    """
    for site in site_packages(env_dir):  # what a repair killed midway left
        for leftover in _leftovers(site):
            _remove(leftover)
    removed = []
    for info in torn(env_dir):
        aside = f"{info}{TORN_INFIX}{os.getpid()}"
        try:
            os.rename(info, aside)
        except OSError:
            continue  # pip will say what is wrong with it
        _remove(aside)
        removed.append(os.path.basename(info)[: -len(".dist-info")])
    if removed:
        names = ", ".join(removed)
        say(
            f"{names} in {env_dir} {'was' if len(removed) == 1 else 'were'} left half-installed by an "
            "interrupted pip (no RECORD file); safepip removed the metadata so that pip installs "
            f"{'it' if len(removed) == 1 else 'them'} again"
        )
    return removed


def repair_made(env_dir: str, environ: Mapping[str, str]) -> None:
    """Before pip installs into an environment (under its lock): if safepip made it, undo what
    an interrupted pip left half-installed, and say so.
    """
    if state(env_dir) == COMPLETE:
        from safepip import ui

        repair(env_dir, lambda m: ui.say(m, "warning", environ))
