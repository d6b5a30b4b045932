"""What each requirement is, gathered for the application-or-library rule (:mod:`safepip.facts.apprule`).

Only the metadata the rule needs is read. A local wheel is opened as a file. For a
requirement from an index, safepip's own pip (:mod:`safepip.venv.ownpip`: it works from
safepip.pyz where the system has no pip) resolves it with ``install --dry-run --no-deps
--report`` for the target interpreter, with the user's index options and pip's own
configuration, but with ``PIP_REQUIRE_VIRTUALENV`` off (nothing is installed) and with
pip's lazy wheels (``--use-feature=fast-deps``), so that pip reads only the metadata it
needs. The report names the file pip chose; its ``entry_points.txt`` and file list are read
with HTTP range requests (:mod:`safepip.facts.wheelmeta`). A server without range support makes
safepip ``pip download`` that one file once (pip caches it for the install that follows).

What cannot be known (only a source distribution, a path, a failing resolution) is left
without facts: the rule then treats the requirement as a library, the cheap guess.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Mapping, Sequence

from safepip.facts._pipoptions import COMMANDS, GLOBAL
from safepip.facts.pipargs import PipCall
from safepip.facts.wheelmeta import Meta, NoRanges, from_file, from_url, opener
from safepip.runner import capture

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from urllib.request import OpenerDirector

#: Options of an install that must not reach the classifying pip runs (safepip sets its
#: own, or they do not select what would be installed).
_NOT_FOR_DOWNLOAD = frozenset(
    {"--requirement", "--editable", "--python", "--dest", "--no-deps", "--quiet", "--verbose", "--src", "--help",
     "--version", "--log", "--exists-action", "--require-virtualenv", "--platform", "--python-version",
     "--implementation", "--abi"}
)
_DOWNLOAD_OPTIONS = (
    frozenset(entry[0] for entry in (*COMMANDS["download"].values(), *GLOBAL.values())) - _NOT_FOR_DOWNLOAD
)


@dataclass(frozen=True)
class Fact:
    """What is known of one requirement: its distribution's metadata, or why not."""

    requirement: str
    name: str | None
    meta: Meta | None = None
    unknown: str = ""
    #: Bytes read over the network for the metadata (range requests or a download).
    fetched: int = 0
    how: str = ""


@dataclass(frozen=True)
class Tls:
    """pip's network settings that safepip's own range requests honour."""

    cert: str | None = None
    client_cert: str | None = None
    trusted_hosts: tuple[str, ...] = ()


def render(call: PipCall, allowed: frozenset[str] | None = None, exclude: frozenset[str] = frozenset()) -> list[str]:
    """The call's options as ``--name=value`` tokens (``--name`` for flags), in order."""
    tokens: list[str] = []
    for option in call.options:
        if (allowed is not None and option.name not in allowed) or option.name in exclude:
            continue
        tokens.append(option.name if option.value is None else f"{option.name}={option.value}")
    return tokens


def download_options(call: PipCall) -> list[str]:
    """The install's options that ``pip download`` understands and that select the files."""
    return render(call, _DOWNLOAD_OPTIONS)


def _project_name(filename: str) -> str | None:
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def requirement_name(requirement: str) -> str | None:
    """The canonical project name of a requirement specifier (None: a path or URL)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return str(canonicalize_name(Requirement(requirement).name))
    except InvalidRequirement:
        return None


def is_bare(requirement: str) -> bool:
    """A requirement that is only a name: no version, extras, URL or marker."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        parsed = Requirement(requirement)
    except InvalidRequirement:
        return False
    return not (parsed.specifier or parsed.extras or parsed.url or parsed.marker)


def _env(env: Mapping[str, str]) -> dict[str, str]:
    # Nothing is installed: a require-virtualenv setting (PIP_REQUIRE_VIRTUALENV, pip.conf)
    # is for installs, and would refuse these runs outside a venv.
    return {**env, "PIP_REQUIRE_VIRTUALENV": "0"}


