"""Descriptors 0, 1 and 2 are the caller's: safepip's own files never land on them, pip gets
them exactly as the caller gave them, and safepip's own output cannot fail the call.

A descriptor the caller closed (``pip install x >&-``) is the lowest free one, so the next
file safepip opens (an environment's lock, a remembered answer, a temporary file) would
land on it, and the lock, which is handed to pip through exec, would become pip's stdin,
stdout or stderr: pip read the lock's "pid N: safepip ..." line as the answer to
"Proceed (Y/n)?". :func:`take_over` runs first thing in the process, before anything is
opened, and holds each closed one with ``/dev/null`` opened close-on-exec: later opens get
3 or more, and exec (pip, pipx, ``safepip run``'s command, every child) closes the
placeholder again, so what runs after safepip finds the descriptor closed, as the caller
left it. (The alternative, moving each of safepip's own descriptors above 2 with
``F_DUPFD``, would need every open in safepip, in the standard library and in the
libraries it imports to be found and wrapped; one placeholder per hole covers them all.)

Python sets ``sys.stdout`` (``sys.stderr``) to None when descriptor 1 (2) is closed at
start, and raises on every write to a full disk or a pipe whose reader went away. safepip's
own lines go through :class:`Output` instead: it writes straight to the descriptor (no
buffer that the interpreter could fail to flush at exit, which made exit code 120), drops
what is written to a descriptor closed at start (as ``print`` does when ``sys.stdout`` is
None, and pip does with its own output), and keeps the first write error instead of
raising it. Whoever decides the exit code asks :func:`stdout_error`: an answer safepip
gives in pip's place is left to pip when it could not be written (pip then meets the same
error and ends as it does), and safepip's own commands fail with 74.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import TextIO

_POSIX = os.name == "posix"


def _closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError as exc:
        import errno

        return exc.errno == errno.EBADF
    return False


def hold_closed() -> list[int]:
    """Hold each of descriptors 0-2 that is closed with ``/dev/null`` (close-on-exec), so that
    nothing safepip opens lands there and nothing safepip starts inherits it; return the
    descriptors held.
    """
    held: list[int] = []
    if not _POSIX:
        return held
    flags = os.O_RDWR | os.O_CLOEXEC
    for fd in (0, 1, 2):
        if not _closed(fd):
            continue
        try:
            new = os.open(os.devnull, flags)
        except OSError:
            try:  # no /dev/null (a bare chroot): the root directory holds the place as well
                new = os.open("/", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue
        if new != fd:  # the lowest free descriptor is this one: only if something raced us
            os.dup2(new, fd, inheritable=False)
            os.close(new)
        held.append(fd)
    return held


class _Bytes:
    """``Output.buffer``: the same descriptor for bytes (``safepip which`` writes paths so)."""

    def __init__(self, owner: Output) -> None:
        self._owner = owner

    def write(self, data: bytes) -> int:
        self._owner.write_bytes(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered."""


class Output:
    """A text stream on descriptor 1 or 2 that never raises: unbuffered, dropping what is
    written when the descriptor was closed at start, keeping the first error (:attr:`error`)
    and dropping what follows it.
    """

    closed = False

    def __init__(self, fd: int | None, encoding: str | None) -> None:
        self._fd = fd
        self.encoding = encoding or "utf-8"
        #: Characters the encoding cannot spell are escaped, never an error (cli._tolerant_output).
        self.errors = "backslashreplace"
        self.error: OSError | None = None
        self.buffer = _Bytes(self)

    def write(self, text: str) -> int:
        """Write ``text`` (encoded); the length is returned whatever happened."""
        if text:
            self.write_bytes(text.encode(self.encoding, self.errors))
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        """Write all of ``data``, unless the descriptor was closed at start or failed before."""
        if self._fd is None or self.error is not None:
            return
        view = memoryview(data)
        while view:
            try:
                done = os.write(self._fd, view)
            except BlockingIOError:  # a descriptor someone made non-blocking: wait until it takes more
                import select

                select.select([], [self._fd], [])
                continue
            except OSError as exc:
                self.error = exc
                return
            view = view[done:]

    def flush(self) -> None:
        """Nothing is buffered."""

    def isatty(self) -> bool:
        """Whether the descriptor is a terminal."""
        return self._fd is not None and os.isatty(self._fd)

    def fileno(self) -> int:
        """The descriptor (closed at start: none, as Python's None stream has none)."""
        if self._fd is None:
            import io

            raise io.UnsupportedOperation("closed by the caller")
        return self._fd

    def writable(self) -> bool:
        """Always: what cannot be written is dropped."""
        return True


def _output(fd: int, stream: TextIO | None) -> Output:
    return Output(fd if stream is not None else None, getattr(stream, "encoding", None))


def take_over() -> None:
    """Make descriptors 0-2 the caller's for the rest of this process: hold the closed ones
    (:func:`hold_closed`) and send ``sys.stdout`` and ``sys.stderr`` through :class:`Output`.
    Called once, first thing, by the process's own ``main()``; never in-process (tests).
    """
    held = hold_closed()
    if _POSIX:
        # Python made a stream for every descriptor that was open at start: None is "closed".
        sys.stdout = _output(1, None if 1 in held else sys.stdout)
        sys.stderr = _output(2, None if 2 in held else sys.stderr)
        return
    # Windows: Python's console streams stay (they write the console's own way); a closed
    # one only stops being None.
    if sys.stdout is None:
        sys.stdout = Output(None, None)
    if sys.stderr is None:
        sys.stderr = Output(None, None)


def stdout_error() -> OSError | None:
    """The error that stopped safepip's own output on stdout, if one did."""
    return getattr(sys.stdout, "error", None) if isinstance(sys.stdout, Output) else None
