"""Find the target interpreter and learn about it by running the probe inside it.

The target is, in order: pip's own ``--python`` (an interpreter, a command name, or a venv
directory), ``SAFEPIP_PYTHON``, an active virtual environment (``VIRTUAL_ENV``), an active
conda environment (``CONDA_PREFIX``), the ``python`` configuration key, then the first
``python3`` (then ``python``) on PATH (:func:`find_target`: pip's own order). safepip's own
interpreter is never the default. The search on PATH steps over safepip's own launchers,
which carry :data:`MARK` (:mod:`safepip.act.shims` writes them, and prunes only files that
carry it); what choosing the target read is recorded for remembered answers (:func:`target_reads`).

Probe results are cached, keyed on the executable's identity (path, device, inode, size,
modification time); the marker is looked at again on every call (:func:`marker_signature`:
its file, through a symbolic link as Gentoo's is, and the locale its message was chosen by).
"""

from __future__ import annotations

import os
import sys

from safepip.errors import InterpreterError
from safepip.frozen import Frozen, field, record
from safepip.venv.layout import bin_python

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only (the no-op check imports neither typing nor dataclasses)
    from typing import Any, Mapping

    from safepip.paths import Dirs

# What a fact-gatherer read (this module's target search, the project's walk, the tools'
# settings): the memo signs these paths (see :mod:`safepip.remembered.store`) without knowing
# how each gatherer works. And the real paths gathering resolved, and the files it read: each
# once (:func:`realpath`, :func:`file_bytes`), while the facts are gathered. Here, not in a
# module of their own: every path that gathers facts imports this one, and a module costs a
# cold call about 0.1 ms however small it is.

#: While facts are gathered (:func:`resolving`): the real path of each path already resolved.
_REAL: list[dict[str, str]] = []
#: While facts are gathered: the first bytes of each file already read (how many were asked,
#: what was read and the file's status, or what reading it raised: :func:`file_bytes`).
_READ: dict[str, tuple[int, tuple[bytes, os.stat_result] | OSError]] = {}


@record
class Reads(Frozen):
    """``paths`` whose whole signatures an answer depends on, and directories ``owned``
    whose mode and owner it depends on (the trust rules).
    """

    paths: tuple[str, ...] = ()
    owned: tuple[str, ...] = ()

    def __add__(self, other: Reads) -> Reads:
        return Reads(self.paths + other.paths, self.owned + other.owned)


def ancestors(path: str) -> list[str]:
    """``path`` and every directory above it, up to the root."""
    result = [path]
    while True:
        parent = os.path.dirname(result[-1])
        if parent == result[-1]:
            return result
        result.append(parent)


def realpath(path: str) -> str:
    """``os.path.realpath(path)``; while facts are gathered (:func:`resolving`), each path is
    resolved once (the walk, the trust rules, the interpreter's search and the tools' files
    ask for the same few: the project, its environment, a PATH directory).
    """
    if not _REAL:
        return os.path.realpath(path)
    known = _REAL[0]
    found = known.get(path)
    if found is None:
        found = known[path] = os.path.realpath(path)
    return found


def resolving(on: bool) -> bool:
    """Start (``on``) or end remembering real paths (:func:`realpath`) and files read
    (:func:`file_bytes`); return whether it was on. Only while facts are gathered: gathering
    reads, and makes no link nor moves a directory (what it may make, the cache's own
    directories, resolves as it did before) nor writes a file it reads.
    """
    was = bool(_REAL)
    if on and not was:
        _REAL.append({})
    elif not on:
        _REAL.clear()
        _READ.clear()
    return was


def file_bytes(path: str, limit: int) -> bytes:
    """The first ``limit`` bytes of the file at ``path`` (what opening or reading it raised:
    raised); while facts are gathered (:func:`resolving`), each file is read once (the
    project's pyproject.toml: by the walk's settings, the configuration and the tools' detection).
    """
    return _opened(path, limit)[0]


