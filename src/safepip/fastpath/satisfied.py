"""Whether an environment already satisfies a set of requirements, as pip's resolver
decides when it is not asked to upgrade (see :mod:`safepip.fastpath.answer`).

The environment's distributions are read by :mod:`safepip.fastpath.environment`; anything
unusual raises :class:`~safepip.fastpath.fallback.Fallback`, which sends the call to pip.
"""

from __future__ import annotations

import os
import re

from safepip.fastpath.fallback import Fallback, canonical
from safepip.fastpath.reqfile import Line

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Sequence

    from packaging.requirements import Requirement

    from safepip.fastpath.environment import Environment


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


_STRING = r"""('[^']*'|"[^"]*")"""
_QUOTED = re.compile(_STRING)
_EXTRA_TESTS = re.compile(rf"\bextra\s*[=!]=\s*{_STRING}|{_STRING}\s*[=!]=\s*extra\b")


def _check_extra_literals(text: str, extras: set[str]) -> None:
    """Stand aside unless pips of every age read the marker of ``text`` alike for
    ``extras`` (normalized names): it must test ``extra`` only with ``==`` or ``!=``, and
    never against one of them written otherwise (``"Foo"``, ``"a_b"``). pips before 24.1
    (packaging < 22) compare the name as written, later ones normalize both sides (PEP 685).
    """
    marker = text.partition(";")[2]
    uses = len(re.findall(r"\bextra\b", _QUOTED.sub("''", marker)))
    tests = _EXTRA_TESTS.findall(marker)
    literals = [(a or b)[1:-1] for a, b in tests]
    if uses != len(tests) or any(name != canonical(name) and canonical(name) in extras for name in literals):
        raise Fallback(f"{text!r} tests the extra in a way pips read differently")


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
        # pip's resolver: a distribution asked for with extras depends on itself without
        # them, whose requirements are read with extra == ""; the extras' own read adds
        # those that match at least one of them. So `bb; extra != "foo"` counts for cc[foo].
        key = (id(marker), tuple(extras))
        if key not in evaluated:
            contexts = [{**env.markers, "extra": e} for e in ("", *extras)]
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
            limits.setdefault(canonical(limit.name), []).append(limit)

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
        for limit in limits.get(canonical(req.name), ()):
            if not limit.specifier.contains(version, prereleases=True):
                return None
        provided = dist.extras
        for extra in req.extras:
            # Only extras written exactly as declared: old pips compare extras unnormalized.
            if extra != canonical(extra) or extra not in provided:
                raise Fallback(f"{req.name} {version} does not provide the extra {extra!r} as written")
        key = canonical(req.name)
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
            if extras and dep.marker is not None and "extra" in text:
                _check_extra_literals(text, extras)
            if dep.marker is None or marker_matches(dep.marker, sorted(extras)):
                queue.append((dep, parent))
    return ignored, printed
