"""How the fast path stands aside: :class:`Fallback` (pip runs; the reason is shown with
``SAFEPIP_DEBUG=1``) and :class:`NotSatisfied` (pip runs: something is to be installed); and
the name normalization every part of it compares by.
"""

from __future__ import annotations


class Fallback(Exception):
    """The fast path stands aside; the message says why (shown with SAFEPIP_DEBUG=1)."""


class NotSatisfied(Exception):
    """Something is to be installed: pip runs (no reason to give)."""


_CANONICAL: dict[str, str] = {}


def canonical(name: str) -> str:
    """PEP 503's normalized name (packaging's canonicalize_name, without its imports)."""
    found = _CANONICAL.get(name)
    if found is None:
        # re.sub(r"[-_.]+", "-", name).lower(), without importing re (the no-op check needs no re)
        found = name.lower().replace("_", "-").replace(".", "-")
        while "--" in found:
            found = found.replace("--", "-")
        _CANONICAL[name] = found
    return found
