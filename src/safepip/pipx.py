"""pipx's command line, below every layer: which pipx, a pip command line turned into
pipx's (the plan's steps), and what pipx reports (the facts of an install outside a project).

The user's own ``pipx`` on PATH is preferred (its apps, its configuration); else the pipx
safepip depends on, run by safepip's interpreter (from inside safepip.pyz when safepip runs
from it). Every app environment is made for the target interpreter (``--python``). As root, pipx works in its ``--global`` mode
(``/opt/pipx``, ``/usr/local/bin``), where the installed pipx has it.

pip options map to pipx: ``--index-url`` is pipx's own; ``--extra-index-url``,
``--find-links``, ``--no-index``, ``--pre``, ``-c`` and every other option that selects or
builds the files go through ``--pip-args``; ``-q``/``-v`` and ``--force-reinstall`` become
pipx's ``--quiet``/``--verbose``/``--force``.
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Mapping, Sequence

from safepip.errors import NoTargetError
from safepip.runner import capture, module_argv

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    import subprocess

    from safepip.facts.pipargs import PipCall

#: Options of a pip install that pipx must not see in --pip-args (they are pipx's own, or
#: safepip has already acted on them).
_NOT_PIP_ARGS = frozenset(
    {"--requirement", "--editable", "--upgrade", "--user", "--no-user", "--python", "--quiet", "--verbose",
     "--index-url", "--report", "--break-system-packages", "--force-reinstall", "--help", "--version",
     "--require-virtualenv", "--root-user-action", "--dry-run", "--target", "--prefix", "--root"}
)
#: Options whose value is a local path: made absolute, since pipx records them for upgrades.
_PATH_OPTIONS = frozenset({"--constraint", "--find-links", "--cache-dir", "--cert", "--client-cert", "--log"})


#: ``python -c`` code that runs the pipx inside an archive (``{archive}``: the archive's path).
_FROM_ARCHIVE = ("import sys; sys.argv[0] = 'pipx'; sys.path[0] = {archive!r}; "
                 "from pipx.main import cli; sys.exit(cli())")


def command(environ: Mapping[str, str]) -> list[str]:
    """How to run pipx: the user's own on PATH, else safepip's dependency."""
    import shutil

    found = shutil.which("pipx", path=environ.get("PATH", os.defpath))
    if found:
        return [found]
    import importlib.util

    spec = importlib.util.find_spec("pipx")
    if spec is None or spec.origin is None:
        raise NoTargetError(
            "no pipx on PATH and none beside safepip, so applications cannot be installed; "
            "install pipx, or set apps = \"user-env\" to put applications in the per-user environment"
        )
    from safepip.archive import running_archive

    zipped = running_archive()
    if zipped is not None:
        # Run from safepip.pyz, pipx is importable here but not in another process: put the
        # archive first on that process's path (in place of the working directory, as -m would).
        return [sys.executable, "-c", _FROM_ARCHIVE.format(archive=zipped)]
    return module_argv(sys.executable, "pipx")


def unusable(environ: Mapping[str, str], target: str, *, global_mode: bool) -> str | None:
    """Why pipx cannot install applications for ``target`` here (None: it can).

    There may be no pipx at all; pipx makes each application's environment with the target's
    ``venv`` module, and its shared pip with its own interpreter's ``ensurepip`` (Debian and
    Ubuntu ship both in python3-venv, which a fresh system lacks).
    """
    try:
        pipx = command(environ)
    except NoTargetError:
        return "there is no pipx"
    done = _capture([target, "-I", "-c", "import venv"], environ)
    if done is None or done.returncode != 0:
        return f"pipx needs the venv module, which {target} lacks (on Debian and Ubuntu: apt install python3-venv)"
    why = cannot_make_envs(pipx, environ, global_mode=global_mode)
    return f"{why} (on Debian and Ubuntu: apt install python3-venv)" if why else None


def _absolute(name: str, value: str) -> str:
    if name not in _PATH_OPTIONS or "://" in value:
        return value
    expanded = os.path.expanduser(value)
    return os.path.abspath(expanded) if os.path.exists(expanded) else value


def options(call: PipCall, *, skip_maintenance: bool = True,
            pip_wheels: str | None = None) -> tuple[list[str], list[str]]:
    """pipx's own options for a pip install call, and the pip arguments to pass through
    (``skip_maintenance``: whether this pipx has ``--skip-maintenance``; pipx 1.1.0 has not;
    ``pip_wheels``: a directory holding a pip wheel, offered with ``--no-index``).
    """
    own: list[str] = []
    pip_args: list[str] = []
    for option in call.options:
        if option.name == "--index-url" and option.value is not None:
            own += ["--index-url", option.value]
        elif option.name in ("--quiet", "--verbose"):
            own.append(option.name)
        elif option.name not in _NOT_PIP_ARGS:
            pip_args.append(
                option.name if option.value is None else f"{option.name}={_absolute(option.name, option.value)}"
            )
    if call.has("--no-index") and skip_maintenance:
        # pipx would upgrade its shared pip first, from an index the user has just said not to use.
        own.append("--skip-maintenance")
    if call.has("--no-index") and pip_wheels:
        # pipx 1.5 to 1.7 (Debian 13's 1.7.1; --skip-maintenance does nothing there) make their
        # shared libraries by reinstalling pip from the user's sources, and stop when they hold none.
        pip_args.append(f"--find-links={pip_wheels}")
    return own, pip_args


def _tail(own: Sequence[str], pip_args: Sequence[str], global_mode: bool) -> list[str]:
    tail = list(own)
    if global_mode:
        tail.append("--global")
    if pip_args:
        tail.append(f"--pip-args={shlex.join(pip_args)}")  # "=": the value starts with a dash
    return tail


def install_argv(pipx: Sequence[str], spec: str, python: str, call: PipCall, *, global_mode: bool,
                 force: bool = False, include_deps: bool = False, skip_maintenance: bool = True,
                 pip_wheels: str | None = None) -> list[str]:
    """``pipx install`` of one application for the target interpreter (``include_deps``: a
    metapackage, whose commands are its dependencies').
    """
    own, pip_args = options(call, skip_maintenance=skip_maintenance, pip_wheels=pip_wheels)
    if force or call.has("--force-reinstall"):
        own.append("--force")
    if include_deps:
        own.append("--include-deps")
    return [*pipx, "install", "--python", python, *_tail(own, pip_args, global_mode), spec]


def upgrade_argv(pipx: Sequence[str], name: str, call: PipCall, *, global_mode: bool,
                 skip_maintenance: bool = True, pip_wheels: str | None = None) -> list[str]:
    """``pipx upgrade`` of an installed application (``pip install -U name``)."""
    own, pip_args = options(call, skip_maintenance=skip_maintenance, pip_wheels=pip_wheels)
    return [*pipx, "upgrade", *_tail(own, pip_args, global_mode), name]


def inject_argv(pipx: Sequence[str], app: str, spec: str, call: PipCall, *, global_mode: bool,
                skip_maintenance: bool = True) -> list[str]:
    """``pipx inject APP SPEC``: a plugin into the environment of the application it plugs into."""
    own, pip_args = options(call, skip_maintenance=skip_maintenance)
    if call.has("--force-reinstall"):
        own.append("--force")
    return [*pipx, "inject", *_tail(own, pip_args, global_mode), app, spec]


def uninject_argv(pipx: Sequence[str], app: str, name: str, *, global_mode: bool) -> list[str]:
    """``pipx uninject APP NAME``: a plugin out of its application's environment."""
    return [*pipx, "uninject", *(["--global"] if global_mode else []), app, name]


def runpip_uninstall_argv(pipx: Sequence[str], app: str, name: str, *, global_mode: bool) -> list[str]:
    """``pipx runpip APP uninstall -y NAME``: uninject for a pipx without it (Debian 12's 1.1.0)."""
    return [*pipx, "runpip", *(["--global"] if global_mode else []), app, "uninstall", "-y", name]


def has_uninject(pipx: Sequence[str], env: Mapping[str, str]) -> bool:
    """Whether this pipx has ``uninject`` (asked, not guessed: one without it fails ``uninject --help``)."""
    done = _capture([*pipx, "uninject", "--help"], env)
    return done is not None and done.returncode == 0


def injected(pipx: Sequence[str], env: Mapping[str, str], *, global_mode: bool) -> dict[str, str]:
    """Canonical name -> pipx's name of the application it was injected into, for every
    package injected into an application pipx manages (empty when pipx cannot say).
    """
    import json

    from packaging.utils import canonicalize_name

    done = _capture([*pipx, "list", "--json", *(["--global"] if global_mode else [])], env)
    if done is None or done.returncode != 0:
        return {}
    try:
        venvs = json.loads(done.stdout).get("venvs", {})
    except (ValueError, AttributeError):
        return {}
    found: dict[str, str] = {}
    for app, data in venvs.items() if isinstance(venvs, dict) else ():
        main = data.get("metadata", {}) if isinstance(data, dict) else {}
        for name in main.get("injected_packages", {}) or {}:
            found.setdefault(str(canonicalize_name(name)), str(app))
    return found


def uninstall_argv(pipx: Sequence[str], name: str, *, global_mode: bool) -> list[str]:
    """``pipx uninstall`` of one application."""
    return [*pipx, "uninstall", *(["--global"] if global_mode else []), name]


def _capture(argv: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return capture(argv, env)
    except OSError:
        return None


#: Options of ``pipx install`` not every pipx has (``--global`` came in 1.5; Debian 12's 1.1.0 has neither).
OPTIONAL = ("--global", "--skip-maintenance")


def features(pipx: Sequence[str], env: Mapping[str, str]) -> frozenset[str]:
    """Which of :data:`OPTIONAL` this pipx's ``install`` has (asked, not guessed from a version)."""
    done = _capture([*pipx, "install", "--help"], env)
    if done is None or done.returncode != 0:
        return frozenset()
    return frozenset(o for o in OPTIONAL if o in done.stdout)


def supports_global(pipx: Sequence[str], env: Mapping[str, str]) -> bool:
    """Whether this pipx has the ``--global`` mode (pipx 1.5 and newer)."""
    return "--global" in features(pipx, env)


def cannot_make_envs(pipx: Sequence[str], env: Mapping[str, str], *, global_mode: bool) -> str | None:
    """Why safepip's own pipx cannot make an application's environment here (None: it can).

    pipx gives every application the pip of its shared libraries, made once with the
    ``ensurepip`` of pipx's own interpreter; Debian and Ubuntu ship ensurepip in python3-venv,
    which a fresh system lacks (safepip.pyz runs there without it). A pipx of the user's own
    on PATH, ``PIPX_DEFAULT_PYTHON``, or shared libraries made earlier are pipx's business.
    """
    import importlib.util

    if list(pipx[:1]) != [sys.executable] or env.get("PIPX_DEFAULT_PYTHON") or importlib.util.find_spec("ensurepip"):
        return None
    done = _capture([*pipx, "environment", *(["--global"] if global_mode else []), "--value", "PIPX_SHARED_LIBS"], env)
    if done is not None and done.returncode == 0 and done.stdout.strip():
        shared = done.stdout.strip()
        if os.path.isfile(os.path.join(shared, "bin", "python")) and os.path.isfile(os.path.join(shared, "pyvenv.cfg")):
            return None
    return f"{sys.executable} has no ensurepip, which pipx needs once for its shared pip"


def installed(pipx: Sequence[str], env: Mapping[str, str], *, global_mode: bool) -> dict[str, str]:
    """Canonical name -> pipx's name of each app pipx manages (empty when pipx cannot say)."""
    from packaging.utils import canonicalize_name

    done = _capture([*pipx, "list", "--short", *(["--global"] if global_mode else [])], env)
    if done is None or done.returncode != 0:
        return {}
    apps: dict[str, str] = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            apps[str(canonicalize_name(parts[0]))] = parts[0]
    return apps


def bin_dir(pipx: Sequence[str], env: Mapping[str, str], *, global_mode: bool) -> str | None:
    """Where pipx puts the commands of its apps."""
    done = _capture([*pipx, "environment", *(["--global"] if global_mode else []), "--value", "PIPX_BIN_DIR"], env)
    if done is None or done.returncode != 0 or not done.stdout.strip():
        return None
    return done.stdout.strip()


def value(pipx: Sequence[str], env: Mapping[str, str], name: str, global_mode: bool) -> str | None:
    """One of pipx's settings (``pipx environment --value NAME``); None: pipx cannot say."""
    done = _capture([*pipx, "environment", *(["--global"] if global_mode else []), "--value", name], env)
    if done is None or done.returncode != 0 or not done.stdout.strip():
        return None
    return done.stdout.strip()


def broken(pipx: Sequence[str], env: Mapping[str, str], name: str, *, global_mode: bool) -> str | None:
    """Why pipx's install of ``name`` is incomplete (None: absent, or whole).

    An install killed half-way leaves pipx's venv without its ``pipx_metadata.json``, or
    the metadata without the commands it lists in pipx's bin directory.
    """
    import json

    from packaging.utils import canonicalize_name

    venvs = value(pipx, env, "PIPX_LOCAL_VENVS", global_mode)
    if venvs is None:
        return None
    venv = os.path.join(venvs, str(canonicalize_name(name)))
    if not os.path.isdir(venv):
        return None
    try:
        with open(os.path.join(venv, "pipx_metadata.json"), encoding="utf-8") as handle:
            metadata = json.load(handle)
    except (OSError, ValueError):
        return f"{venv} has no pipx metadata"
    where = value(pipx, env, "PIPX_BIN_DIR", global_mode)
    main = metadata.get("main_package") if isinstance(metadata, dict) else None
    apps = main.get("apps", []) if isinstance(main, dict) else []
    missing = [a for a in apps if where and not os.path.lexists(os.path.join(where, str(a)))]
    if missing:
        return f"its command {missing[0]} is missing from {where}"
    return None
