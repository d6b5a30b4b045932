"""``safepip trust [PATH]``: let safepip run the interpreters that came with a repository.

PATH is a project directory (default: the working directory), one of its virtual
environments, or an interpreter. What needs trusting there (see :mod:`safepip.facts.trust`)
is recorded in the user configuration file, ``[trust]``, with its identity: the path and
what it is now. A ``[tool.safepip] venv`` that puts the environment outside the project
(:mod:`safepip.facts.placement`) is recorded there too: the project root and where the
value leads now. Nothing another user could change is ever trusted this way (the ownership
rules still apply; the ``trusted`` list is for that).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import BinaryIO, Mapping

from safepip.errors import ConfigError, PermissionRefused, UsageError
from safepip.paths import replace_file, user_config_file

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.facts.project import EnvSpot
    from safepip.session import Session

USAGE = """usage: safepip trust [PATH]

Trust the interpreters that came with the project at PATH (default: the current
directory): a [tool.safepip] python inside the project, or a virtual environment that is
committed to git or names an interpreter inside the project. safepip runs neither until
you do. It also lets the project's [tool.safepip] venv put the environment outside the
project, where that value leads now. PATH may also be one environment or one interpreter.
The trust is recorded in your configuration file with what the interpreter is now (and
where the environment goes); if that changes, trust it again.
"""


def _candidates(path: str, environ: Mapping[str, str], debug: bool) -> tuple[str, list[tuple[str, str | None]], dict[str, str]]:
    """The root the trust is for, the interpreters there with why each needs trust, and the
    ``[trust]`` entry for a ``[tool.safepip] venv`` that puts the environment outside the
    project (empty when it does not).
    """
    from safepip.facts import config as cfg
    from safepip.facts.gather import project_env
    from safepip.facts.interpreter import resolve_spec
    from safepip.facts.placement import check as place_check
    from safepip.facts.placement import check_default, committed_link, over, problem, python_problem, record
    from safepip.facts.project import find_root
    from safepip.facts.trust import check, env_reason, interpreter_reason
    from safepip.venv.layout import bin_python, is_venv_dir

    user_file = user_config_file(environ)
    trusted = cfg.Config().layered(cfg.user_layer(user_file), user_file).trusted
    if os.path.isfile(path):
        project = find_root(os.path.dirname(path), environ, debug=debug)
        root = project.root if project is not None else os.path.dirname(path)
        return root, [(path, interpreter_reason(path, root))], {}
    if is_venv_dir(path):
        project = find_root(os.path.dirname(path), environ, debug=debug)
        root = project.root if project is not None else os.path.dirname(path)
        check(path, "environment", environ, trusted, user_file)
        return root, [(bin_python(path), env_reason(path, root))], {}
    if not os.path.isdir(path):
        raise UsageError(f"safepip trust: {path}: no such file or directory")
    project = find_root(path, environ, debug=debug)
    if project is None:
        raise UsageError(f"safepip trust: {path} is not inside a project; name an environment or an interpreter")
    root = project.root
    check(root, "project", environ, trusted, user_file)
    values = cfg.project_layer(project.pyproject)
    found: list[tuple[str, str | None]] = []
    if values.get("python"):
        python = resolve_spec(values["python"], f"python (from {project.pyproject} [tool.safepip])", environ)
        outside = python_problem(values["python"], python, root, environ)
        why = f"[tool.safepip] python names a virtual environment {outside}" if outside else None
        found.append((python, interpreter_reason(python, root) or why))
    placement = {}
    configured = values.get("venv")
    if configured and problem(configured, root, environ) is not None:
        if over(configured, root, environ):  # no trust puts an environment there: say so
            place_check(configured, root, project.pyproject, environ, cfg.Config())
        placement[root] = record(configured, root)
    spot = project_env(root, configured, environ)
    placement.update(_tool_placement(spot, root, environ))
    if not configured and committed_link(spot.path, root, environ, cfg.Config()) is not None:
        if over(os.path.basename(spot.path), root, environ):
            check_default(spot.path, root, environ, cfg.Config())
        placement[root] = record(os.path.basename(spot.path), root)
    env_dir, exists = spot.path, spot.exists
    if exists:
        check(env_dir, "environment", environ, trusted, user_file)
        found.append((bin_python(env_dir), env_reason(env_dir, root)))
    return root, found, placement


def _tool_placement(spot: EnvSpot, root: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The ``[trust]`` entry for a tool's setting written in the repository that puts the
    environment outside the project (empty when it does not).
    """
    from safepip.facts import config as cfg
    from safepip.facts.placement import check_tool, over, record, tool_problem

    if tool_problem(spot, root, environ) is None:
        return {}
    place = spot.place or spot.path
    if over(place, root, environ):  # no trust puts an environment there: say so
        check_tool(spot, root, environ, cfg.Config())
    return {root: record(place, root)}


