"""The no-op fast path: answer ``install`` without starting pip when nothing is to be done.

Most ``pip install -r requirements.txt`` calls (every ``make``, every CI step) find
everything installed, and pip takes half a second or more to say so. When every requirement
is already satisfied in the target environment, safepip prints pip's own lines
(``Requirement already satisfied: NAME in PATH (VERSION)``) and exits 0 itself.

"Satisfied" is what pip's resolver decides when it is not asked to upgrade: each requirement
whose markers match the target interpreter names a distribution that is installed exactly
once, whose version is in the specifier, which provides the requested extras, and whose own
``Requires-Dist`` (markers evaluated for the target interpreter with the extras in play) are
satisfied in turn, transitively. The environment's metadata is read from that environment's
site-packages, never safepip's own: found as pip finds distributions, and read by
:func:`~safepip.fastpath.environment.read_dist` (the METADATA header block, once per
distribution; anything unusual stands the fast path aside), parsed with packaging, whose
readings are remembered (:mod:`safepip.fastpath.parsed`: packaging is imported only for a
string never read before). Markers are evaluated with the target interpreter's marker values
(from its probe, cached on the executable's identity). An answer given here is remembered, and replayed by
:mod:`safepip.remembered.store` while nothing it read changes.

Besides names and requirement files it reads constraints, hashes, local projects and
``--group`` (:mod:`safepip.fastpath.sources`) and direct URLs (:mod:`safepip.fastpath.remote`).
Anything not fully understood goes to pip, which is always right: an option or a pip setting
outside :data:`~safepip.fastpath.options.SAFE_OPTIONS`, a requirement outside those forms, a
requirement file outside :mod:`safepip.fastpath.reqfile`'s subset, an installed pre-release, a
distribution installed twice or with unreadable metadata, an environment that is not a
virtual environment or that sees the system site-packages, ``PYTHONPATH``. A requirement
that is not satisfied also goes to pip, of course. ``SAFEPIP_NO_FASTPATH=1`` turns the
fast path off; ``SAFEPIP_DEBUG=1`` says why it stood aside.
"""

from __future__ import annotations

import os
import sys

from safepip.fastpath.environment import Environment, distributions
from safepip.fastpath.options import Fallback, NotSatisfied, check_call, read_settings
from safepip.fastpath.satisfied import Line, looks_like_a_name, satisfied

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Iterable, Mapping, Sequence

    from safepip.fastpath.options import Call
    from safepip.fastpath.sources import Local
    from safepip.paths import Dirs


def requirement_lines(
    call: Call, cwd: str, files: list[str] | None = None, positionals: Sequence[str] | None = None
) -> list[Line]:
    """The top-level requirements in pip's order: the command line's (``positionals``,
    default all of them), then the files' (every file read, nested ones included, is added
    to ``files``).
    """
    lines = []
    for text in call.positionals if positionals is None else positionals:
        if not looks_like_a_name(text, cwd):
            raise Fallback(f"{text!r} is not a requirement on a project name")
        lines.append(Line(text, None))
    for path in call.values("--requirement"):
        from safepip.fastpath import reqfile  # here: a command line of names needs none of it

        try:
            lines.extend(reqfile.read(path, cwd, files=files))
        except reqfile.Unsupported as exc:
            raise Fallback(str(exc)) from None
    return lines


def _check_hash_mode(call: Call, lines: Sequence[Line], configured: bool) -> None:
    """In pip's hash-checking mode (``--require-hashes`` given, or ``configured`` in pip's
    variables or files, or any ``--hash``) every top-level requirement must be pinned with
    ``==`` (older pips refuse it otherwise, even when it is installed): stand aside unless
    it is.
    """
    on = configured or call.has("--require-hashes") or any(line.hashed for line in lines)
    if not on:
        return
    import re

    for line in lines:
        spec = line.text.split(";", 1)[0]
        if line.label is not None or not re.fullmatch(r"[^<>=!~,]*(===?)\s*[^,*]+", spec.strip()):
            raise Fallback(f"hash-checking mode: {line.text!r} is not pinned with ==")


def constraint_lines(paths: Iterable[str], cwd: str, files: list[str] | None = None) -> list[Line]:
    """The lines of constraint files (from the command line, pip's settings or both), read
    with the requirement-file subset. A constraint file that includes another goes to pip.
    """
    lines: list[Line] = []
    for path in dict.fromkeys(paths):
        from safepip.fastpath import reqfile  # here: no constraint file, none of it

        read: list[str] = []
        try:
            lines.extend(reqfile.read(path, cwd, files=read))
        except reqfile.Unsupported as exc:
            raise Fallback(f"constraint {exc}") from None
        if len(read) != 1:
            raise Fallback(f"constraint file {path} includes another file")
        if files is not None:
            files.extend(read)
    return lines


def _names_a_new_project(call: Call, env: Environment, cwd: str) -> bool:
    """Whether the command line names, by its bare name (no version, extras or marker; nothing
    of that name in ``cwd``), a project not installed at all: pip has work to do whatever else
    the call or pip's settings say.
    """
    for text in call.positionals:
        bare = text.replace("-", "").replace("_", "").replace(".", "")
        if (bare.isascii() and bare.isalnum() and text[0].isalnum() and text[-1].isalnum()
                and not os.path.lexists(os.path.join(cwd, text)) and env.get(text) is None):
            return True
    return False


def _say(message: str, environ: Mapping[str, str]) -> None:
    """A debugging notice (``SAFEPIP_DEBUG=1``): only then is the way to speak imported."""
    from safepip.session import say

    say(message, "notice", environ)