def _run(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    try:
        done = capture(argv, _env(env))
    except OSError as exc:
        return 1, str(exc.strerror)
    lines = [line.strip() for line in done.stderr.strip().splitlines() if line.strip()]
    lines = [line for line in lines if "fast-deps" not in line] or lines
    return done.returncode, lines[-1] if lines else f"exit code {done.returncode}"


def resolve(pip: Sequence[str], target: str, options: Sequence[str], requirements: Sequence[str], scratch: str,
            env: Mapping[str, str]) -> tuple[dict[str, dict[str, object]], int, str]:
    """pip's choice for each requirement: canonical name -> report item; pip's code and last line."""
    from packaging.utils import canonicalize_name

    report = os.path.join(scratch, f"report-{len(os.listdir(scratch))}.json")
    base = [*pip, "--python", target, "install", "--dry-run", "--no-deps", "--ignore-installed", "--quiet",
            "--report", report]
    code, last = _run([*base, "--use-feature=fast-deps", *options, *requirements], env)
    if code != 0 and "fast-deps" in last:  # a pip without the feature
        code, last = _run([*base, *options, *requirements], env)
    found: dict[str, dict[str, object]] = {}
    if code == 0:
        try:
            with open(report, encoding="utf-8") as handle:
                items = json.load(handle).get("install", [])
        except (OSError, ValueError):
            items = []
        for item in items:
            name = str(item.get("metadata", {}).get("name", ""))
            if name:
                found[str(canonicalize_name(name))] = item
    return found, code, last


def _opener(tls: Tls, url: str) -> OpenerDirector:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    verify = not any(host == h.split(":")[0] for h in tls.trusted_hosts)
    return opener(tls.cert, tls.client_cert, verify)


def _from_item(requirement: str, name: str, item: Mapping[str, object], pip: Sequence[str], target: str,
               options: Sequence[str], scratch: str, env: Mapping[str, str], tls: Tls) -> Fact:
    info = item.get("download_info")
    url = str(info.get("url", "")) if isinstance(info, dict) else ""
    filename = url.split("#", 1)[0].rsplit("/", 1)[-1]
    if not filename.endswith(".whl"):
        return Fact(requirement, name, unknown=f"only a source distribution ({filename or 'no file'})")
    if url.startswith("file:"):
        from urllib.parse import unquote, urlsplit

        meta = from_file(unquote(urlsplit(url).path))
        return Fact(requirement, name, meta, "" if meta else f"{filename} is not a readable wheel", 0, "file")
    try:
        meta, fetched, _ = from_url(url, _opener(tls, url), name)
        return Fact(requirement, name, meta, fetched=fetched, how="ranges")
    except NoRanges:
        pass
    own = os.path.join(scratch, f"dl-{name}")
    os.makedirs(own, exist_ok=True)
    code, last = _run([*pip, "--python", target, "download", "--no-deps", "--quiet", "--dest", own, *options, url],
                      env)
    files = [os.path.join(own, f) for f in os.listdir(own)]
    if code != 0 or len(files) != 1:
        return Fact(requirement, name, unknown=f"pip download failed: {last}")
    meta = from_file(files[0])
    size = os.path.getsize(files[0])
    return Fact(requirement, name, meta, "" if meta else f"{filename} is not a readable wheel", size, "download")


def gather(requirements: Sequence[str], pip: Sequence[str], target: str, options: Sequence[str], scratch: str,
           env: Mapping[str, str], tls: Tls = Tls()) -> list[Fact]:
    """The facts of each requirement: named ones resolved in one pip run (one by one when
    that run fails, so that one bad requirement does not hide the others).
    """
    facts: dict[int, Fact] = {}
    named: dict[int, str] = {}
    for index, requirement in enumerate(requirements):
        if requirement.endswith(".whl") and os.path.isfile(requirement):
            meta = from_file(requirement)
            name = _project_name(os.path.basename(requirement))
            facts[index] = Fact(requirement, name, meta, "" if meta else "not a readable wheel", 0, "file")
            continue
        name = requirement_name(requirement)
        if name is None:
            facts[index] = Fact(requirement, None, unknown="a path or URL")
        else:
            named[index] = name
    if named:
        found, code, last = resolve(pip, target, options, [requirements[i] for i in named], scratch, env)
        for index, name in named.items():
            if name in found:
                facts[index] = _from_item(requirements[index], name, found[name], pip, target, options, scratch,
                                          env, tls)
            elif len(named) == 1 or code == 0:
                facts[index] = Fact(requirements[index], name, unknown=f"pip could not resolve it: {last}")
        for index, name in named.items():
            if index not in facts:
                one, _, last = resolve(pip, target, options, [requirements[index]], scratch, env)
                facts[index] = (_from_item(requirements[index], name, one[name], pip, target, options, scratch, env,
                                           tls) if name in one else
                                Fact(requirements[index], name, unknown=f"pip could not resolve it: {last}"))
    return [facts[i] for i in range(len(requirements))]
