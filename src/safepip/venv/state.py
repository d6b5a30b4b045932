"""The environment's own records: the state file safepip writes into the environments it
makes (``.safepip.json``), the proof that a record in a directory (a state file, a rebuild
journal) was written by this user's safepip for that very directory, and why an existing
environment cannot be used as it is.

``creating`` before virtualenv runs, ``complete`` once the environment is whole,
``restoring`` while a rebuild puts back what the old tree held (see :mod:`safepip.venv.rebuild`).
Each carries the proof that this user's safepip wrote it for this directory
(:func:`sign`, :func:`verified`): a state file without one is not safepip's, whatever it says.

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

**JSON** as :mod:`json` reads and writes it (:func:`loads`, :func:`dumps`), with the C
functions json itself calls (``_json``) and without importing json: json (and the re it
imports, with enum) costs a few ms, and a ``safepip run`` with nothing remembered reads one
record (an environment's state file) whose proof is computed over a JSON text. An object of
plain strings (a state file) is read and written without even ``_json``: a shared library,
whose loading costs more than the reading. Where ``_json`` is missing (not CPython), json
itself does the work.
"""

from __future__ import annotations

import os
import stat

from safepip.venv.layout import bin_python, cfg_lines

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

    from safepip.paths import Dirs

STATE_FILE = ".safepip.json"
CREATING = "creating"
COMPLETE = "complete"
#: A rebuild moved the old tree aside and has not yet put everything back (see rebuild.py).
RESTORING = "restoring"


def _record(env_dir: str, dirs: Dirs | None) -> dict[str, Any] | None:
    """The environment's state file, when this user's safepip wrote it for this directory
    (see :func:`load`); anything else found there is ignored, and said once.
    """
    return load(STATE, env_dir, os.path.join(env_dir, STATE_FILE), dirs=dirs)


def state(env_dir: str, *, dirs: Dirs | None = None) -> str | None:
    """``creating``, ``complete`` or ``restoring`` for environments safepip made, None for
    others (no state file, or one safepip did not write: a repository can commit any).
    ``dirs``: the session's directories, where the key is (see :func:`key`).
    """
    data = _record(env_dir, dirs)
    if data is None:
        return None
    value = data.get("state")
    return str(value) if value in (CREATING, COMPLETE, RESTORING) else None


def restoring_from(env_dir: str, *, dirs: Dirs | None = None) -> str | None:
    """The old tree a rebuild in progress restores from (its state file says)."""
    data = _record(env_dir, dirs)
    old = data.get("old") if data is not None else None
    return old if isinstance(old, str) else None


def own_files_only(env_dir: str) -> bool:
    """Whether a directory holds nothing but safepip's state file (or its temporary copies,
    left by a process killed while writing it).
    """
    try:
        return all(name.startswith((STATE_FILE, ".safepip-rebuild.json")) for name in os.listdir(env_dir))
    except OSError:
        return False


def write_state(env_dir: str, value: str, base_python: str, old: str | None = None, *,
                dirs: Dirs | None = None) -> None:
    """Write the state file atomically (and the old tree a rebuild restores from)."""
    import json  # here: reading a state file needs no json module (see load)

    from safepip import __version__
    from safepip.paths import replace_file

    data = {"state": value, "safepip": __version__, "python": base_python, **({"old": old} if old else {})}
    data = sign(STATE, env_dir, data, dirs=dirs)
    # A file of the environment: 0644 whatever the umask, as the rest of it.
    replace_file(os.path.join(env_dir, STATE_FILE), json.dumps(data).encode("utf-8"), mode=0o644, exact_mode=True,
                 durable=True)


def problem(env_dir: str, *, dirs: Dirs | None = None) -> str | None:
    """Why an existing environment cannot be used as it is, or None when it looks whole."""
    current = state(env_dir, dirs=dirs)
    if current == CREATING:
        return "its creation was interrupted"
    if current == RESTORING:
        return "its rebuild was interrupted"
    python = bin_python(env_dir)
    if not os.path.exists(python):
        return f"its interpreter {_missing(python)} no longer exists"
    return _version_changed(env_dir, python)


