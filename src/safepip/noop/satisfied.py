"""Whether an environment already satisfies a set of requirements, as pip's resolver
decides when it is not asked to upgrade (see :mod:`safepip.noop.fastpath`).

The environment's distributions are found as pip finds them and read by :func:`read_dist`
(the METADATA header block, once per distribution); anything unusual raises
:class:`Fallback`, which sends the call to pip.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from safepip.noop.reqfile import Line

if TYPE_CHECKING:
    from packaging.requirements import Requirement


class Fallback(Exception):
    """The fast path stands aside; the message says why (shown with SAFEPIP_DEBUG=1)."""


class _NotSatisfied(Exception):
    """Something is to be installed: pip runs (no reason to give)."""


_CANONICAL: dict[str, str] = {}


def _canonical(name: str) -> str:
    """PEP 503's normalized name (packaging's canonicalize_name, without its imports)."""
    found = _CANONICAL.get(name)
    if found is None:
        import re

        found = _CANONICAL[name] = re.sub(r"[-_.]+", "-", name).lower()
    return found



class Environment:
    """The distributions a virtual environment's pip would see, and its marker values."""

    def __init__(self, prefix: str, sites: Iterable[str], markers: Mapping[str, str]) -> None:
        self.prefix = prefix
        self.markers = dict(markers)
        if not self.markers:
            raise Fallback(f"no marker values for {prefix}")
        self._system_site_packages()
        #: The .pth files read: their contents decide the path (the memo tracks each).
        self.pth_files: list[str] = []
        self.path = self._search_path(sites, prefix, self.pth_files)
        self._found: dict[str, list[str]] = {}
        self._read: dict[str, Dist | None] = {}
        for directory in self.path:
            self._scan(directory)

    @classmethod
    def of(cls, python: str, environ: Mapping[str, str]) -> Environment:
        """The environment ``python`` runs in, from its probe (cached on its identity)."""
        from safepip.facts.interpreter import probe

        interp = probe(python, "the fast path", environ)
        if not interp.in_venv:
            raise Fallback(f"{python} is not a virtual environment")
        return cls(interp.prefix, (interp.purelib, interp.platlib), interp.markers)

    def _system_site_packages(self) -> None:
        try:
            with open(os.path.join(self.prefix, "pyvenv.cfg"), encoding="utf-8") as handle:
                for line in handle:
                    key, _, value = line.partition("=")
                    if key.strip().lower() == "include-system-site-packages" and value.strip().lower() != "false":
                        raise Fallback("the environment sees the system site-packages")
        except OSError as exc:
            raise Fallback(f"cannot read pyvenv.cfg: {exc.strerror}") from None

    @staticmethod
    def _search_path(sites: Iterable[str], prefix: str, pth_files: list[str] | None = None) -> list[str]:
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
            for name in sorted(n for n in os.listdir(site) if n.endswith(".pth")):
                if pth_files is not None:
                    pth_files.append(os.path.join(site, name))
                if Environment._read_pth(site, name, path):
                    coded.append(os.path.join(site, name))
        if coded:
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
            names = os.listdir(directory)
        except OSError:
            return
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info", "egg-link"):
                continue
            if suffix == "egg-link":
                raise Fallback(f"legacy editable install {name}")
            project = stem.split("-", 1)[0] if suffix == "egg-info" else stem.rpartition("-")[0] or stem
            self._found.setdefault(_canonical(project), []).append(os.path.join(directory, name))

    def info_dir(self, name: str) -> str:
        """The metadata directory of the one distribution installed under ``name``."""
        return self._found[_canonical(name)][0]

    def get(self, name: str) -> Dist | None:
        """The one distribution installed under ``name`` (None: none), read once."""
        key = _canonical(name)
        if key in self._read:
            return self._read[key]
        found = self._found.get(key)
        dist = None
        if found:
            if len(found) > 1:
                raise Fallback(f"{name} is installed more than once")
            if found[0].endswith(".egg-info"):
                raise Fallback(f"{name} is a legacy (egg-info) installation")
            if not os.path.lexists(os.path.join(found[0], "RECORD")):
                raise Fallback(f"{name} has no RECORD: an interrupted install left it half-written")
            dist = read_dist(found[0])
            if _canonical(dist.name) != key:
                raise Fallback(f"{found[0]} holds {dist.name}")
            _check_dir_version(found[0], dist.version)
        self._read[key] = dist
        return dist


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


_ASK_PATH = "import json, sys; sys.stdout.write(json.dumps(sys.path[1:]))"


def real_path(prefix: str, sites: list[str], coded: list[str]) -> list[str]:
    """The directories pip would search for distributions in an environment whose .pth
    files run code (coverage's, some editable finders...): its interpreter's own sys.path
    (less the script directory, which ``python -m pip`` removes too), run once and kept
    in the cache under the signatures of the site-packages directories and of every .pth
    file, and the values of the variables those files name. Only directories of the
    environment (under ``prefix`` or added by its .pth files) and of its base Python's
    standard library are on it; a .pth that reads anything else is beyond this rule.
    """
    import json
    import re
    import zlib

    from safepip.noop.memo import signature
    from safepip.paths import linux_cache_dir
    from safepip.venvdir import bin_python

    texts = []
    for pth in coded:
        try:
            with open(pth, encoding="utf-8") as handle:
                texts.append(handle.read())
        except (OSError, UnicodeDecodeError):
            raise Fallback(f"cannot read {pth}") from None
    names = sorted(set(re.findall(r"[A-Z][A-Z0-9_]{2,}", "".join(texts))))
    python = bin_python(prefix)
    key = repr((python, signature(python), [(s, signature(s)) for s in sites],
                [(p, signature(p)) for p in coded], [(n, os.environ.get(n)) for n in names]))
    base = linux_cache_dir(os.environ)
    cached = None if base is None else os.path.join(base, "syspath", "%08x.json" % zlib.crc32(key.encode("utf-8", "surrogateescape")))  # noqa: UP031
    if cached is not None:
        try:
            with open(cached, encoding="utf-8") as handle:
                stored = json.load(handle)
            if stored.get("key") == key and isinstance(stored.get("path"), list):
                return [str(p) for p in stored["path"]]
        except (OSError, ValueError, AttributeError):
            pass
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    try:
        done = subprocess.run([python, "-c", _ASK_PATH], capture_output=True, text=True, env=env, timeout=30,
                              check=False, cwd=prefix)
        found = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, ValueError, subprocess.SubprocessError):
        found = None
    if not isinstance(found, list):
        raise Fallback(f"cannot read the sys.path of {python}")
    path = list(dict.fromkeys(p for p in found if isinstance(p, str) and os.path.isdir(p)))
    if cached is not None:
        try:
            os.makedirs(os.path.dirname(cached), mode=0o700, exist_ok=True)
            tmp = f"{cached}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump({"key": key, "path": path}, handle)
            os.replace(tmp, cached)
        except OSError:
            pass
    return path


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