def _opened(path: str, limit: int) -> tuple[bytes, os.stat_result]:
    """:func:`file_bytes`, with the status of the file read (``fstat``: the very file opened)."""
    if not _REAL:
        return _first(path, limit)
    known = _READ.get(path)
    if known is not None and known[0] == limit:
        found = known[1]
    else:
        try:
            found = _first(path, limit)
        except OSError as exc:
            found = exc
        _READ[path] = (limit, found)
    if isinstance(found, OSError):
        raise found
    return found


def _first(path: str, limit: int) -> tuple[bytes, os.stat_result]:
    """The first ``limit`` bytes of the file at ``path``, read with no file object, and its status."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        step = min(max(st.st_size + 1, 4096), limit)
        chunks: list[bytes] = []
        got = 0
        while got < limit:
            chunk = os.read(fd, min(step, limit - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


#: How much of an executable :func:`is_ours` reads for the launchers' mark (and
#: :func:`cache_key` for a script's ``#!``: one read of the interpreter for both).
_HEAD = 4096


#: Bump when the probe's output changes, so that cached results are not reused.
PROBE_SCHEMA = 4
MINIMUM = (3, 8)


@record(slots=True)
class Interp(Frozen):
    """What the probe found out about an interpreter (a frozen record: :mod:`safepip.frozen`).
    ``pip_dir``: where the target's pip is installed (its version:
    :func:`safepip.facts.piptables.in_directory`); ``probed``: whether the probe ran in it
    (False: only its path is known, e.g. one safepip must not run); ``site_dirs``: the
    site-packages directories outside any venv (the user site first), ``user_site`` the user site.
    ``managed``: whether pip would refuse to install here (PEP 668): a marker, outside a venv;
    worked out from ``marker`` and ``in_venv`` when the record is made (:func:`_interp`), so
    that a record copied with another of those is given it too.
    """

    path: str
    how: str
    version: tuple[int, int, int]
    implementation: str
    prefix: str
    base_prefix: str
    in_venv: bool
    conda: bool
    stdlib: str
    purelib: str
    platlib: str
    scripts: str
    marker: str | None
    marker_message: str | None
    marker_problem: str | None
    distributor: str | None
    has_pip: bool
    managed: bool
    markers: Mapping[str, str] = field(default_factory=dict)
    pip_dir: str | None = None
    probed: bool = True
    site_dirs: tuple[str, ...] = ()
    user_site: str | None = None

    @property
    def version_str(self) -> str:
        """The version as ``3.11.2``."""
        return ".".join(map(str, self.version))


#: The variables that choose the marker's ``Error-<locale>`` message (pip's LC_MESSAGES).
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def marker_signature(stdlib: str, environ: Mapping[str, str]) -> list[object]:
    """What the marker's message depends on besides the interpreter: the file's identity
    (followed through symbolic links; None when it is not a file) and the locale variables.
    A cached probe whose signature differs is run again.
    """
    try:
        st = os.stat(os.path.join(stdlib, "EXTERNALLY-MANAGED"))
        import stat

        found: list[object] | None = (
            [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns] if stat.S_ISREG(st.st_mode) else None
        )
    except OSError:
        found = None
    return [found, [environ.get(name, "") for name in LOCALE_VARIABLES]]


def pip_lines(message: str) -> list[str]:
    """A marker's message as the lines pip prints after its "╰─>" (rich's split on newlines
    with blank lines kept: a message that starts on the line after ``Error=`` begins with an
    empty line, pip's default message ends with one).
    """
    return message.split("\n")


def _probe_source() -> str:
    from safepip.facts import _probe

    source = _probe.__loader__.get_source(_probe.__name__)  # type: ignore[union-attr]
    if not source:  # pragma: no cover - every loader safepip ships with has the source
        raise InterpreterError("safepip's interpreter probe is missing from its installation")
    return str(source)


def cache_key(path: str) -> str | None:
    """The probe cache's key for the interpreter file ``path`` (None: not cached, e.g. a script)."""
    try:  # the file read is the one identified (fstat); while gathering, as the PATH search read it
        head, st = _opened(path, _HEAD)
    except OSError:
        return None
    if head.startswith(b"#!"):
        return None  # a script (a pyenv shim...): what it runs can change under the same file
    from safepip import __version__

    ident = f"{PROBE_SCHEMA}\0{__version__}\0{path}\0{st.st_dev}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}"
    return sha256_hex(ident.encode("utf-8", "surrogateescape"))[:32]