def _missing(python: str) -> str:
    """The path that is gone on the way from ``python`` along its links (absolute: a
    relative link such as venv's ``python -> python3`` is named by where it points).
    """
    current = python
    for _ in range(40):  # the kernel's own limit on links followed
        if not os.path.islink(current):
            break
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return current


def _version_changed(env_dir: str, python: str) -> str | None:
    """Why the environment's interpreter is now another minor version than the one it was
    made with, or None. Read without running it: the name its link resolves to
    (``python3.12``) against ``pyvenv.cfg``'s version.
    """
    name = os.path.basename(os.path.realpath(python))
    found = _major_minor(name[len("python"):], whole=True) if name.startswith("python") else None
    if found is None:
        return None
    try:
        lines = cfg_lines(env_dir)
    except OSError:
        return None
    versions = (_major_minor(value, whole=False) for key, value in lines if key in ("version", "version_info"))
    made = next((v for v in versions if v is not None), None)
    if made is None or made == found:
        return None
    return f"it was made with Python {'.'.join(made)} and its interpreter is now Python {'.'.join(found)}"


def _major_minor(text: str, *, whole: bool) -> tuple[str, str] | None:
    """``X.Y`` (runs of digits, as re's ``\\d+``) at the start of ``text``, or all of it with
    ``whole``; None when it is not there. String methods: re costs ms to import, and this
    runs on every use of an environment.
    """
    major, dot, rest = text.partition(".")
    if not dot or not major.isdecimal():
        return None
    if whole:
        return (major, rest) if rest.isdecimal() else None
    end = 0
    while end < len(rest) and rest[end].isdecimal():
        end += 1
    return (major, rest[:end]) if end else None


# The proof that a record is this user's safepip's, for its directory (see the module docstring).

KEY_FILE = "records.key"
MAC = "mac"
#: What a record describes; part of what is signed, so that one kind is never taken for another.
STATE = "state"
JOURNAL = "journal"

_KEY_BYTES = 32
#: Keys once read in this process, by file. Only keys found are kept: another process may
#: make the key after this one first looked (the first two calls ever, run in parallel).
_loaded: dict[str, bytes] = {}


def key_path(dirs: Dirs | None = None) -> tuple[str, str]:
    """The key file, and the data directory it must be private in: that of ``dirs`` (the
    session's, worked out once for the call), else looked up from the process environment
    (a caller without a session: the front door's replay).
    """
    if dirs is not None:
        root = dirs.data
    else:
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


def key(create: bool = False, *, dirs: Dirs | None = None) -> bytes | None:
    """The user's record key; with ``create``, made if there is none yet. ``dirs``: the
    session's directories (:func:`key_path`).
    """
    path, root = key_path(dirs)
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


def sha256_hex(data: bytes) -> str:
    """SHA-256's hex digest of ``data``, as hashlib's, computed as :func:`hmac_sha256` computes it."""
    return str(_sha256()(data).hexdigest())


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


def sign(kind: str, directory: str, content: Mapping[str, Any], named: str | None = None, *,
         dirs: Dirs | None = None) -> dict[str, Any]:
    """``content`` with the proof that it is this user's record of ``kind`` for ``directory``
    (to be renamed ``named``), without one when there is no usable key: such a record never
    verifies.
    """
    body = {k: v for k, v in content.items() if k != MAC}
    secret = key(create=True, dirs=dirs)
    bound = identity(kind, directory, named)
    if secret is not None and bound is not None:
        body[MAC] = _mac(secret, bound, body)
    return body


def verified(kind: str, directory: str, data: object, *, dirs: Dirs | None = None) -> dict[str, Any] | None:
    """The record's content (without its proof) when this user's safepip wrote it for
    ``directory``; None otherwise.
    """
    if not isinstance(data, dict) or not isinstance(data.get(MAC), str):
        return None
    secret = key(dirs=dirs)
    bound = identity(kind, directory)
    if secret is None or bound is None:
        return None
    if not _same(_mac(secret, bound, data), data[MAC]):
        return None
    return {k: v for k, v in data.items() if k != MAC}


