"""Which pip version will read a command line, learnt without starting that pip.

A pip's version is in the name of its ``pip-<version>.dist-info`` directory, beside the
``pip`` package: in an environment's site-packages, in the directory the probe found the
target's pip in, in the directory safepip's own pip comes from. A new environment gets
the pip wheel virtualenv embeds (its version is in the wheel's file name).
"""

from __future__ import annotations

import os
import re
import sys

from safepip.venv.layout import site_packages

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Iterable

_DIST_INFO = re.compile(r"^pip-([0-9][^-]*)\.dist-info$")
_WHEEL = re.compile(r"^pip-([0-9][^-]*)-py3-none-any\.whl$")


def _key(version: str) -> tuple[int, ...]:
    from safepip.facts.piptables import release

    return release(version)


def _newest(names: Iterable[str], pattern: re.Pattern[str]) -> str | None:
    found = [m.group(1) for m in map(pattern.match, names) if m]
    return max(found, key=_key) if found else None


def in_directory(directory: str | None) -> str | None:
    """The version of the pip installed in ``directory`` (a site-packages), or None."""
    if not directory:
        return None
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    if "pip" not in names:
        return None
    return _newest(names, _DIST_INFO)


def of_env(env_dir: str) -> str | None:
    """The version of the pip in a virtual environment, or None (no pip, or not readable)."""
    for site in site_packages(env_dir):
        version = in_directory(site)
        if version:
            return version
    return None


def own() -> str | None:
    """The version of safepip's own pip (see :mod:`safepip.venv.ownpip`)."""
    if os.path.isfile(__file__):  # not run from safepip.pyz (see safepip.venv.ownpip)
        import importlib.util

        spec = importlib.util.find_spec("pip")
        if spec is not None and spec.origin:
            return in_directory(os.path.dirname(os.path.dirname(spec.origin)))
    return seeded(sys.version_info[:2])


def seeded(python: tuple[int, ...]) -> str | None:
    """The version of the pip a new environment for Python ``python`` gets from virtualenv
    (its embedded wheels: the newest for current Pythons, the oldest for 3.8).
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("virtualenv")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    embed = os.path.join(next(iter(spec.submodule_search_locations)), "seed", "wheels", "embed")
    try:
        names = os.listdir(embed)
    except OSError:
        return None
    found = sorted((m.group(1) for m in map(_WHEEL.match, names) if m), key=_key)
    if not found:
        return None
    return found[-1] if tuple(python[:2]) >= (3, 9) else found[0]