def sha256_hex(data: bytes) -> str:
    """sha256's hex digest, from the C module hashlib itself falls back on: hashlib first
    loads OpenSSL, a few ms the no-op check does not need.
    """
    return str(_sha256(data).hexdigest())


def sha256_digest(data: bytes) -> bytes:
    """sha256's digest, as :func:`sha256_hex` computes it."""
    return bytes(_sha256(data).digest())


def _sha256(data: bytes) -> Any:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # Python <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]  # Python >= 3.12
        except ImportError:  # pragma: no cover - a Python built without them
            from hashlib import sha256  # type: ignore[assignment,unused-ignore]
    return sha256(data)


def cache_path(cache_root: str, key: str) -> str:
    """Where the probe of the interpreter with cache ``key`` is kept: marshal data (json's
    import costs the no-op check more than reading the file).
    """
    return os.path.join(cache_root, "probes", f"{key}.marshal")


#: Seconds the probe may take (SAFEPIP_PROBE_TIMEOUT overrides).
PROBE_TIMEOUT = 10.0


def probe_timeout(environ: Mapping[str, str]) -> float:
    """The probe's time limit: ``SAFEPIP_PROBE_TIMEOUT`` seconds when set to a positive number."""
    value = environ.get("SAFEPIP_PROBE_TIMEOUT", "")
    if not value:
        return PROBE_TIMEOUT
    try:
        limit = float(value)
    except ValueError:
        limit = -1.0
    if not 0 < limit < 86400:
        from safepip.errors import ConfigError

        raise ConfigError(f"SAFEPIP_PROBE_TIMEOUT={value[:40]!r}: not a number of seconds (e.g. 10)")
    return limit


