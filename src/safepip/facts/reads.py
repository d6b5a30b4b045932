"""What a fact-gatherer read: the memo signs these paths (see :mod:`safepip.remembered.store`)
without knowing how each gatherer works.
"""

from __future__ import annotations

from safepip.frozen import Frozen, record


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
    import os

    result = [path]
    while True:
        parent = os.path.dirname(result[-1])
        if parent == result[-1]:
            return result
        result.append(parent)

