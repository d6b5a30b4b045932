"""What the fast path reads out of requirement and version strings, remembered between calls
so that a check after a change imports packaging only for strings it has never read.

Everything here is a pure function of strings: a requirement's text gives its name, extras,
specifier and marker; a version string its normalized form and whether it is a
pre-release; a specifier and a version whether one contains the other; a requirement's
marker, an extra and the interpreter's marker values whether the marker matches. The
environment's METADATA is still read on every call (that is where the strings come from),
so a distribution that changed, in the same second and at the same size or not, is read
as it is now: nothing here is keyed on a file's identity, and no racy window applies.
Marker results are kept per set of marker values (the interpreter's, from its probe): an
interpreter with other values reads its own. The memo is tied to safepip's and packaging's
versions (another packaging may read a string otherwise) and lives privately in safepip's
cache directory (:mod:`safepip.paths`); a memo that cannot be read is an empty one.

A bare project name (``requests``) and a name with one simple clause (``requests>=2.31``,
a release of digits and dots: what most pins and most ``Requires-Dist`` are) are read
without packaging at all, and so is such a clause against an installed release of digits
and dots (:func:`simple_contains`, PEP 440's rules for plain releases).
"""

from __future__ import annotations

import os

from safepip.fastpath.options import Fallback

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Mapping, Sequence, Tuple

    #: name as written, extras as written (sorted), specifier as pip prints it, marker as pip prints it.
    ReqParts = Tuple[str, Tuple[str, ...], str, "str | None"]

#: Bump when what is stored changes.
SCHEMA = 1
#: Past this many entries the memo starts again (a cache, not a record).
LIMIT = 40000
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def bare_name(text: str) -> bool:
    """Whether ``text`` is a PEP 508 project name and nothing else (no spaces, extras,
    specifier, marker or URL): packaging would read it as that name, unchanged.
    """
    return bool(text) and text[0].isalnum() and text[-1].isalnum() and text.isascii() and _NAME_CHARS.issuperset(text)


def _release(text: str) -> tuple[int, ...] | None:
    """A plain release (``1.20.3``: ASCII digits and dots) as numbers; None for anything else."""
    parts = text.split(".")
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


_OPERATORS = ("===", "~=", "==", "!=", "<=", ">=", "<", ">")


def simple_requirement(text: str) -> ReqParts | None:
    """(name, no extras, specifier, no marker) for a bare name or a name with one clause on a
    plain release, written without spaces (``name>=1.0``); None for anything else. packaging
    reads these alike: the specifier prints as written.
    """
    if bare_name(text):
        return (text, (), "", None)
    for pos, char in enumerate(text):
        if char in "=!<>~":
            name, spec = text[:pos], text[pos:]
            break
    else:
        return None
    op = next((o for o in _OPERATORS if spec.startswith(o)), None)
    if not bare_name(name) or op is None or op == "===":
        return None
    release = _release(spec[len(op):])
    if release is None or (op == "~=" and len(release) < 2):
        return None
    return (name, (), spec, None)


def simple_contains(specifier: str, version: str) -> bool | None:
    """Whether one clause on a plain release allows the installed plain release ``version``
    (PEP 440: zero-padded comparison; ``~=`` as ``>=`` and the prefix); None when either is
    anything else. A plain release is no pre-, post-, dev- or local release, so the rules
    of ``<`` and ``>`` about those change nothing here.
    """
    have = _release(version)
    op = next((o for o in _OPERATORS if specifier.startswith(o)), "===")
    want = None if op == "===" else _release(specifier[len(op):])
    if have is None or want is None:
        return None
    width = max(len(have), len(want))
    padded, limit = have + (0,) * (width - len(have)), want + (0,) * (width - len(want))
    if op == "~=":
        prefix = len(want) - 1
        return padded >= limit and padded[:prefix] == want[:prefix]
    return {"==": padded == limit, "!=": padded != limit, "<=": padded <= limit, ">=": padded >= limit,
            "<": padded < limit, ">": padded > limit}[op]


def _versions() -> tuple[str, str]:
    """safepip's and packaging's versions (importing ``packaging`` alone costs nothing: its
    ``__init__`` holds only its metadata).
    """
    import packaging

    from safepip import __version__

    return __version__, str(getattr(packaging, "__version__", ""))


