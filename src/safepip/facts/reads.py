"""What a fact-gatherer read: the memo signs these paths (see :mod:`safepip.remembered.store`)
without knowing how each gatherer works. And the real paths gathering resolved: each once
(:func:`realpath`), while the facts are gathered.
"""

from __future__ import annotations

import os

from safepip.frozen import Frozen, record

#: While facts are gathered (:func:`resolving`): the real path of each path already resolved.
_REAL: list[dict[str, str]] = []


@record
class Reads(Frozen):
    """``paths`` whose whole signatures an answer depends on, and directories ``owned``
    whose mode and owner it depends on (the trust rules).
    """

    paths: tuple[str, ...] = ()
    owned: tuple[str, ...] = ()

    def __add__(self, other: Reads) -> Reads:
        return Reads(self.paths + other.paths, self.owned + other.owned)


def ancestors(path: str) -> list[str]:
    """``path`` and every directory above it, up to the root."""
    result = [path]
    while True:
        parent = os.path.dirname(result[-1])
        if parent == result[-1]:
            return result
        result.append(parent)



def realpath(path: str) -> str:
    """``os.path.realpath(path)``; while facts are gathered (:func:`resolving`), each path is
    resolved once (the walk, the trust rules, the interpreter's search and the tools' files
    ask for the same few: the project, its environment, a PATH directory).
    """
    if not _REAL:
        return os.path.realpath(path)
    known = _REAL[0]
    found = known.get(path)
    if found is None:
        found = known[path] = os.path.realpath(path)
    return found


def resolving(on: bool) -> bool:
    """Start (``on``) or end remembering real paths (:func:`realpath`); return whether it was
    on. Only while facts are gathered: gathering reads, and makes no link nor moves a
    directory (what it may make, the cache's own directories, resolves as it did before).
    """
    was = bool(_REAL)
    if on and not was:
        _REAL.append({})
    elif not on:
        _REAL.clear()
    return was
