"""The distributions a virtual environment's pip would see: found as pip finds them (the
site-packages directories and what their ``.pth`` files add) and read by :func:`read_dist`
(the METADATA header block, once per distribution); anything unusual raises
:class:`~safepip.fastpath.options.Fallback`.
"""

from __future__ import annotations

import os

from safepip.fastpath.options import Fallback, canonical
from safepip.venv.layout import system_site_packages

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Iterable, Mapping, Sequence

    from safepip.paths import Dirs


#: The entries of a site-packages directory that are installed distributions.
_INFO = (".dist-info", ".egg-info", ".egg-link")


class Environment:
    """The distributions a virtual environment's pip would see, and its marker values."""

    def __init__(self, prefix: str, sites: Iterable[str], markers: Mapping[str, str],
                 listed: dict[str, list[str]] | None = None, *, system_site: bool | None = None) -> None:
        self.prefix = prefix
        #: Its purelib and platlib, as the probe gave them.
        self.sites = tuple(sites)
        self.markers = dict(markers)
        if not self.markers:
            raise Fallback(f"no marker values for {prefix}")
        self._system_site_packages(system_site)
        #: Each directory's entries, listed once for this call (see :func:`entries`).
        self.listed: dict[str, list[str]] = {} if listed is None else listed
        #: The .pth files read: their contents decide the path (the memo tracks each).
        self.pth_files: list[str] = []
        self.path = self._search_path(self.sites, prefix, self.pth_files, self.listed)
        self._indexes: list[Index] = []
        self._read: dict[str, Dist | None] = {}
        for directory in self.path:
            self._scan(directory)

    @classmethod
    def of(cls, python: str, environ: Mapping[str, str], listed: dict[str, list[str]] | None = None,
           probed: Sequence[Any] | None = None, dirs: Dirs | None = None, *,
           known: tuple[str, bool | None] | None = None) -> Environment:
        """The environment ``python`` runs in, from its probe (cached on its identity, in
        ``dirs``: the session's, else those of ``environ``); ``listed``: directories this call
        listed already (:func:`entries`); ``probed``: the probe's prefix, purelib, platlib and
        marker values as a remembered decision keeps them
        (:func:`safepip.remembered.record.remember_decision`, under the interpreter's signature);
        ``known``: an environment's directory and whether it sees the system site-packages, as
        the caller read them (the pip flow's :class:`safepip.venv.ensure.Ready`), used when
        ``python`` runs in that very directory (else its pyvenv.cfg is read here).
        """
        if probed is not None:
            prefix, purelib, platlib, markers = probed
            return cls(prefix, (purelib, platlib), markers, listed, system_site=_known(known, prefix))
        from safepip.facts.interpreter import probe

        interp = probe(python, "the fast path", environ, dirs)
        if not interp.in_venv:
            raise Fallback(f"{python} is not a virtual environment")
        return cls(interp.prefix, (interp.purelib, interp.platlib), interp.markers, listed,
                   system_site=_known(known, interp.prefix))

    def _system_site_packages(self, known: bool | None) -> None:
        """Stand aside for an environment that sees the system site-packages (``known``:
        whether it does, as the caller read it; None: its pyvenv.cfg is read here).
        """
        if known is None:
            try:
                known = system_site_packages(self.prefix)
            except OSError as exc:
                raise Fallback(f"cannot read pyvenv.cfg: {exc.strerror}") from None
        if known:
            raise Fallback("the environment sees the system site-packages")

    @staticmethod
    def _search_path(sites: Iterable[str], prefix: str, pth_files: list[str] | None = None,
                     listed: dict[str, list[str]] | None = None) -> list[str]:
        """site-packages and the directories its .pth files add, as site.py reads them.
        .pth files that run code are read as they are when known not to touch sys.path;
        with any other, the environment's real sys.path is asked of its interpreter (once
        per signature of its .pth files: :func:`real_path`).
        """
        path: list[str] = []
        coded: list[str] = []
        for site in dict.fromkeys(sites):
            if not os.path.isdir(site):
                continue
            path.append(site)
            for name in distributions(site, listed).pth():
                if pth_files is not None:
                    pth_files.append(os.path.join(site, name))
                if Environment._read_pth(site, name, path):
                    coded.append(os.path.join(site, name))
        if coded:
            from safepip.fastpath.syspath import real_path

            return real_path(prefix, path, coded)
        return path

    @staticmethod
    def _read_pth(site: str, name: str, path: list[str]) -> bool:
        """Add the directories of one .pth file to ``path``; return True when it runs code
        that may change sys.path.
        """
        harmless_code = (
            name in ("distutils-precedence.pth", "_virtualenv.pth")
            or name.startswith("__editable__.")  # setuptools' editable finders: meta_path only
            or name.endswith("-nspkg.pth")  # old namespace packages: sys.modules only
        )
        try:
            with open(os.path.join(site, name), encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except (OSError, UnicodeDecodeError):
            raise Fallback(f"cannot read {name}") from None
        for line in lines:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if line.startswith(("import ", "import\t")):
                if not harmless_code:
                    return True
                continue
            directory = os.path.join(site, line.rstrip())
            if os.path.isdir(directory) and directory not in path:
                path.append(directory)
        return False

    def _scan(self, directory: str) -> None:
        try:
            index = distributions(directory, self.listed)
        except OSError:
            return
        if index.legacy is not None:
            raise Fallback(f"legacy editable install {index.legacy}")
        self._indexes.append(index)

    def _lookup(self, key: str) -> list[str]:
        """The metadata directories of the canonical name ``key`` on the search path, in its order."""
        return [path for index in self._indexes for path in index.get(key)]

    def info_dir(self, name: str) -> str:
        """The metadata directory of the one distribution installed under ``name``."""
        found = self._lookup(canonical(name))
        if not found:
            raise KeyError(name)
        return found[0]

    def get(self, name: str) -> Dist | None:
        """The one distribution installed under ``name`` (None: none), read once."""
        key = canonical(name)
        if key in self._read:
            return self._read[key]
        found = self._lookup(key)
        dist = None
        if found:
            if len(found) > 1:
                raise Fallback(f"{name} is installed more than once")
            if found[0].endswith(".egg-info"):
                raise Fallback(f"{name} is a legacy (egg-info) installation")
            if not os.path.lexists(os.path.join(found[0], "RECORD")):
                raise Fallback(f"{name} has no RECORD: an interrupted install left it half-written")
            dist = read_dist(found[0])
            if canonical(dist.name) != key:
                raise Fallback(f"{found[0]} holds {dist.name}")
            _check_dir_version(found[0], dist.version)
        self._read[key] = dist
        return dist


def _known(known: tuple[str, bool | None] | None, prefix: str) -> bool | None:
    """Whether the environment at ``prefix`` sees the system site-packages, when ``known``
    (a directory and that answer) is about it; None: not known.
    """
    if known is None or known[0] != prefix:
        return None
    return known[1]


def entries(directory: str, listed: dict[str, list[str]] | None = None) -> list[str]:
    """``os.listdir(directory)``, once per call: ``listed`` keeps what this call listed (the
    front door's first look, the search path, the scan and the paths an answer depends on
    read one listing of a site-packages that holds hundreds of entries).
    """
    if listed is None:
        return os.listdir(directory)
    found = listed.get(directory)
    if found is None:
        found = listed[directory] = os.listdir(directory)
    return found


#: Each directory's distributions, with the listing they were read from (see :func:`distributions`).
_INDEXED: dict[str, Index] = {}


class Index:
    """The distributions of one listing of a directory (:func:`distributions`), found by name
    when asked. A site-packages holds hundreds of them and a check reads a few: each entry's
    name is not read apart (that cost a cold call ~0.4 ms in an environment of 350); the
    listing is folded once as a whole (lower case, ``_`` and ``.`` read as ``-``, runs of
    ``-`` as one: :func:`~safepip.fastpath.options.canonical`'s rules) and searched for a
    line starting with the name and ``-`` (every metadata directory's name goes on with a
    ``-`` or a ``.`` after its project's). Each entry found so is read as before; a name or a
    listing this reading cannot be exact for (a name that is not letters and digits at both
    ends; a listing that is not ASCII, whose case rules depend on the letters around) is
    looked for in every entry, as before.
    """

    def __init__(self, directory: str, names: list[str]) -> None:
        self.names = names
        self._base = os.path.join(directory, "")  # joined once: os.path.join per entry cost more than the rest
        self._joined = joined = "\n" + "\n".join(names) + "\n"
        #: The first legacy editable install (``.egg-link``) in the listing (None: none).
        self.legacy = next((n for n in names if n.endswith(".egg-link")), None) if ".egg-link\n" in joined else None
        folded: str | None = None
        if joined.isascii():
            folded = joined.lower().replace("_", "-").replace(".", "-")
            while "--" in folded:
                folded = folded.replace("--", "-")
        self._folded = folded
        self._every: dict[str, list[str]] | None = None
        self._found: dict[str, list[str]] = {}

    def pth(self) -> list[str]:
        """The listing's ``.pth`` files, sorted (as site.py reads them): none without a search."""
        return sorted([n for n in self.names if n.endswith(".pth")]) if ".pth\n" in self._joined else []

    def get(self, key: str) -> list[str]:
        """The metadata directories of the project whose canonical name is ``key``, in the listing's order."""
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._find(key)
        return found

    def _find(self, key: str) -> list[str]:
        folded = self._folded
        if folded is None or not (key[:1].isalnum() and key[-1:].isalnum()):
            return self.every().get(key, [])
        found: list[str] = []
        wanted = "\n" + key + "-"
        at = folded.find(wanted)
        while at >= 0:
            name = self.names[folded.count("\n", 0, at)]
            if _project(name) == key:
                found.append(self._base + name)
            at = folded.find(wanted, at + 1)
        return found

    def every(self) -> dict[str, list[str]]:
        """Every distribution, by canonical name (each entry read apart)."""
        if self._every is None:
            self._every = {}
            for name in self.names:
                key = _project(name)
                if key is not None:
                    self._every.setdefault(key, []).append(self._base + name)
        return self._every


def _project(name: str) -> str | None:
    """The canonical name of the project whose metadata directory is ``name`` (None: ``name``
    is none, or a legacy editable install's ``.egg-link``).
    """
    if not name.endswith(_INFO):  # most entries are modules and packages: one C call each
        return None
    stem, _, suffix = name.rpartition(".")
    if suffix == "egg-link":
        return None
    return canonical(stem.split("-", 1)[0] if suffix == "egg-info" else stem.rpartition("-")[0] or stem)


def distributions(directory: str, listed: dict[str, list[str]] | None = None) -> Index:
    """The distributions in ``directory`` (its listing, :func:`entries`): an :class:`Index`,
    made once per listing: the front door's look for names not installed at all
    (:mod:`safepip.remembered.decision`) and the scan share it.
    """
    names = entries(directory, listed)
    cached = _INDEXED.get(directory)
    if cached is not None and cached.names is names:  # the same listing (the cache holds it alive)
        return cached
    index = _INDEXED[directory] = Index(directory, names)
    return index


def _check_dir_version(info: str, version: str) -> None:
    """Stand aside when a ``.dist-info`` directory's name and its METADATA disagree on the
    version: pip 26 reads it from the name, older pips from METADATA.
    """
    named = os.path.basename(info)[: -len(".dist-info")].rpartition("-")[2]
    if named == version:
        return
    from packaging.version import InvalidVersion, Version

    try:
        same = Version(named) == Version(version)
    except InvalidVersion:
        same = False
    if not same:
        raise Fallback(f"{os.path.basename(info)} says {named} and its METADATA {version}: pips read either")


class Dist:
    """The fields of an installed distribution's METADATA that pip's resolver reads."""

    __slots__ = ("extras", "location", "name", "requires", "version")

    def __init__(self, name: str, version: str, requires: list[str], extras: set[str], location: str) -> None:
        self.name, self.version, self.requires, self.extras, self.location = name, version, requires, extras, location


_WANTED = {"name": "Name", "version": "Version", "requires-dist": "Requires-Dist", "provides-extra": "Provides-Extra"}


def read_dist(info: str) -> Dist:
    """Read ``info``/METADATA's header block (RFC 822, as importlib.metadata's email parser
    reads it). Only the four fields the resolver needs are kept; a folded line in one of
    them, or a missing Name or Version, stands the fast path aside. importlib.metadata itself
    is not used here: it re-parses the whole file with the email package on every attribute
    access, which made a 300-entry check several times slower (see docs/performance.md).
    """
    try:
        with open(os.path.join(info, "METADATA"), encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise Fallback(f"cannot read {info}/METADATA: {exc}") from None
    fields: dict[str, list[str]] = {"Name": [], "Version": [], "Requires-Dist": [], "Provides-Extra": []}
    last: str | None = None
    for line in text.split("\n"):
        if not line.strip():
            break  # the end of the headers: the rest is the description
        if line[0] in " \t":
            if last is not None:
                raise Fallback(f"{info}/METADATA folds its {last} header")
            continue
        key, colon, value = line.partition(":")
        wanted = _WANTED.get(key.strip().lower()) if colon else None
        last = wanted
        if wanted is not None:
            fields[wanted].append(value.strip())
    if len(fields["Name"]) != 1 or len(fields["Version"]) != 1:
        raise Fallback(f"{info}/METADATA has no single Name and Version")
    return Dist(fields["Name"][0], fields["Version"][0], fields["Requires-Dist"], set(fields["Provides-Extra"]),
                os.path.dirname(info))
