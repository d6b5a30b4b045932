"""What a wheel says about itself, read with as few bytes as possible.

The facts the application-or-library rule needs (:mod:`safepip.facts.apprule`) are the wheel's
console and GUI scripts (``entry_points.txt``), its trove classifiers (``METADATA``) and its
importable top-level names (the archive's file list). A local wheel is opened as a file. A
wheel on an index is read with HTTP range requests, as pip's lazy wheel does: the tail of
the archive (its central directory, which lists every member), then only the members
wanted. A server that answers a range request with the whole file (or an error) raises
:class:`NoRanges`: the caller falls back to a download that pip caches for the install.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from typing import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from urllib.request import OpenerDirector

#: Bytes asked for at a time: the first request (the archive's tail) and the least a later one asks.
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Meta:
    """A distribution as the rule sees it."""

    name: str
    version: str = ""
    console: tuple[str, ...] = ()
    gui: tuple[str, ...] = ()
    classifiers: tuple[str, ...] = ()
    top_level: tuple[str, ...] = ()
    summary: str = ""
    #: Files the wheel installs as commands as they are (``NAME.data/scripts/``): ruff's binary.
    data_scripts: tuple[str, ...] = ()
    #: Whether a top-level package ships ``py.typed`` (PEP 561: an API meant to be imported).
    typed: bool = False
    #: The top-level modules the console and GUI scripts' entry points live in.
    entry_modules: tuple[str, ...] = ()
    #: Its other entry-point groups (``poetry.application.plugin``, ``pytest11``): what it plugs into.
    groups: tuple[str, ...] = ()

    @property
    def scripts(self) -> tuple[str, ...]:
        """Every command the distribution declares."""
        return (*self.console, *self.gui, *self.data_scripts)


def parse_entry_points(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The console and the GUI script names of an ``entry_points.txt``, and the top-level
    modules their targets live in (invalid: none).
    """
    import configparser

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # script names are case-sensitive
    try:
        parser.read_string(text)
    except configparser.Error:
        return (), (), ()
    found = []
    modules: set[str] = set()
    for section in ("console_scripts", "gui_scripts"):
        found.append(tuple(parser.options(section)) if parser.has_section(section) else ())
        for name in found[-1]:
            target = parser.get(section, name).strip()
            modules.add(target.split(":", 1)[0].split(".", 1)[0].strip())
    return found[0], found[1], tuple(sorted(m for m in modules if m))


def entry_point_groups(text: str) -> tuple[str, ...]:
    """The entry-point groups of an ``entry_points.txt`` besides console and GUI scripts."""
    import re

    found = re.findall(r"^\s*\[\s*([^\]\s][^\]]*?)\s*\]\s*$", text, re.MULTILINE)
    return tuple(dict.fromkeys(g for g in found if g not in ("console_scripts", "gui_scripts")))


def parse_metadata(text: str) -> tuple[str, str, tuple[str, ...], str]:
    """Name, version, classifiers and summary of a core metadata file."""
    from email.parser import HeaderParser

    message = HeaderParser().parsestr(text)
    return (str(message.get("Name", "")), str(message.get("Version", "")),
            tuple(str(c) for c in message.get_all("Classifier") or ()), str(message.get("Summary", "") or ""))


def top_level_names(names: list[str]) -> tuple[str, ...]:
    """The importable top-level names of an archive's members (packages and modules)."""
    found: set[str] = set()
    for member in names:
        head, _, rest = member.partition("/")
        if head.endswith((".dist-info", ".data")) or not head:
            continue
        if rest:
            if head.isidentifier():
                found.add(head)
        elif head.endswith((".py", ".so", ".pyd")) or ".cpython-" in head or ".abi3." in head:
            stem = head.split(".", 1)[0]
            if stem.isidentifier():
                found.add(stem)
    return tuple(sorted(found))


def from_archive(archive: zipfile.ZipFile, fallback_name: str = "") -> Meta:
    """The facts of an open wheel, reading only its metadata members."""
    names = archive.namelist()
    infos = [n for n in names if n.count("/") == 1 and n.split("/")[0].endswith(".dist-info")]

    def member(base: str) -> str | None:
        found = [n for n in infos if n.endswith("/" + base)]
        return archive.read(found[0]).decode("utf-8", "replace") if found else None

    entry_points = member("entry_points.txt") or ""
    console, gui, entry_modules = parse_entry_points(entry_points)
    name, version, classifiers, summary = parse_metadata(member("METADATA") or "")
    data_scripts = tuple(sorted({n.split("/")[2] for n in names
                                 if n.count("/") == 2 and n.split("/")[0].endswith(".data")
                                 and n.split("/")[1] == "scripts" and n.split("/")[2]}))
    typed = any(n.count("/") == 1 and n.endswith("/py.typed") for n in names)
    return Meta(name or fallback_name, version, console, gui, classifiers, top_level_names(names), summary,
                data_scripts, typed, entry_modules, entry_point_groups(entry_points))


