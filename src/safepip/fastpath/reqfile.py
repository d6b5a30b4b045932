"""The plain subset of pip's requirement files, read the way pip reads it.

The fast path answers "already satisfied" itself only for requirement files it understands
completely; everything else goes to pip. Understood: blank lines, comments (``#`` at the
start of a line or after whitespace), backslash continuations, requirement lines without
per-line options, nested ``-r``/``--requirement`` files (relative to the including file,
as pip resolves them), and the global options listed in :data:`SAFE_FILE_OPTIONS`.

``--hash`` options on a requirement line are understood (pip does not hash installed
distributions); the caller checks hash-checking mode's pinning rule.

Not understood (:class:`Unsupported` is raised, and pip runs): lock files (``pylock.toml``),
``-e``, ``-c`` and every
other per-requirement option, URLs and paths, ``${VARIABLE}`` references,
quoting, byte-order marks other than UTF-8's, files that are not UTF-8, missing files.
"""

from __future__ import annotations

import os
import stat

# Line and looks_like_a_name live with the check that reads them (a command line of names needs
# nothing else of this module): imported here for the files' lines.
from safepip.fastpath.satisfied import Line, looks_like_a_name

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    import re
    from typing import Iterator

#: Options a requirement file may set without changing what an installed set satisfies:
#: they only say where pip would look for, or how it would build, something to download.
SAFE_FILE_OPTIONS = frozenset(
    {
        "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links",
        "--trusted-host", "--pre", "--prefer-binary", "--only-binary", "--no-binary",
    }
)
_TAKES_VALUE = frozenset({"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host",
                          "--only-binary", "--no-binary"})
#: The names pip (26.0 on) reads as PEP 751 lock files when given to ``-r`` (with or without [extras]).
_PYLOCK = r"pylock\.toml$|pylock\.[^.]+\.toml$"


class Unsupported(Exception):
    """Something only pip should interpret."""


_HASH = r"\s--hash(?:=|\s+)(\S+)"


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    """A pattern of this module, compiled when first needed: only ``--hash`` lines and names
    holding ``pylock`` need one; comments and options are found without re (a machine's
    constraint file is read on every no-op check after a change).
    """
    found = _PATTERNS.get(pattern)
    if found is None:
        import re

        found = _PATTERNS[pattern] = re.compile(pattern)
    return found


def _split_hashes(line: str, where: str) -> tuple[str, bool]:
    """A requirement line without its ``--hash`` options, and whether it had any. pip does
    not hash what is already installed, so the hashes themselves change no answer.
    """
    if "--hash" not in line:  # the common line: no search, and no re
        return line, False
    first = _compiled(_HASH).search(line)
    if first is None:
        return line, False
    rest = line[first.start() :]
    if _compiled(_HASH).sub("", rest).strip():
        raise Unsupported(f"{where}: per-requirement options besides --hash")
    for value in _compiled(_HASH).findall(rest):
        algorithm, colon, digest = value.partition(":")
        if not colon or not algorithm or not digest:
            raise Unsupported(f"{where}: --hash={value} is not ALGORITHM:DIGEST")
    return line[: first.start()].rstrip(), True


def _space_dash(text: str) -> bool:
    r"""Whether ``text`` holds white space followed by ``-`` (the pattern ``\s-``), without re."""
    at = text.find("-", 1)
    while at > 0:
        if text[at - 1].isspace():
            return True
        at = text.find("-", at + 1)
    return False


def _is_comment(raw: str) -> bool:
    r"""Whether pip's comment pattern (``(^|\s+)#.*$``) matches at the start of ``raw``: its
    first character that is not white space (``\s`` and ``str.isspace()`` agree) is ``#``.
    """
    return raw.lstrip().startswith("#")