def _shown(req: Requirement) -> str:
    """A requirement as pip prints it: name, extras, specifier; no marker, no URL."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"


def _display_path(path: str, cwd: str) -> str:
    """pip's display_path: relative to the working directory when under it."""
    path = os.path.normcase(os.path.abspath(path))
    if path.startswith(cwd + os.sep):
        return "." + path[len(cwd) :]
    return path


def satisfied(  # noqa: PLR0915 - one walk in pip's order
    lines: Sequence[Line], env: Environment, cwd: str, constraints: Sequence[Line] = ()
) -> tuple[list[str], list[str]] | None:
    """pip's lines (ignored, satisfied) if every requirement is satisfied, None if something
    would be installed; raise Fallback where the answer is not certain.

    ``constraints`` (pip's ``-c`` files) narrow what satisfies: a distribution that the
    requirements reach, installed at a version outside a constraint on its name whose
    marker matches, is one pip would change (or fail to resolve): None. Constraints on
    names the requirements do not reach change nothing, as in pip; pip prints nothing
    about them either.
    """
    from packaging.markers import Marker
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    evaluated: dict[tuple[int, tuple[str, ...]], bool] = {}

    def marker_matches(marker: Marker, extras: Sequence[str]) -> bool:
        # pip's iter_dependencies: without extras the marker sees extra == ""; with extras,
        # it must match for at least one of them.
        key = (id(marker), tuple(extras))
        if key not in evaluated:
            contexts = [{**env.markers, "extra": e} for e in (list(extras) or [""])]
            evaluated[key] = any(marker.evaluate(c) for c in contexts)
        return evaluated[key]

    parsed: dict[str, Requirement] = {}

    def parse(text: str) -> Requirement:
        if text in parsed:
            return parsed[text]
        try:
            req = Requirement(text)
        except InvalidRequirement:
            raise Fallback(f"{text!r} is not a requirement safepip can read") from None
        if req.url:
            raise Fallback(f"{text!r} names a URL")
        parsed[text] = req
        return req

    limits: dict[str, list[Requirement]] = {}
    for line in constraints:
        limit = parse(line.text)
        if limit.extras:
            raise Fallback(f"the constraint {line.text!r} has extras (pip refuses it)")
        if limit.marker is None or marker_matches(limit.marker, ()):
            limits.setdefault(_canonical(limit.name), []).append(limit)

    ignored: list[str] = []
    queue: list[tuple[Requirement, str | None]] = []
    labels: dict[int, str] = {}  # queue index -> what pip's line shows (local projects)
    for line in lines:
        req = parse(line.text)
        if req.marker is not None and not marker_matches(req.marker, ()):
            ignored.append(f"Ignoring {req.name}: markers '{req.marker}' don't match your environment")
            continue
        if line.label is not None:
            labels[len(queue)] = line.label
        queue.append((req, line.comes_from))

    expanded: dict[str, set[str]] = {}  # canonical name -> the extras its dependencies were read for
    printed: list[str] = []
    index = 0
    while index < len(queue):
        req, comes_from = queue[index]
        index += 1
        dist = env.get(req.name)
        if dist is None:
            return None
        location = dist.location
        try:
            version = Version(dist.version)
        except InvalidVersion:
            raise Fallback(f"{req.name} has the version {dist.version!r}, not PEP 440") from None
        if version.is_prerelease:
            raise Fallback(f"{req.name} {version} is a pre-release")
        if not req.specifier.contains(version, prereleases=True):
            return None
        for limit in limits.get(_canonical(req.name), ()):
            if not limit.specifier.contains(version, prereleases=True):
                return None
        provided = dist.extras
        for extra in req.extras:
            # Only extras written exactly as declared: old pips compare extras unnormalized.
            if extra != _canonical(extra) or extra not in provided:
                raise Fallback(f"{req.name} {version} does not provide the extra {extra!r} as written")
        key = _canonical(req.name)
        before = expanded.get(key)
        if before is None:
            source = f" (from {comes_from})" if comes_from else ""
            shown = labels.get(index - 1) or _shown(req)
            printed.append(
                f"Requirement already satisfied: {shown} in {_display_path(location, cwd)}{source} ({version})"
            )
        elif req.extras <= before:
            continue
        extras = (before or set()) | req.extras
        expanded[key] = extras
        parent = _shown(req) + (f"->{comes_from}" if comes_from else "")
        for text in dist.requires:
            dep = parse(text)
            if dep.marker is None or marker_matches(dep.marker, sorted(extras)):
                queue.append((dep, parent))
    return ignored, printed