def from_file(path: str) -> Meta | None:
    """The facts of a wheel on disk (None: not a readable wheel)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return from_archive(archive)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return None


class NoRanges(Exception):
    """The server does not serve byte ranges of this file (or the request failed)."""


class RangeReader(io.RawIOBase):
    """A read-only file over HTTP: each read that misses fetches the bytes it needs.

    ``fetched`` counts the body bytes received and ``requests`` the requests made, for the
    caller's report and the tests.
    """

    def __init__(self, url: str, http: OpenerDirector, headers: Mapping[str, str] | None = None) -> None:
        super().__init__()
        if not url.startswith(("https://", "http://")):
            raise NoRanges(f"not an HTTP URL: {url}")
        self.url = url
        self.http = http
        self.headers = dict(headers or {})
        self.size = 0
        self.fetched = 0
        self.requests = 0
        self._pos = 0
        self._have: dict[int, bytes] = {}
        self._tail()

    def _get(self, spec: str) -> tuple[str, bytes]:
        import urllib.request

        headers = {**self.headers, "Range": f"bytes={spec}", "Accept-Encoding": "identity"}
        request = urllib.request.Request(self.url, headers=headers)  # noqa: S310 - http(s) only, checked above
        try:
            response = self.http.open(request, timeout=30)
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            raise NoRanges(str(exc)) from None
        with response:
            self.requests += 1
            if response.status != 206:
                raise NoRanges(f"the server answered {response.status} to a range request")
            body = response.read()
            self.fetched += len(body)
            return str(response.headers.get("Content-Range", "")), body

    def _tail(self) -> None:
        content_range, body = self._get(f"-{CHUNK}")
        try:
            self.size = int(content_range.rpartition("/")[2])
        except ValueError:
            raise NoRanges(f"unusable Content-Range {content_range!r}") from None
        self._have[self.size - len(body)] = body

    def _find(self, start: int, end: int) -> bytes | None:
        for offset, data in self._have.items():
            if offset <= start and end <= offset + len(data):
                return data[start - offset : end - offset]
        return None

    def readable(self) -> bool:
        """Always: the file is read-only."""
        return True

    def seekable(self) -> bool:
        """Always: every offset can be fetched."""
        return True

    def tell(self) -> int:
        """The current offset."""
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move to ``offset`` (from the start, the current offset or the end)."""
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes from the current offset, fetched if not yet here."""
        end = self.size if size is None or size < 0 else min(self.size, self._pos + size)
        if end <= self._pos:
            return b""
        found = self._find(self._pos, end)
        if found is None:
            start = self._pos
            want_end = min(self.size, max(end, start + CHUNK))
            _, body = self._get(f"{start}-{want_end - 1}")
            if len(body) < end - start:
                raise NoRanges("the server sent less than the range asked")
            self._have[start] = body
            found = body[: end - start]
        self._pos = end
        return found

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        """Read into ``buffer``; return the number of bytes read."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def opener(cert: str | None = None, client_cert: str | None = None, verify: bool = True) -> OpenerDirector:
    """An urllib opener with pip's TLS settings (``cert``, ``client-cert``, trusted hosts)."""
    import ssl
    import urllib.request

    context = ssl.create_default_context(cafile=cert if cert and os.path.isfile(cert) else None,
                                         capath=cert if cert and os.path.isdir(cert) else None)
    if client_cert:
        context.load_cert_chain(client_cert)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))


def from_url(url: str, http: OpenerDirector, fallback_name: str = "") -> tuple[Meta, int, int]:
    """The facts of a remote wheel read by byte ranges: (facts, bytes fetched, requests).

    Raises :class:`NoRanges` when the server does not serve ranges or a request fails.
    """
    reader = RangeReader(url.split("#", 1)[0], http)
    try:
        with zipfile.ZipFile(reader) as archive:
            meta = from_archive(archive, fallback_name)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise NoRanges(f"not a readable wheel: {exc}") from None
    return meta, reader.fetched, reader.requests

