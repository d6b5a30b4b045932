"""A tiny module with a real dependency, for the Makefile example."""

from __future__ import annotations

from packaging.version import Version


def newest(versions: list[str]) -> str:
    """The highest of ``versions`` by PEP 440 (so ``1.10`` beats ``1.9``)."""
    return str(max(Version(v) for v in versions))
