"""Whether an environment already satisfies a set of requirements, as pip's resolver
decides when it is not asked to upgrade (see :mod:`safepip.fastpath.answer`).

The environment's distributions are read by :mod:`safepip.fastpath.environment`; anything
unusual raises :class:`~safepip.fastpath.options.Fallback`, which sends the call to pip.
The requirements come as :class:`Line` records: the command line's names (read with
:func:`looks_like_a_name`, here so that a command line of names needs nothing of
:mod:`safepip.fastpath.reqfile`), a requirement file's lines, a local project's.
"""

from __future__ import annotations

import os

from safepip.fastpath.options import Fallback, canonical
from safepip.frozen import Frozen, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Sequence

    from safepip.fastpath.environment import Environment
    from safepip.fastpath.parsed import Parsed


@record(slots=True)
class Line(Frozen):
    """One requirement as written, and where pip says it comes from."""

    text: str
    comes_from: str | None  # "-r FILE (line N)", or None on the command line
    label: str | None = None  # what pip's line shows instead of the requirement (a local project)
    hashed: bool = False  # it carries --hash options (pip's hash-checking mode)


#: What pip takes for an archive or a path rather than a project name.
_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz")


def looks_like_a_name(text: str, cwd: str) -> bool:
    """Whether pip would read ``text`` as a requirement on a project name (not a URL, path or
    archive). The spec before any marker must not hold a path separator, ``@`` or ``:``,
    end like an archive, or name something that exists on disk.
    """
    spec = text.split(";", 1)[0].strip()
    if not spec or "@" in spec or ":" in spec or "/" in spec or "\\" in spec or spec.startswith("."):
        return False
    if spec.lower().endswith(_ARCHIVE_SUFFIXES):
        return False
    name = spec
    for pos, char in enumerate(spec):
        if char.isspace() or char in "[<>=!~(":
            name = spec[:pos]
            break
    return not os.path.exists(os.path.join(cwd, name))


def _shown(name: str, extras: Sequence[str] | frozenset[str], specifier: str) -> str:
    """A requirement as pip prints it: name, extras, specifier; no marker, no URL."""
    shown = f"[{','.join(sorted(extras))}]" if extras else ""
    return f"{name}{shown}{specifier}"


def _display_path(path: str, cwd: str) -> str:
    """pip's display_path: relative to the working directory when under it."""
    path = os.path.normcase(os.path.abspath(path))
    if path.startswith(cwd + os.sep):
        return "." + path[len(cwd) :]
    return path


_STRING = r"""('[^']*'|"[^"]*")"""


def _check_extra_literals(text: str, extras: set[str]) -> None:
    """Stand aside unless pips of every age read the marker of ``text`` alike for
    ``extras`` (normalized names): it must test ``extra`` only with ``==`` or ``!=``, and
    never against one of them written otherwise (``"Foo"``, ``"a_b"``). pips before 24.1
    (packaging < 22) compare the name as written, later ones normalize both sides (PEP 685).
    """
    import re  # here: only a dependency read for extras needs it

    marker = text.partition(";")[2]
    quoted = re.compile(_STRING)
    extra_tests = re.compile(rf"\bextra\s*[=!]=\s*{_STRING}|{_STRING}\s*[=!]=\s*extra\b")
    uses = len(re.findall(r"\bextra\b", quoted.sub("''", marker)))
    tests = extra_tests.findall(marker)
    literals = [(a or b)[1:-1] for a, b in tests]
    if uses != len(tests) or any(name != canonical(name) and canonical(name) in extras for name in literals):
        raise Fallback(f"{text!r} tests the extra in a way pips read differently")


def satisfied(  # noqa: PLR0915 - one walk in pip's order
    lines: Sequence[Line], env: Environment, cwd: str, constraints: Sequence[Line] = (), memo: Parsed | None = None,
) -> tuple[list[str], list[str]] | None:
    """pip's lines (ignored, satisfied) if every requirement is satisfied, None if something
    would be installed; raise Fallback where the answer is not certain.

    ``constraints`` (pip's ``-c`` files) narrow what satisfies: a distribution that the
    requirements reach, installed at a version outside a constraint on its name whose
    marker matches, is one pip would change (or fail to resolve): None. Constraints on
    names the requirements do not reach change nothing, as in pip; pip prints nothing
    about them either. Requirement, version and marker strings are read through ``memo``
    (:mod:`safepip.fastpath.parsed`; default: one for this call alone), which imports
    packaging only for a string it has not read before.
    """
    if memo is None:
        from safepip.fastpath.parsed import Parsed

        memo = Parsed(env.markers)

    # pip's resolver: a distribution asked for with extras depends on itself without
    # them, whose requirements are read with extra == ""; the extras' own read adds
    # those that match at least one of them. So `bb; extra != "foo"` counts for cc[foo]
    # (Parsed.matches reads it so).
    limits: dict[str, list[str]] = {}
    for line in constraints:
        name, extras, spec, marker = memo.requirement(line.text)
        if extras:
            raise Fallback(f"the constraint {line.text!r} has extras (pip refuses it)")
        if marker is None or memo.matches(line.text):
            limits.setdefault(canonical(name), []).append(spec)

    ignored: list[str] = []
    queue: list[tuple[str, str | None]] = []  # (requirement text, what pip says it comes from)
    labels: dict[int, str] = {}  # queue index -> what pip's line shows (local projects)
    for line in lines:
        name, _, _, marker = memo.requirement(line.text)
        if marker is not None and not memo.matches(line.text):
            ignored.append(f"Ignoring {name}: markers '{marker}' don't match your environment")
            continue
        if line.label is not None:
            labels[len(queue)] = line.label
        queue.append((line.text, line.comes_from))

    expanded: dict[str, set[str]] = {}  # canonical name -> the extras its dependencies were read for
    printed: list[str] = []
    index = 0
    while index < len(queue):
        text, comes_from = queue[index]
        index += 1
        name, req_extras, spec, _ = memo.requirement(text)
        dist = env.get(name)
        if dist is None:
            return None
        location = dist.location
        try:
            version, prerelease = memo.version(dist.version)
        except Fallback:
            raise Fallback(f"{name} has the version {dist.version!r}, not PEP 440") from None
        if prerelease:
            raise Fallback(f"{name} {version} is a pre-release")
        if not memo.contains(spec, dist.version):
            return None
        key = canonical(name)
        for limit in limits.get(key, ()):
            if not memo.contains(limit, dist.version):
                return None
        provided = dist.extras
        for extra in req_extras:
            # Only extras written exactly as declared: old pips compare extras unnormalized.
            if extra != canonical(extra) or extra not in provided:
                raise Fallback(f"{name} {version} does not provide the extra {extra!r} as written")
        before = expanded.get(key)
        if before is None:
            source = f" (from {comes_from})" if comes_from else ""
            shown = labels.get(index - 1) or _shown(name, req_extras, spec)
            printed.append(
                f"Requirement already satisfied: {shown} in {_display_path(location, cwd)}{source} ({version})"
            )
        elif before.issuperset(req_extras):
            continue
        wanted = (before or set()).union(req_extras)
        expanded[key] = wanted
        parent = _shown(name, req_extras, spec) + (f"->{comes_from}" if comes_from else "")
        in_play = sorted(wanted)
        for dep_text in dist.requires:
            marker = memo.requirement(dep_text)[3]
            if wanted and marker is not None and "extra" in dep_text:
                _check_extra_literals(dep_text, wanted)
            if marker is None or memo.matches(dep_text, in_play):
                queue.append((dep_text, parent))
    return ignored, printed
