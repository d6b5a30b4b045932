"""Reading a tool's own settings (uv, Poetry, PDM, Hatch, pipenv) as the tool reads them,
without running it: TOML files read once each, and every path read recorded (for
remembered answers). What :mod:`safepip.facts.toolenv` and :mod:`safepip.facts.poetryenv`
compute places from.
"""

from __future__ import annotations

import os

from safepip.frozen import Frozen, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping

#: The largest tool configuration file read (they are a few kilobytes).
MAX_FILE = 4 << 20


@record
class ToolEnv(Frozen):
    """The environment ``tool`` uses for a project: ``path``, whether it ``exists``, and
    ``why`` (a phrase for the notice). ``named_by`` is the repository file that chose the
    place, when one did (the placement rules apply to it), with the ``value`` it wrote.
    """

    tool: str
    path: str
    exists: bool
    why: str
    named_by: str = ""
    value: str = ""
    #: The place the repository's setting names (Poetry's: the directory of its environments).
    place: str = ""


@record
class Found(Frozen):
    """The tool environment of a project (None: no tool claims it), and every path read."""

    env: ToolEnv | None
    reads: tuple[str, ...] = ()


def is_venv(path: str) -> bool:
    """Whether ``path`` holds a virtual environment (its ``pyvenv.cfg``)."""
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def read_toml(path: str, mentions: str | None = None) -> dict[str, Any] | None:
    """A tool's TOML file, or None (missing, too large, not TOML: the tool's to report).
    With ``mentions``, also None when the file cannot hold a key of that name (see
    :func:`could_name`): the caller looks for nothing else, and is spared the parse.
    """
    data = read_bytes(path)
    if mentions is not None and not could_name(data, mentions):
        return None
    return parse_toml(data)


def read_bytes(path: str) -> bytes | None:
    """A TOML file's bytes, or None (missing, unreadable, too large)."""
    from safepip.facts.interpreter import file_bytes  # each file read once while facts are gathered

    try:
        data = file_bytes(path, MAX_FILE + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_FILE else None


def parse_toml(data: bytes | None) -> dict[str, Any] | None:
    """``data`` parsed as TOML, or None (None given, not UTF-8, not TOML)."""
    if data is None:
        return None  # tomllib (with typing, datetime and re: about 6 ms) only for a file there is
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        parsed: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return parsed


def could_name(data: bytes | None, word: str) -> bool:
    r"""Whether TOML text ``data`` can hold a key or string value spelled ``word`` (False for
    None).

    TOML is UTF-8, and a key or string is written as its own characters unless an escape
    spells them (``\u0074ool`` is ``tool``; a line-ending backslash joins the lines of a
    multi-line string): a file without the word and without any backslash cannot name it,
    whatever else it holds. So the parse (the dearest step of reading a project's tool
    settings: tomllib imports typing, datetime and re) is made only for a file that could
    answer.
    """
    if data is None:
        return False
    return word.encode("utf-8") in data or b"\\" in data


def get(table: Any, *keys: str) -> Any:
    """``table[k1][k2]...`` (None where a level is missing or not a table)."""
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


def as_bool(value: Any, words: tuple[tuple[str, ...], tuple[str, ...]]) -> bool | None:
    """A tool's boolean (None: unset or unreadable); ``words`` are its (true, false) words."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in words[0]:
            return True
        if low in words[1]:
            return False
    return None


def home(environ: Mapping[str, str]) -> str:
    """The user's home directory."""
    return environ.get("HOME") or os.path.expanduser("~")


def xdg(environ: Mapping[str, str], variable: str, default: str) -> str:
    """An XDG base directory: ``variable`` when absolute, else ``default`` under home."""
    value = environ.get(variable, "")
    return value if os.path.isabs(value) else os.path.join(home(environ), default)


def expand(path: str, environ: Mapping[str, str]) -> str:
    """``path`` with a leading ``~`` made the home directory."""
    if path == "~" or path.startswith("~/"):
        return home(environ) + path[1:]
    return path


def b64_8(digest: bytes) -> str:
    """The first 8 characters of ``digest`` in URL-safe base64 (how the tools shorten hashes)."""
    import binascii  # base64's own encoder, without base64's imports

    return binascii.b2a_base64(digest, newline=False).decode().replace("+", "-").replace("/", "_")[:8]


class Reader:
    """The project's files, each read once, and every path read (for remembered answers)."""

    def __init__(self, root: str, environ: Mapping[str, str]) -> None:
        self.root = root
        self.environ = environ
        self.reads: list[str] = []
        self._bytes: dict[str, bytes | None] = {}
        self._cache: dict[str, dict[str, Any] | None] = {}

    def raw(self, path: str) -> bytes | None:
        """The bytes of the TOML file at ``path`` (None: missing or unreadable), read once."""
        if path not in self._bytes:
            self.reads.append(path)
            self._bytes[path] = read_bytes(path)
        return self._bytes[path]

    def toml(self, path: str) -> dict[str, Any] | None:
        """The TOML file at ``path`` (None: missing or unreadable), read and parsed once."""
        if path not in self._cache:
            self._cache[path] = parse_toml(self.raw(path))
        return self._cache[path]

    def has(self, name: str) -> bool:
        """Whether the project root holds ``name``."""
        path = os.path.join(self.root, name)
        self.reads.append(path)
        return os.path.exists(path)

    def venv(self, path: str) -> bool:
        """Whether ``path`` is a virtual environment (its parent, itself and its pyvenv.cfg read)."""
        self.reads.extend((os.path.dirname(path), path, os.path.join(path, "pyvenv.cfg")))
        return is_venv(path)

    @property
    def pyproject(self) -> dict[str, Any]:
        """The project's pyproject.toml ({} when missing or unreadable)."""
        return self.toml(os.path.join(self.root, "pyproject.toml")) or {}

    def mentions(self, *words: str) -> bool:
        """Whether the project's pyproject.toml can hold keys (or values) spelled by each of
        ``words``, without parsing it (:func:`could_name`): when not, every lookup of a key
        path through them all finds nothing.
        """
        data = self.raw(os.path.join(self.root, "pyproject.toml"))
        return all(could_name(data, word) for word in words)


def backend(reader: Reader) -> str:
    """The project's build backend ("" when none is named)."""
    backend = get(reader.pyproject, "build-system", "build-backend")
    return backend if isinstance(backend, str) else ""


def listed(reader: Reader, parent: str, prefix: str) -> list[str]:
    """The virtual environments in ``parent`` whose names start with ``prefix``, sorted."""
    reader.reads.append(parent)
    try:
        names = sorted(n for n in os.listdir(parent) if n.startswith(prefix))
    except OSError:
        return []
    return [os.path.join(parent, n) for n in names if reader.venv(os.path.join(parent, n))]
