"""The default verb: a pip command line, resolved and executed where it belongs
(``safepip install X``, ``safepip list``...; every command line that does not start with
one of safepip's own verbs).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.session import Session


def main(args: list[str], session: Session) -> int:
    """Run pip's ``args`` (less safepip's own ``--safepip-*`` flags) where the plan sends them."""
    from safepip.facts.config import split_flags
    from safepip.pipeline import execute, resolve

    rest, flags = split_flags(args)
    return execute(resolve(rest, session, flags=flags), session)