def run_probe(path: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run the probe in ``path`` and return its JSON."""
    environ = os.environ if environ is None else environ
    import subprocess

    from safepip.runner import capture

    # -E -s exist in every Python (even 2.7, so it can say what it is); running from the
    # filesystem root keeps a hostile working directory off the probe's sys.path.
    argv = [path, "-E", "-s", "-c", _probe_source()]
    limit = probe_timeout(environ)
    try:
        # capture runs it in a session of its own: a timeout kills whatever it started too.
        done = capture(argv, None, cwd=os.path.abspath(os.sep), timeout=limit)
    except subprocess.TimeoutExpired:
        raise InterpreterError(
            f"{path} did not answer safepip's probe within {limit:g} s (SAFEPIP_PROBE_TIMEOUT); "
            "check that it is a working Python"
        ) from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise InterpreterError(f"{path} could not be run: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    import json  # here: a cached probe is marshal data

    try:
        data = json.loads(done.stdout)
        if not isinstance(data, dict) or "version" not in data:
            raise ValueError(data)
    except ValueError:
        lines = done.stderr.strip().splitlines()
        detail = f": {lines[-1]}" if lines else ""
        raise InterpreterError(f"{path} is not a working Python interpreter{detail}") from None
    return data


def probe(path: str, how: str, environ: Mapping[str, str], dirs: Dirs | None = None) -> Interp:
    """Learn about the interpreter at ``path``, from the cache when the file has not changed
    (in ``dirs``: the session's, else those of ``environ``).
    """
    data, cache_file, cache_root = _from_cache(path, environ, dirs)
    if data is None:
        data = run_probe(path)
        if cache_file is not None and tuple(data["version"][:2]) >= MINIMUM:
            _write_cache(cache_file, {**data, "marker_signature": marker_signature(data["stdlib"], environ)}, cache_root)
    return _interp(path, how, data)


def cached(path: str, how: str, environ: Mapping[str, str], dirs: Dirs | None = None) -> Interp | None:
    """What the probe cache holds of the interpreter at ``path`` (None: nothing valid; no
    probe is started).
    """
    data = _from_cache(path, environ, dirs)[0]
    return None if data is None else _interp(path, how, data)


def _from_cache(path: str, environ: Mapping[str, str],
                dirs: Dirs | None) -> tuple[dict[str, Any] | None, str | None, str]:
    """The cached probe of ``path`` (None: none valid), its cache file (None: not cached) and root."""
    key = cache_key(path)
    if key is None or environ.get("SAFEPIP_NO_PROBE_CACHE") == "1":
        return None, None, ""
    from safepip.paths import Dirs, read

    if dirs is None:
        dirs = Dirs(environ)
    cache_root = dirs.cache
    cache_file = cache_path(cache_root, key)
    try:
        # A probe result decides what runs: only a private file of the user's own counts.
        raw = read(cache_file, cache_root)
        if raw is None:
            raise OSError(cache_file)
        import marshal

        data = marshal.loads(raw)  # noqa: S302 - a private file of the user's own (paths.read)
        assert isinstance(data, dict)
        stdlib = data.get("stdlib")
        # The marker can appear, go or change without the interpreter changing: always look again.
        if not isinstance(stdlib, str) or data.get("marker_signature") != marker_signature(stdlib, environ):
            data = None
    except (OSError, ValueError, EOFError, TypeError, AssertionError):
        data = None
    return data, cache_file, cache_root


def _interp(path: str, how: str, data: dict[str, Any]) -> Interp:
    """The record of a probe's ``data``; refused (one line) below the oldest Python safepip drives."""
    version = tuple(int(v) for v in data["version"][:3])
    if version[:2] < MINIMUM:
        shown = ".".join(map(str, version))
        raise InterpreterError(
            f"{path} ({how}) is Python {shown}; safepip drives CPython 3.8 or newer"
        )
    return Interp(
        path=path,
        how=how,
        version=(version[0], version[1], version[2]),
        implementation=data["implementation"],
        prefix=data["prefix"],
        base_prefix=data["base_prefix"],
        in_venv=bool(data["in_venv"]),
        conda=bool(data["conda"]),
        stdlib=data["stdlib"],
        purelib=data["purelib"],
        platlib=data["platlib"],
        scripts=data["scripts"],
        marker=data["marker"],
        marker_message=data["marker_message"],
        marker_problem=data["marker_problem"],
        distributor=data["distributor"],
        has_pip=bool(data["pip"]),
        managed=data["marker"] is not None and not data["in_venv"],
        markers=data["markers"],
        pip_dir=data.get("pip_dir"),
        site_dirs=tuple(str(d) for d in data.get("site_dirs") or ()),
        user_site=data.get("user_site"),
    )


def _write_cache(cache_file: str, data: dict[str, Any], root: str) -> None:
    """Write privately and atomically; a cache that cannot be written is only a slower next call."""
    import marshal

    from safepip.paths import write

    write(cache_file, marshal.dumps(data), root)


# -- Which interpreter is the target, and what choosing it read ------------------------------

_WINDOWS = sys.platform == "win32"
MARK = "# safepip shim: a pip launcher made and kept current by safepip (shell-init, self-install --shims)."


def is_ours(path: str) -> bool:
    """Whether ``path`` is a launcher safepip wrote (its second line is the mark)."""
    try:
        head = file_bytes(path, _HEAD)  # while gathering: read once, with the probe cache's key
    except OSError:
        return False
    if not head.startswith(b"#!"):
        return False  # an interpreter's binary, or anyone's script: not ours
    return MARK in head.decode("utf-8", "replace").splitlines()[1:2]


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _which(name: str, path_var: str, skip: str | None = None) -> str | None:
    """The first executable ``name`` on ``path_var`` (``skip``: a directory passed over).

    safepip's own ``python``/``python3`` shims are passed over too: each runs another
    interpreter depending on the directory, so the name means what it would without them.
    """
    names = [name]
    if _WINDOWS and not name.lower().endswith(".exe"):
        names.append(name + ".exe")
    for entry in path_var.split(os.pathsep):
        if not entry:
            continue
        if skip and realpath(entry) == skip:
            continue
        for candidate in names:
            full = os.path.join(entry, candidate)
            if _is_executable(full) and not is_ours(full):
                return os.path.abspath(full)
    return None


def without_shims(name: str, environ: Mapping[str, str]) -> str | None:
    """What the command ``name`` is on PATH without safepip's shims (None: nothing)."""
    return _which(name, environ.get("PATH", os.defpath))


def resolve_spec(spec: str, source: str, environ: Mapping[str, str]) -> str:
    """Turn a user's interpreter spec (a path, a command name, or a venv directory) into a path."""
    expanded = os.path.expanduser(spec)
    if os.path.isdir(expanded):
        inner = bin_python(expanded)
        if _is_executable(inner):
            return os.path.abspath(inner)
        raise InterpreterError(
            f"{source} {spec}: a directory without an interpreter in it "
            f"(looked for {inner}); name a Python executable or a virtual environment"
        )
    if os.sep in expanded or (os.altsep and os.altsep in expanded) or os.path.exists(expanded):
        if _is_executable(expanded):
            if is_ours(expanded):  # safepip's python3 launcher: the python3 it stands in front of
                behind = _which(os.path.basename(expanded), environ.get("PATH", os.defpath))
                if behind is not None:
                    return behind
            return os.path.abspath(expanded)
        if os.path.exists(expanded):
            raise InterpreterError(f"{source} {spec}: not an executable file")
        raise InterpreterError(f"{source} {spec}: no such file")
    found = _which(expanded, environ.get("PATH", os.defpath))
    if found is None:
        raise InterpreterError(f"{source} {spec}: no such command on PATH")
    return found


def _own_scripts_dir() -> str | None:
    """safepip's own environment's bin directory, if safepip runs inside a venv."""
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        return realpath(os.path.dirname(bin_python(sys.prefix)))
    return None


def find_target(
    cli_python: str | None,
    environ: Mapping[str, str],
    config_python: tuple[str, str] | None = None,
) -> tuple[str, str]:
    """Return (interpreter path, how it was chosen). ``config_python`` is (value, its layer)."""
    if cli_python:
        return resolve_spec(cli_python, "--python", environ), "--python"
    if environ.get("SAFEPIP_PYTHON"):
        return resolve_spec(environ["SAFEPIP_PYTHON"], "SAFEPIP_PYTHON", environ), "SAFEPIP_PYTHON"
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        if environ.get(variable):
            candidate = bin_python(environ[variable])
            if _is_executable(candidate):
                return candidate, variable
            raise InterpreterError(
                f"{variable}={environ[variable]} names an environment without a working "
                f"interpreter ({candidate}); deactivate it or repair it"
            )
    if config_python:
        value, layer = config_python
        return resolve_spec(value, f"python (from {layer})", environ), f"python (from {layer})"
    path_var = environ.get("PATH", os.defpath)
    for name in ("python3", "python"):
        found = _which(name, path_var, skip=_own_scripts_dir())
        if found:
            return found, "PATH"
    raise InterpreterError(
        "no python3 or python on PATH; name one with --python or SAFEPIP_PYTHON"
    )


def target_reads(interp: Interp, cwd: str, environ: Mapping[str, str]) -> Reads:
    """What choosing and judging ``interp`` read: its file, what selects a pyenv shim's
    interpreter, every PATH directory when it was found on PATH (a new python3 earlier on
    PATH would change the target), its EXTERNALLY-MANAGED marker.
    """
    paths = [interp.path, *pyenv_selection(interp.path, cwd, environ)]
    if interp.how == "PATH":
        paths.extend(os.path.abspath(p) for p in environ.get("PATH", "").split(os.pathsep) if p)
    if interp.stdlib:
        paths.append(os.path.join(interp.stdlib, "EXTERNALLY-MANAGED"))
    return Reads(tuple(paths))


def pyenv_selection(python: str, cwd: str, environ: Mapping[str, str]) -> list[str]:
    """The files that choose what a pyenv shim runs (``.python-version`` from ``cwd`` up,
    pyenv's global ``version`` file), when ``python`` is one (``PYENV_VERSION`` is in the
    memo's key). Empty for any other interpreter.
    """
    if os.path.basename(os.path.dirname(python)) != "shims":
        return []
    root = environ.get("PYENV_ROOT") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".pyenv")
    base = environ.get("PYENV_DIR") or cwd
    return [*(os.path.join(d, ".python-version") for d in ancestors(base)), os.path.join(root, "version")]