def load(kind: str, directory: str, path: str, *, dirs: Dirs | None = None) -> dict[str, Any] | None:
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
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError
        # The first MiB, in steps of the file's size and a byte (as paths.read_upto: a first read of
        # a fixed 1 MiB allocates that much), read here: the state file is the environment's own.
        step = min(max(st.st_size + 1, 4096), 1 << 20)
        chunks: list[bytes] = []
        got = 0
        while got < 1 << 20:
            chunk = os.read(fd, min(step, (1 << 20) - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        data = loads(b"".join(chunks).decode("utf-8"))
    except (OSError, ValueError):
        _ignored(path)
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    content = verified(kind, directory, data, dirs=dirs)
    if content is None:
        _ignored(path)
    return content


def _ignored(path: str) -> None:
    from safepip.paths import warn

    warn(f"ignoring {path}: safepip did not write it")


# JSON as json reads and writes it, without importing json (see the module docstring).


class _Decoding:
    """What ``_json``'s scanner reads of a decoder: ``json.loads``'s defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


def _plain(text: str) -> bool:
    """Whether ``text`` is a JSON string's content as json writes it, unescaped: printable
    ASCII without a quote or a backslash.
    """
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def _flat(text: str) -> dict[str, str] | None:
    """``text`` read as json reads it when it is an object of plain strings (:func:`_plain`:
    what a state file holds), or None for anything else (read by json's scanner).
    """
    body = text.strip(" \t\n\r")  # json's own whitespace
    if body[:1] != "{" or body[-1:] != "}":
        return None
    found: dict[str, str] = {}
    rest = body[1:-1].strip(" \t\n\r")
    while rest:
        parts = rest.split('"', 4)  # '', key, ':', value, what follows
        if len(parts) != 5 or parts[0] or parts[2].strip(" \t\n\r") != ":":
            return None
        key, value, rest = parts[1], parts[3], parts[4].lstrip(" \t\n\r")
        if not (_plain(key) and _plain(value)):
            return None
        found[key] = value  # a repeated key: the last, as json keeps it
        if rest:
            if rest[0] != ",":
                return None
            rest = rest[1:].lstrip(" \t\n\r")
            if not rest:
                return None  # a trailing comma
    return found


def loads(text: str) -> Any:
    """``json.loads(text)``: the same scanner, without importing json (a ValueError when ``text``
    is not JSON). An object of plain strings (a state file) is read here: loading ``_json`` (a
    shared library) costs more than reading it.
    """
    flat = _flat(text)
    if flat is not None:
        return flat
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - not CPython
        import json

        return json.loads(text)
    if text.startswith("\ufeff"):
        raise ValueError("a byte order mark")  # json.loads refuses it too
    start = len(text) - len(text.lstrip(" \t\n\r"))  # json's own whitespace
    try:
        value, end = make_scanner(_Decoding())(text, start)  # type: ignore[arg-type,unused-ignore]
    except StopIteration:
        raise ValueError("no JSON value") from None
    if text[end:].lstrip(" \t\n\r"):
        raise ValueError("extra data after the JSON value")
    return value


def dumps(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``; what
    JSON decoding gives (strings, whole numbers, booleans, null, lists, objects) is written
    with json's own string encoder, anything else by json itself.
    """
    chunks: list[str] = []

    def string(item: str) -> str | None:
        if _plain(item):
            return f'"{item}"'  # what json writes for it: _json (a shared library) is not loaded
        try:
            from _json import encode_basestring_ascii
        except ImportError:  # pragma: no cover - not CPython
            return None
        return encode_basestring_ascii(item)

    def put(item: Any) -> bool:
        if isinstance(item, str):
            written = string(item)
            if written is None:
                return False
            chunks.append(written)
        elif item is None or isinstance(item, bool):
            chunks.append("null" if item is None else "true" if item else "false")
        elif isinstance(item, int):
            chunks.append(int.__repr__(item))
        elif isinstance(item, list):
            chunks.append("[")
            for index, each in enumerate(item):
                if index:
                    chunks.append(",")
                if not put(each):
                    return False
            chunks.append("]")
        elif isinstance(item, dict) and all(isinstance(k, str) for k in item):
            chunks.append("{")
            for index, key in enumerate(sorted(item)):
                written = string(key)
                if written is None:
                    return False
                chunks.append(f"{',' if index else ''}{written}:")
                if not put(item[key]):
                    return False
            chunks.append("}")
        else:
            return False  # a float, a tuple...: json's own rules
        return True

    return "".join(chunks) if put(value) else _json_dumps(value)


def _json_dumps(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
