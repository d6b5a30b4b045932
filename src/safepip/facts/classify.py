"""Application or library: decided from the real distribution, not from a list of names.

A requirement is an application when the wheel pip would install declares
``console_scripts`` or ``gui_scripts`` entry points. safepip asks the target's pip to
``download --no-deps`` each requirement (with the user's index options) into a scratch
directory, and reads ``entry_points.txt`` from the wheel it got. The same directory is then
offered to the library install with ``--find-links``, so nothing is fetched twice.

When the answer cannot be had (only an sdist, a download that fails, a local directory),
the requirement is *undecided*: the caller says so and treats it as a library.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import dataclass
from typing import Mapping, Sequence

from safepip.act.run import capture
from safepip.facts._pipoptions import COMMANDS, GLOBAL
from safepip.facts.pipargs import PipCall

APP = "application"
LIBRARY = "library"
UNDECIDED = "undecided"

#: Options of an install that must not reach ``pip download`` (safepip sets its own, or
#: they do not select what would be installed).
_NOT_FOR_DOWNLOAD = frozenset(
    {"--requirement", "--editable", "--python", "--dest", "--no-deps", "--quiet", "--verbose", "--src", "--help",
     "--version", "--log", "--exists-action", "--require-virtualenv"}
)
_DOWNLOAD_OPTIONS = (
    frozenset(name for name, _ in (*COMMANDS["download"].values(), *GLOBAL.values())) - _NOT_FOR_DOWNLOAD
)


@dataclass(frozen=True)
class Kind:
    """What one requirement turned out to be, and how safepip knows."""

    requirement: str
    kind: str  # APP, LIBRARY or UNDECIDED
    why: str
    name: str | None = None
    scripts: tuple[str, ...] = ()


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


def wheel_scripts(wheel: str) -> tuple[str, ...] | None:
    """The console and GUI scripts a wheel declares (None: not a readable wheel)."""
    import configparser

    try:
        with zipfile.ZipFile(wheel) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/entry_points.txt")]
            if not names:
                return ()
            text = archive.read(names[0]).decode("utf-8")
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, KeyError):
        return None
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # script names are case-sensitive
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    found: list[str] = []
    for section in ("console_scripts", "gui_scripts"):
        if parser.has_section(section):
            found.extend(parser.options(section))
    return tuple(found)


def _from_file(requirement: str, path: str, name: str | None) -> Kind:
    if not path.endswith(".whl"):
        return Kind(requirement, UNDECIDED, f"only a source distribution ({os.path.basename(path)})", name)
    scripts = wheel_scripts(path)
    if scripts is None:
        return Kind(requirement, UNDECIDED, f"{os.path.basename(path)} is not a readable wheel", name)
    if scripts:
        return Kind(requirement, APP, "declares " + ", ".join(scripts), name, scripts)
    return Kind(requirement, LIBRARY, "declares no console or GUI scripts", name)


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


def _download(pip: Sequence[str], options: Sequence[str], requirements: Sequence[str], dest: str,
              env: Mapping[str, str]) -> tuple[int, str]:
    argv = [*pip, "download", "--no-deps", "--quiet", "--dest", dest, *options, *requirements]
    # A download into a scratch directory installs nothing: a require-virtualenv setting
    # (PIP_REQUIRE_VIRTUALENV, pip.conf) is for installs, and would refuse it outside a venv.
    env = {**env, "PIP_REQUIRE_VIRTUALENV": "0"}
    try:
        done = capture(argv, env)
    except OSError as exc:
        return 1, str(exc.strerror)
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return done.returncode, lines[-1].strip() if lines else f"exit code {done.returncode}"


def _files(directory: str) -> list[str]:
    try:
        return sorted(os.path.join(directory, n) for n in os.listdir(directory))
    except OSError:
        return []


def classify(requirements: Sequence[str], pip: Sequence[str], options: Sequence[str], dest: str,
             env: Mapping[str, str]) -> list[Kind]:
    """Classify each requirement, downloading into ``dest``: named ones in one pip run, the
    rest (and all of them, when that run fails) one by one.
    """
    results: dict[int, Kind] = {}
    named: dict[int, str] = {}
    for index, requirement in enumerate(requirements):
        if requirement.endswith(".whl") and os.path.isfile(requirement):
            results[index] = _from_file(requirement, requirement, _project_name(os.path.basename(requirement)))
            continue
        name = requirement_name(requirement)
        if name is not None:
            named[index] = name
    if len(named) > 1:
        code, _ = _download(pip, options, [requirements[i] for i in named], dest, env)
        if code == 0:
            by_name = {_project_name(os.path.basename(f)): f for f in _files(dest)}
            for index, name in named.items():
                if name in by_name:
                    results[index] = _from_file(requirements[index], by_name[name], name)
    for index, requirement in enumerate(requirements):
        if index in results:
            continue
        own = os.path.join(dest, f"r{index}")
        os.makedirs(own, exist_ok=True)
        code, last = _download(pip, options, [requirement], own, env)
        files = _files(own)
        if code != 0 or len(files) != 1:
            why = f"pip download failed: {last}" if code != 0 else "pip download gave no single file"
            results[index] = Kind(requirement, UNDECIDED, why, named.get(index))
            shutil.rmtree(own, ignore_errors=True)
            continue
        name = named.get(index) or _project_name(os.path.basename(files[0]))
        results[index] = _from_file(requirement, files[0], name)
        # One directory for the install's --find-links.
        os.replace(files[0], os.path.join(dest, os.path.basename(files[0])))
        os.rmdir(own)
    return [results[i] for i in range(len(requirements))]