class Parsed:
    """The memo, for one interpreter's marker values; :meth:`save` writes what was added."""

    def __init__(self, markers: Mapping[str, str], path: str | None = None, root: str | None = None) -> None:
        self.markers = dict(markers)
        self._path, self._root = path, root
        self._dirty = False
        self._key = tuple(sorted(self.markers.items()))
        self._loaded: dict[str, Any] | None = None  # read when a string is not simple (_all)
        self._objects: dict[str, Any] = {}  # this call's packaging Requirements, by text

    # The memo is read only for a string the simple readings do not cover: a check of bare
    # names and plain clauses (most of them) reads no file and imports no packaging. What is
    # stored never covers a string those readings cover (they are tried first, and only
    # packaging's readings are stored), so the order changes no answer.
    @property
    def _all(self) -> dict[str, Any]:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    @property
    def _reqs(self) -> dict[str, ReqParts]:
        found: dict[str, ReqParts] = self._all["req"]
        return found

    @property
    def _vers(self) -> dict[str, tuple[str, bool]]:
        found: dict[str, tuple[str, bool]] = self._all["ver"]
        return found

    @property
    def _specs(self) -> dict[tuple[str, str], bool]:
        found: dict[tuple[str, str], bool] = self._all["spec"]
        return found

    @property
    def _marks(self) -> dict[tuple[str, str], bool]:
        found: dict[tuple[str, str], bool] = self._all["marks"].setdefault(self._key, {})
        return found

    @classmethod
    def for_environ(cls, markers: Mapping[str, str], environ: Mapping[str, str]) -> Parsed:
        """The memo in safepip's cache directory for ``environ``."""
        from safepip.paths import cache_dir

        root = cache_dir(environ)
        return cls(markers, os.path.join(root, "fastpath", "parsed.marshal"), root)

    def _empty(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "versions": _versions(), "req": {}, "ver": {}, "spec": {}, "marks": {}}

    def _load(self) -> dict[str, Any]:
        if self._path is None or self._root is None:
            return self._empty()
        import marshal

        from safepip.paths import read

        raw = read(self._path, self._root)
        try:
            data = marshal.loads(raw) if raw else None  # noqa: S302 - a private file of the user's own
        except (EOFError, ValueError, TypeError):
            data = None
        sections = ("req", "ver", "spec", "marks")
        if (not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("versions") != _versions()
                or not all(isinstance(data.get(s), dict) for s in sections)):
            return self._empty()
        return data

    def save(self) -> None:
        """Write the memo back if this call added to it (atomically; a memo that cannot be
        written only makes the next call slower).
        """
        if not self._dirty or self._path is None or self._root is None:
            return
        import marshal

        from safepip.paths import write

        data = self._all
        if sum(len(data[s]) for s in ("req", "ver", "spec")) + sum(len(m) for m in data["marks"].values()) > LIMIT:
            data = {**self._empty(), "marks": {self._key: self._marks}}
        write(self._path, marshal.dumps(data), self._root)
        self._dirty = False

    def _requirement(self, text: str) -> Any:
        """packaging's Requirement for ``text`` (Fallback when packaging cannot read it or it names a URL)."""
        found = self._objects.get(text)
        if found is None:
            from packaging.requirements import InvalidRequirement, Requirement

            try:
                found = Requirement(text)
            except InvalidRequirement:
                raise Fallback(f"{text!r} is not a requirement safepip can read") from None
            if found.url:
                raise Fallback(f"{text!r} names a URL")
            self._objects[text] = found
        return found

    def requirement(self, text: str) -> ReqParts:
        """(name, extras, specifier, marker) of the requirement ``text``, as packaging reads
        it and pip prints it; Fallback for what packaging cannot read or a URL.
        """
        found = simple_requirement(text) or self._reqs.get(text)
        if found is not None:
            return found
        req = self._requirement(text)
        found = (str(req.name), tuple(sorted(req.extras)), str(req.specifier),
                 None if req.marker is None else str(req.marker))
        self._reqs[text] = found
        self._dirty = True
        return found

    def matches(self, text: str, extras: Sequence[str] = ()) -> bool:
        """Whether the marker of the requirement ``text`` matches this interpreter, read as
        pip's resolver reads it for a distribution asked for with ``extras``: with
        ``extra == ""`` (the distribution itself) or with any one of them.
        """
        if self.requirement(text)[3] is None:
            return True
        for extra in ("", *extras):
            key = (text, extra)
            found = self._marks.get(key)
            if found is None:
                marker = self._requirement(text).marker
                found = self._marks[key] = bool(marker is None or marker.evaluate({**self.markers, "extra": extra}))
                self._dirty = True
            if found:
                return True
        return False

    def version(self, text: str) -> tuple[str, bool]:
        """The version ``text`` as pip prints it, and whether it is a pre-release; Fallback
        when it is not PEP 440.
        """
        release = _release(text)
        if release is not None:
            return ".".join(map(str, release)), False
        found = self._vers.get(text)
        if found is None:
            from packaging.version import InvalidVersion, Version

            try:
                version = Version(text)
            except InvalidVersion:
                raise Fallback(f"the version {text!r} is not PEP 440") from None
            found = self._vers[text] = (str(version), bool(version.is_prerelease))
            self._dirty = True
        return found

    def contains(self, specifier: str, version: str) -> bool:
        """Whether the specifier (as :meth:`requirement` gives it) allows the installed
        ``version`` (a valid one), pre-releases included.
        """
        if not specifier:
            return True
        key = (specifier, version)
        found = simple_contains(specifier, version)
        if found is None:
            found = self._specs.get(key)
        if found is None:
            from packaging.specifiers import SpecifierSet

            found = self._specs[key] = bool(SpecifierSet(specifier).contains(version, prereleases=True))
            self._dirty = True
        return found