def _toml_key(path: str) -> str:
    return json.dumps(path, ensure_ascii=False)  # a JSON string is a TOML basic string


def record(config_file: str, entries: Mapping[str, str]) -> None:
    """Add (or update) ``entries`` in the ``[trust]`` table of the user configuration file,
    atomically; a file safepip cannot edit safely is left as it is (exit 78).
    """
    from safepip.facts import config as cfg

    try:
        with open(config_file, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_file}: cannot be read: {exc}") from None
    if text:
        cfg.user_layer(config_file)  # a broken file is reported, not rewritten
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if re.match(r"^\s*\[\s*trust\s*\]\s*(#.*)?$", line)), None)
    if header is None and re.search(r"^\s*trust\s*=", text, re.MULTILINE):
        raise ConfigError(f"{config_file}: trust is not a [trust] table; edit it by hand")
    if header is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append("[trust]  # written by safepip trust: interpreter = its identity; project = where its venv leads")
        header = len(lines) - 1
    end = next((i for i in range(header + 1, len(lines)) if re.match(r"^\s*\[", lines[i])), len(lines))
    for path, ident in entries.items():
        line = f"{_toml_key(path)} = {_toml_key(ident)}"
        same = next((i for i in range(header + 1, end) if lines[i].startswith(_toml_key(path) + " =")), None)
        if same is not None:
            lines[same] = line
        else:
            lines.insert(header + 1, line)
            end += 1
    new = "\n".join(lines) + "\n"
    directory = os.path.dirname(config_file)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    try:
        mode = os.stat(config_file).st_mode & 0o777
    except OSError:
        mode = 0o600

    def fill(handle: BinaryIO) -> None:
        handle.write(new.encode("utf-8"))
        # Checked as safepip will read it, before it replaces the old file.
        cfg.user_text_layer(new, config_file)

    replace_file(config_file, fill, mode=mode & ~0o022)


def main(args: list[str], session: Session) -> int:
    """Trust what came with the project at PATH; return 0."""
    environ = session.environ
    from safepip.facts.placement import RECORD_PREFIX
    from safepip.facts.trust import chain_problem, identity
    from safepip.session import say

    if any(a in ("-h", "--help") for a in args):
        sys.stdout.write(USAGE)
        return 0
    if len(args) > 1 or (args and args[0].startswith("-")):
        raise UsageError("safepip trust: give at most one PATH (see safepip trust --help)")
    if args and not args[0]:
        raise UsageError("safepip trust: the PATH given is empty (an unset variable?); name a project, an environment "
                         "or an interpreter, or give none for the current directory")
    path = os.path.abspath(os.path.expanduser(args[0] if args else os.getcwd()))
    root, found, placement = _candidates(path, environ, session.debug)
    needed = [(python, why) for python, why in found if why is not None]
    if not needed and not placement:
        say(f"nothing to trust in {root}: what safepip would run there is your own", "notice", environ)
        return 0
    entries = dict(placement)
    from safepip.venv.layout import venv_of

    for python, _why in needed:
        env = venv_of(python)
        problem = chain_problem(env, environ) if env is not None else None
        if problem is not None:
            raise PermissionRefused(f"will not trust {python}: {problem}")
        entries[os.path.abspath(python)] = identity(python)
    config_file = user_config_file(environ)
    record(config_file, entries)
    for where in placement.values():
        say(f"trusted where {root} puts its environment: {where[len(RECORD_PREFIX):]}; "
               f"recorded in {config_file}", "notice", environ)
    for python, why in needed:
        say(f"trusted {python} ({why}); recorded in {config_file}", "notice", environ)
    return 0
