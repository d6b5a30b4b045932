"""The front door's hand-over to pip caught in-process: the fixture of the front door's tests,
in-process (``tests/unit/test_front.py``) and with processes (``tests/integration/test_front_door.py``).

The fixture is registered for every test by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from safepip import front


class Exec(Exception):
    """Raised in place of the exec: its argument is the argv the process would have become."""


@pytest.fixture
def no_exec(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The one exec (safepip.runner's ``os.execve``) raises :class:`Exec` instead of replacing the test."""
    def fake(path: str, argv: list[str], env: dict[str, str]) -> None:
        raise Exec(argv)

    monkeypatch.setattr(os, "execve", fake)
    yield


def quick_argv(argv: list[str], environ: dict[str, str]) -> list[str] | None:
    """What the front door's pass-through would exec for ``argv`` (needs ``no_exec``); None: it
    leaves the call to the full path."""
    try:
        front.passthrough(argv, environ)
    except Exec as exc:
        return list(exc.args[0])
    return None
