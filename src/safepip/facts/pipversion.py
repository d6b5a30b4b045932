"""Which pip version will read a command line, learnt without starting that pip.

A pip's version is in the name of its ``pip-<version>.dist-info`` directory, beside the
``pip`` package: in an environment's site-packages, in the directory the probe found the
target's pip in, in the directory safepip's own pip comes from. A new environment gets
the pip wheel virtualenv embeds (its version is in the wheel's file name).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Iterable

#: The names that hold a pip version, as (before, after) it: ``pip-<version>.dist-info``,
#: ``pip-<version>-py3-none-any.whl``, where a version starts with a digit and holds no ``-``.
#: Matched with string methods: this module is on the full path, and re costs ms to import.
_DIST_INFO = ("pip-", ".dist-info")
_WHEEL = ("pip-", "-py3-none-any.whl")


def _key(version: str) -> tuple[int, ...]:
    from safepip.facts.piptables import release

    return release(version)


def _version_in(name: str, pattern: tuple[str, str]) -> str | None:
    """The version in ``name`` when it is ``pattern``'s (before + version + after), else None."""
    before, after = pattern
    if not (name.startswith(before) and name.endswith(after)) or len(name) <= len(before) + len(after):
        return None
    version = name[len(before):len(name) - len(after)]
    return version if "0" <= version[0] <= "9" and "-" not in version else None


def _newest(names: Iterable[str], pattern: tuple[str, str]) -> str | None:
    found = [v for v in (_version_in(n, pattern) for n in names) if v is not None]
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


def in_sites(sites: Iterable[str]) -> str | None:
    """The version of the pip in a virtual environment, from its site-packages directories
    (:func:`safepip.venv.layout.site_packages`), or None (no pip, or not readable).
    """
    for site in sites:
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
    found = sorted((v for v in (_version_in(n, _WHEEL) for n in names) if v is not None), key=_key)
    if not found:
        return None
    return found[-1] if tuple(python[:2]) >= (3, 9) else found[0]
