"""What marks a launcher safepip wrote (its ``pip`` and ``python`` shims), and how to tell one.

Standard library only, and apart from the rest: the target's search on PATH must step over
safepip's own ``python3`` shim (which runs some other interpreter), as the shims module
writes and prunes only files carrying the mark.
"""

from __future__ import annotations

MARK = "# safepip shim: a pip launcher made and kept current by safepip (shell-init, self-install --shims)."


def is_ours(path: str) -> bool:
    """Whether ``path`` is a launcher safepip wrote (its second line is the mark)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if not head.startswith(b"#!"):
        return False  # an interpreter's binary, or anyone's script: not ours
    return MARK in head.decode("utf-8", "replace").splitlines()[1:2]
