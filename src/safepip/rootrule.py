"""The root rule's one test, standard library only: root never writes into an environment
that belongs to another user (:func:`safepip.decide.in_their_env` turns it into the refusal; the
front door, which never refuses, leaves such a call to the full path).
"""

from __future__ import annotations


def foreign_to_root(euid: int | None, owner: int | None) -> bool:
    """Whether a process running as ``euid`` is root in a place another user owns (``owner``
    None: unknown, which the rule leaves alone).
    """
    return euid == 0 and owner is not None and owner != 0
