"""Proof that a record in a directory (an environment's state file, a rebuild journal) was
written by this user's safepip for that very directory.

A record is a JSON object. safepip adds a ``mac`` to each record it writes: an HMAC-SHA256,
keyed with a random key of the user's own, over the record's kind, its content and the
directory it describes (its owner and real path; a tree moved aside is bound to the name
it is moved to, never reached through a link). A record without a ``mac`` that verifies
is not safepip's, whatever it says: a repository can commit any file under any name, but
not one that verifies, and a record copied to another directory no longer describes the
directory it is in. The path, not the inode, is bound: a project restored in place from a
backup keeps its environments safepip's; one moved elsewhere holds plain environments
(they work, safepip no longer rebuilds them).

The key (``records.key``, 32 random bytes in hex) lives in safepip's data directory, which
only the user can write (``~/.local/share/safepip``; as root, root's own whatever ``HOME``
says). It is made on the first write, never by a read. A key file that is not the user's
private file (owned by the euid, writable by nobody else, in a directory no other user can
write) is never used: no record then verifies, and none is signed.

The HMAC is computed with CPython's own SHA-256 (``_sha256``; ``_sha2`` from 3.12), as
:mod:`hmac` computes it: ``hmac`` and ``hashlib`` load OpenSSL's ``_hashlib``, about 3 ms,
which every ``safepip run`` with nothing remembered would pay to check one state file. For
the same reason a record is read and its signed text made with the C functions :mod:`json`
itself calls (``_json``): the module (and the re it imports) costs ms more.
"""

from __future__ import annotations

import os
import stat

from safepip.venv.leanjson import dumps, loads

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

KEY_FILE = "records.key"
MAC = "mac"
#: What a record describes; part of what is signed, so that one kind is never taken for another.
STATE = "state"
JOURNAL = "journal"

_KEY_BYTES = 32
#: Keys once read in this process, by file. Only keys found are kept: another process may
#: make the key after this one first looked (the first two calls ever, run in parallel).
_loaded: dict[str, bytes] = {}


def key_path() -> tuple[str, str]:
    """The key file, and the data directory it must be private in."""
    from safepip.paths import data_dir

    root = data_dir(os.environ)
    return os.path.join(root, KEY_FILE), root


def _read_key(path: str, root: str) -> bytes | None:
    from safepip.paths import read, warn

    raw = read(path, root)  # a private file of the user's own, or None (with a warning when it is not)
    if raw is None:
        return None
    try:
        key = bytes.fromhex(raw.decode("ascii").strip())
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        warn(f"ignoring {path}: it is not a key safepip made")
        return None
    return key


def _make_key(path: str, root: str) -> bytes | None:
    """Make the key file; None when it cannot be made private (said once)."""
    import contextlib  # here: only the first write ever makes the key

    from safepip.paths import directory_problem, warn

    why = directory_problem(root, root, create=True)
    if why is not None:
        warn(f"not signing safepip's records: {why}")
        return None
    tmp = f"{path}.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):
        os.unlink(tmp)  # left by a killed process with our pid
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, os.urandom(_KEY_BYTES).hex().encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # never replaces a key another process made meanwhile: that one wins
    except OSError as exc:
        warn(f"not signing safepip's records: cannot write {path} ({exc.strerror})")
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return _read_key(path, root)


def key(create: bool = False) -> bytes | None:
    """The user's record key; with ``create``, made if there is none yet."""
    path, root = key_path()
    if path in _loaded:
        return _loaded[path]
    found = _read_key(path, root)
    if found is None and create and not os.path.lexists(path):
        found = _make_key(path, root)
    if found is not None:
        _loaded[path] = found
    return found


def identity(kind: str, directory: str, named: str | None = None) -> list[Any] | None:
    """What binds a record of ``kind`` to ``directory`` (None: not a directory): its owner
    and its real path. An environment is reached as named (a ``.venv`` link leads to its
    target). A journal's tree is never reached through a link, and is bound to the name it
    has once renamed aside (``named``, when it is signed before the rename).
    """
    try:
        st = os.stat(directory) if kind == STATE else os.lstat(directory)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    if kind == STATE:
        where = os.path.realpath(directory)
    else:
        path = os.path.abspath(named or directory)
        where = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    return [kind, st.st_uid, where]


def _sha256() -> Any:
    """The SHA-256 constructor, without OpenSSL's loading where CPython has its own."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # Python <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]  # Python >= 3.12
        except ImportError:  # pragma: no cover - a Python built without them
            from hashlib import sha256  # type: ignore[assignment,unused-ignore]
    return sha256


def hmac_sha256(secret: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` keyed with ``secret``, in hex (RFC 2104, as ``hmac.new``)."""
    sha256 = _sha256()
    block = 64  # SHA-256's block size
    if len(secret) > block:
        secret = sha256(secret).digest()
    secret = secret.ljust(block, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in secret) + message).digest()
    return str(sha256(bytes(b ^ 0x5C for b in secret) + inner).hexdigest())


def _same(a: str, b: str) -> bool:
    """``a == b`` in a time that does not depend on where they differ (as hmac.compare_digest)."""
    try:
        from _operator import _compare_digest as compare
    except ImportError:  # pragma: no cover - not CPython
        from hmac import compare_digest as compare  # type: ignore[no-redef,unused-ignore]
    # A MAC is hex: one that is not ASCII (compare_digest refuses such strings) never matches.
    return a.isascii() and b.isascii() and bool(compare(a, b))


def _mac(secret: bytes, bound: list[Any], content: Mapping[str, Any]) -> str:
    body = {k: v for k, v in content.items() if k != MAC}
    message = dumps([bound, body])
    return hmac_sha256(secret, message.encode("ascii"))


def sign(kind: str, directory: str, content: Mapping[str, Any], named: str | None = None) -> dict[str, Any]:
    """``content`` with the proof that it is this user's record of ``kind`` for ``directory``
    (to be renamed ``named``), without one when there is no usable key: such a record never
    verifies.
    """
    body = {k: v for k, v in content.items() if k != MAC}
    secret = key(create=True)
    bound = identity(kind, directory, named)
    if secret is not None and bound is not None:
        body[MAC] = _mac(secret, bound, body)
    return body


def verified(kind: str, directory: str, data: object) -> dict[str, Any] | None:
    """The record's content (without its proof) when this user's safepip wrote it for
    ``directory``; None otherwise.
    """
    if not isinstance(data, dict) or not isinstance(data.get(MAC), str):
        return None
    secret = key()
    bound = identity(kind, directory)
    if secret is None or bound is None:
        return None
    if not _same(_mac(secret, bound, data), data[MAC]):
        return None
    return {k: v for k, v in data.items() if k != MAC}


def load(kind: str, directory: str, path: str) -> dict[str, Any] | None:
    """The verified record at ``path`` (describing ``directory``); None when there is none
    or it is not this user's safepip's (then said once: it is ignored, never acted on).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError:
        _ignored(path)
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            data = loads(handle.read(1 << 20).decode("utf-8"))
    except (OSError, ValueError):
        _ignored(path)
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    content = verified(kind, directory, data)
    if content is None:
        _ignored(path)
    return content


def _ignored(path: str) -> None:
    from safepip.paths import warn

    warn(f"ignoring {path}: safepip did not write it")