def _uncommented(text: str) -> str:
    """``text`` with pip's comment pattern removed, stripped: cut at the first ``#`` that
    starts the text or follows white space (the pattern's leftmost match begins at the white
    space before it, which the strip removes anyway). Without re: most files need none.
    """
    at = text.find("#")
    while at > 0 and not text[at - 1].isspace():
        at = text.find("#", at + 1)
    return (text if at < 0 else text[:at]).strip()


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's join_lines then comment stripping: (first physical line number, logical line)."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\") and not _is_comment(raw):
            pending.append(raw.strip("\\"))
            continue
        pending.append(" " + raw if _is_comment(raw) else raw)
        line = _uncommented("".join(pending))
        pending = []
        if line:
            yield start, line
    if pending:  # a file ending in a backslash: pip joins what it has
        line = _uncommented("".join(pending))
        if line:
            yield start, line


def _decode(data: bytes, path: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unsupported(f"{path}: UTF-16 requirement file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unsupported(f"{path}: not UTF-8") from None


def _option(tokens: list[str]) -> tuple[str, str]:
    """(option name, value) of an option line; the value may be glued (``-rfile``, ``--x=y``)."""
    first = tokens[0]
    if first.startswith("--"):
        name, eq, value = first.partition("=")
        if eq:
            rest = tokens[1:]
        elif name in _TAKES_VALUE or name == "--requirement":
            if len(tokens) < 2:
                raise Unsupported(f"{name} without a value")
            value, rest = tokens[1], tokens[2:]
        else:
            value, rest = "", tokens[1:]
    else:
        name = first[:2]
        if name in _TAKES_VALUE or name == "-r":
            if len(first) > 2:
                value, rest = first[2:], tokens[1:]
            elif len(tokens) >= 2:
                value, rest = tokens[1], tokens[2:]
            else:
                raise Unsupported(f"{name} without a value")
        elif len(first) == 2:
            value, rest = "", tokens[1:]
        else:
            raise Unsupported(f"option cluster {first}")
    if rest:
        raise Unsupported(f"more than one option on a line ({' '.join(tokens)})")
    return name, value


def read(path: str, cwd: str, seen: frozenset[str] = frozenset(), files: list[str] | None = None) -> list[Line]:
    """The requirements of the file ``path`` (as the user wrote it) and of the files it
    includes, in pip's order; raise :class:`Unsupported` for anything outside the subset.
    """
    if "://" in path:
        raise Unsupported(f"{path}: a URL")
    if "pylock" in path and _compiled(_PYLOCK).match(os.path.basename(_compiled(r"\[[^\]]*\]$").sub("", path))):
        raise Unsupported(f"{path}: a lock file (pip 26 reads pylock.toml and pylock.<name>.toml as locks)")
    full = os.path.normpath(os.path.join(cwd, path))
    if full in seen:
        raise Unsupported(f"{path} includes itself")
    try:
        # Only a regular file can be read twice: a FIFO, /dev/stdin or a shell's <(...)
        # must be left whole for pip.
        if not stat.S_ISREG(os.stat(full).st_mode):
            raise Unsupported(f"{path}: not a regular file")
        with open(full, "rb") as handle:
            text = _decode(handle.read(), path)
        if files is not None:
            files.append(full)
    except OSError as exc:
        raise Unsupported(f"{path}: {exc.strerror}") from None
    if "${" in text:
        raise Unsupported(f"{path}: environment variable references")
    lines: list[Line] = []
    for number, line in _logical_lines(text):
        where = f"-r {path} (line {number})"
        if line.startswith("-"):
            if "'" in line or '"' in line:
                raise Unsupported(f"{where}: quoting")
            name, value = _option(line.split())
            if name in ("-r", "--requirement"):
                nested = value if os.path.isabs(value) or "://" in value else os.path.join(os.path.dirname(path), value)
                lines.extend(read(nested, cwd, seen | {full}, files))
            elif name not in SAFE_FILE_OPTIONS:
                raise Unsupported(f"{where}: option {name}")
            continue
        text, hashed = _split_hashes(line, where)
        if _space_dash(text.split(";", 1)[0]) or " --" in text:
            raise Unsupported(f"{where}: per-requirement options")
        if not looks_like_a_name(text, cwd):
            raise Unsupported(f"{where}: not a requirement on a project name")
        lines.append(Line(text, where, hashed=hashed))
    return lines