class Answered:
    """What an answer printed, and every path it read (for :func:`safepip.remembered.store.remember`);
    ``probed``: what it read of its interpreter's probe (prefix, purelib, platlib, marker
    values), as a remembered decision keeps it (None: it read none).
    """

    def __init__(self) -> None:
        self.stdout = ""
        self.paths: list[str] = []
        self.probed: tuple[Any, ...] | None = None


def attempt(  # noqa: PLR0915 - one linear look, in pip's order
    call: Call, python: str, environ: Mapping[str, str], cwd: str, answered: Answered | None = None, *,
    debug: bool = False, listed: dict[str, list[str]] | None = None, probed: Sequence[Any] | None = None,
    dirs: Dirs | None = None, known: tuple[str, bool | None] | None = None,
) -> int | None:
    """Answer ``call`` (pip's argv as it would run against ``python``) without pip, if every
    requirement is satisfied: print pip's lines and return 0. Return None to run pip.
    ``answered``, when given, receives what was printed and what it depended on; ``debug``
    and ``dirs`` (the session's ``SAFEPIP_DEBUG`` and directories) say why pip runs or not
    and where the probe is cached; ``listed``, ``probed`` and ``known``: what this call knows
    already (:meth:`~safepip.fastpath.environment.Environment.of`).
    """
    if environ.get("SAFEPIP_NO_FASTPATH") == "1":
        return None
    files: list[str] = []
    env: Environment | None = None
    try:
        quiet = check_call(call)
        if environ.get("PYTHONPATH") or environ.get("PYTHONHOME"):
            raise Fallback("PYTHONPATH or PYTHONHOME is set")
        env = Environment.of(python, environ, listed, probed, dirs, known=known)
        if answered is not None:
            answered.probed = (env.prefix, *env.sites, env.markers)
        if _names_a_new_project(call, env, cwd):
            raise NotSatisfied  # pip has work to do: nothing else is read
        configured = read_settings(environ, env.prefix)
        quiet += configured.quiet
        constraint_files = [*call.values("--constraint"), *configured.constraints]
        local: list[Local] = []
        names = list(call.positionals)
        if call.has("--editable") or not all(looks_like_a_name(text, cwd) for text in names):
            from safepip.fastpath.sources import local_projects  # here: names alone need none of it

            local, names = local_projects(call, cwd)
        lines: list[Line] = []
        for project in local:
            if project.url is not None:
                from safepip.fastpath.remote import check_remote

                assert project.name is not None
                line = check_remote(project.name, project.extras, project.url, project.text, env, files)
            else:
                from safepip.fastpath.sources import check_local

                line = check_local(project, env, files)
            if line is None:
                raise NotSatisfied
            lines.append(line)
        lines.extend(requirement_lines(call, cwd, files, names))
        if call.has("--group"):
            from safepip.fastpath.sources import group_lines

            lines.extend(group_lines(call, cwd, env, files))
        _check_hash_mode(call, lines, configured.require_hashes)
        answer = _satisfied(lines, env, cwd, constraint_lines(constraint_files, cwd, files), environ)
    except NotSatisfied:
        answer = None
    except Fallback as exc:
        if answered is not None:
            answered.paths = _read_paths(python, env, files, environ)
        if debug:
            _say(f"fast path: {exc}; running pip", environ)
        return None
    if answered is not None:
        answered.paths = _read_paths(python, env, files, environ)
    if answer is None:
        if debug:
            _say("fast path: something is to be installed; running pip", environ)
        return None
    ignored, printed = answer
    if debug:
        _say(f"fast path: {len(printed)} requirements satisfied; pip not started", environ)
    text = "".join(f"{line}\n" for line in (*ignored, *printed)) if quiet == 0 else ""
    sys.stdout.write(text)
    sys.stdout.flush()
    if answered is not None:
        answered.stdout = text
    return 0


def _satisfied(
    lines: Sequence[Line], env: Environment, cwd: str, constraints: Sequence[Line], environ: Mapping[str, str]
) -> tuple[list[str], list[str]] | None:
    """:func:`~safepip.fastpath.satisfied.satisfied`, with the strings it reads remembered
    (:mod:`safepip.fastpath.parsed`) in safepip's cache for ``environ``.
    """
    from safepip.fastpath.parsed import Parsed

    memo = Parsed.for_environ(env.markers, environ)
    try:
        return satisfied(lines, env, os.path.normcase(cwd), constraints, memo)
    finally:
        memo.save()  # what was read stays read, whatever the answer


def _read_paths(python: str, env: Environment | None, files: list[str], environ: Mapping[str, str]) -> list[str]:
    """Every path whose change could change what :func:`attempt` decided (answered, or
    stood aside): the interpreter, its environment's configuration, site-packages and the
    directories and ``.pth`` files on its search path, the requirement and constraint
    files read, pip's configuration files.
    """
    from safepip.facts.pipconf import config_files
    from safepip.venv.layout import site_packages, venv_of

    prefix = env.prefix if env is not None else venv_of(python)
    if prefix is None:
        return [python]
    sites = env.path if env is not None else site_packages(prefix)
    pth: list[str] = []
    for site in sites:
        try:
            index = distributions(site, None if env is None else env.listed)
        except OSError:
            continue
        pth.extend(os.path.join(site, n) for n in index.pth())
    return [python, os.path.join(prefix, "pyvenv.cfg"), *sites, *pth, *files,
            *config_files(environ, prefix, isolated=False)]
