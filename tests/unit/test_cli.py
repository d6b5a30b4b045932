"""safepip's command line (safepip.cli): a call the front door answers ends the process at
once, without the interpreter's finalization; a call made in-process never ends it."""

from __future__ import annotations

import atexit
import io
import os
import sys

import pytest

from safepip import cli, front, stdio


class _Ended(Exception):
    """``os._exit`` was called (with ``code``)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The front door answers every call with 3 (the argv it was asked with is kept);
    ``os._exit`` raises :class:`_Ended`; the process's descriptors are left alone."""
    asked: list[list[str]] = []

    def answer(argv: list[str], environ: object) -> int:
        asked.append(list(argv))
        return 3

    def ended(code: int) -> None:
        raise _Ended(code)

    monkeypatch.setattr(front, "answer", answer)
    monkeypatch.setattr(os, "_exit", ended)
    # As in safepip's own process: no exit handler registered and no thread module (pytest has both).
    monkeypatch.setattr(atexit, "_ncallbacks", lambda: 0, raising=False)
    monkeypatch.delitem(sys.modules, "threading", raising=False)
    monkeypatch.setattr(stdio, "take_over", lambda: None)
    monkeypatch.setattr(cli, "_tolerant_output", lambda: None)
    return asked


def test_the_front_doors_answer_ends_the_process_at_once(answered: list[list[str]],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["safepip", "install", "x"])
    with pytest.raises(_Ended) as ended:
        cli.main()
    assert ended.value.code == 3
    assert answered == [["install", "x"]]


def test_an_in_process_call_is_answered_without_ending(answered: list[list[str]]) -> None:
    assert cli.main(["install", "x"]) == 3  # os._exit would have raised
    assert answered == [["install", "x"]]


def test_a_stream_that_cannot_be_flushed_leaves_the_end_to_the_interpreter(
    answered: list[list[str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken(io.StringIO):
        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "argv", ["safepip", "install", "x"])
    monkeypatch.setattr(sys, "stdout", Broken())
    assert cli.main() == 3


@pytest.mark.parametrize("busy", ["an exit handler", "threads"])
def test_a_process_with_more_to_finish_is_left_to_end_as_usual(
    answered: list[list[str]], monkeypatch: pytest.MonkeyPatch, busy: str,
) -> None:
    """An exit handler registered (a sitecustomize's, coverage's), or a thread module loaded:
    the interpreter's finalization has work to do, and does it."""
    if busy == "threads":
        monkeypatch.setitem(sys.modules, "threading", sys)
    else:
        monkeypatch.setattr(atexit, "_ncallbacks", lambda: 1, raising=False)
    monkeypatch.setattr(sys, "argv", ["safepip", "install", "x"])
    assert cli.main() == 3


def test_safepip_run_reads_the_process_environment_once_and_works_out_its_directories_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import safepip.commands.run as run_verb

    seen: list[tuple[str, object, object]] = []
    looked = object()
    lookups: list[object] = []

    def run_answer(args: list[str], environ: object, dirs: object = None) -> object:
        seen.append(("front door", environ, dirs))
        return looked

    def full_path(args: list[str], session: object) -> int:
        seen.append(("full path", session.environ, session.dirs))  # type: ignore[attr-defined]
        lookups.append(session.lookup)  # type: ignore[attr-defined]
        return 0

    monkeypatch.setattr(front, "run_answer", run_answer)
    monkeypatch.setattr(run_verb, "main", full_path)
    monkeypatch.setattr(cli, "_tolerant_output", lambda: None)
    assert cli._main(["run", "true"], None, in_process=False) == 0
    (_, front_environ, front_dirs), (_, environ, dirs) = seen
    # One copy of os.environ (each of its lookups encodes and decodes), the same for the
    # whole call; and the directories the front door worked out are the session's.
    assert type(front_environ) is dict and front_environ == dict(os.environ)
    assert environ is front_environ and dirs is front_dirs and dirs is not None
    # What the front door's lookup worked out (the memo key's shared part, the anchor) is the session's.
    assert lookups == [looked]
