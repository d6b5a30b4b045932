"""Where safepip keeps its own files: one place, overridable for tests and odd setups.

Defaults come from platformdirs (``~/.cache/safepip``, ``~/.config/safepip``,
``~/.local/share/safepip`` on Linux, honouring the XDG variables). ``SAFEPIP_CACHE_DIR``,
``SAFEPIP_CONFIG_DIR`` and ``SAFEPIP_DATA_DIR`` override each. On Linux the XDG rule that
platformdirs applies there is computed here (importing platformdirs costs more than the rest
of a cached probe); elsewhere platformdirs is imported when a default is needed. Launchers
go to the user's bin directory: ``SAFEPIP_BIN_DIR``, else ``XDG_BIN_HOME``, else ``~/.local/bin``.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping

#: platformdirs' Unix rule: the XDG variable if it is not blank, else this under HOME.
_XDG = {"cache": ("XDG_CACHE_HOME", "~/.cache"), "config": ("XDG_CONFIG_HOME", "~/.config"),
        "data": ("XDG_DATA_HOME", "~/.local/share")}
_LINUX = sys.platform.startswith("linux")
_POSIX = hasattr(os, "geteuid")
#: As root, the directories already judged in this process, as chosen -> why root could not
#: trust it (None: it can); the judgement itself (:func:`safepip.safefs.root_problem`) keeps
#: its own by real path: this spares every later lookup of a directory the call into it.
_JUDGED: dict[str, str | None] = {}


def _root_problem(chosen: str) -> str | None:
    if chosen not in _JUDGED:
        from safepip.safefs import root_problem

        _JUDGED[chosen] = root_problem(chosen)
    return _JUDGED[chosen]


def _dir(environ: Mapping[str, str], variable: str, kind: str) -> str:
    override = environ.get(variable)
    if override:
        return os.path.abspath(os.path.expanduser(override))
    if _LINUX:
        xdg, fallback = _XDG[kind]
        base = os.environ.get(xdg, "")  # platformdirs reads the process environment
        return os.path.join(base if base.strip() else os.path.expanduser(fallback), "safepip")
    import platformdirs

    return str(getattr(platformdirs, f"user_{kind}_dir")("safepip", appauthor=False))


def linux_cache_dir(environ: Mapping[str, str]) -> str | None:
    """The cache directory where it is known without platformdirs (None elsewhere)."""
    if environ.get("SAFEPIP_CACHE_DIR") or _LINUX:
        return cache_dir(environ)
    return None


def cache_dir(environ: Mapping[str, str]) -> str:
    """Probe results, locks, remembered answers and byte code.

    As root, a cache directory that root could not trust (one inside another user's HOME:
    ``sudo -E``, sudo's ``env_keep``, ``su`` without ``-``) is never used: root's own cache,
    under its home directory from the password database, is used instead.
    """
    chosen = _dir(environ, "SAFEPIP_CACHE_DIR", "cache")
    if _POSIX and os.geteuid() == 0:
        why = _root_problem(chosen)
        if why is not None:
            from safepip.safefs import warn

            own = root_own_dir("cache")
            if os.path.isdir(chosen):  # the user's own cache: say once why it is not shared
                warn(f"not using the cache {chosen}: {why}; root uses its own, {own}")
            return own
    return chosen


class Dirs:
    """safepip's own directories for one environment (:class:`safepip.session.Session` holds
    the call's): each worked out when first asked, then kept, so that the rules (and, as
    root, the warning about a directory not used) run once, and only for the calls that use it.
    """

    #: Each worked out by :meth:`__getattr__` when first asked, then a plain attribute (what
    #: functools.cached_property does; functools, with collections, is a cold call's share of a
    #: millisecond to import).
    cache: str  #: the cache directory (:func:`cache_dir`)
    linux_cache: str | None  #: the same where it is known without platformdirs (:func:`linux_cache_dir`)
    config_file: str  #: the user configuration file (:func:`user_config_file`)

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def __getattr__(self, name: str) -> str | None:
        # Called only for an attribute not set yet.
        value: str | None
        if name in ("cache", "linux_cache"):
            known = bool(self.environ.get("SAFEPIP_CACHE_DIR")) or _LINUX  # without platformdirs
            if name == "linux_cache" and not known:
                self.linux_cache = None
                return None
            self.cache = cache_dir(self.environ)
            # Both at once: whichever is asked later is then a plain attribute, no call.
            self.linux_cache = self.cache if known else None
            return self.cache if name == "cache" else self.linux_cache
        if name == "config_file":
            value = user_config_file(self.environ)
        else:
            raise AttributeError(name)
        setattr(self, name, value)
        return value


def root_own_dir(kind: str) -> str:
    """root's own cache (or config, data, bin) directory, from its home in the password database."""
    import pwd

    if kind == "bin":
        return os.path.join(pwd.getpwuid(0).pw_dir, ".local", "bin")
    _, fallback = _XDG[kind]
    return os.path.join(pwd.getpwuid(0).pw_dir, fallback[2:], "safepip")


def config_dir(environ: Mapping[str, str]) -> str:
    """The user configuration file's directory. As root, one that root could not trust
    (another user's, as with ``sudo -E``) is not read: it could name an interpreter, or
    trust every directory. root's own is used instead.
    """
    chosen = _dir(environ, "SAFEPIP_CONFIG_DIR", "config")
    if _POSIX and os.geteuid() == 0:
        why = _root_problem(chosen)
        if why is not None:
            from safepip.safefs import warn

            own = root_own_dir("config")
            if os.path.isfile(os.path.join(chosen, "config.toml")):
                warn(f"not reading {os.path.join(chosen, 'config.toml')}: {why}; root reads only its own, {own}")
            return own
    return chosen


def data_dir(environ: Mapping[str, str]) -> str:
    """Per-user environments, shell-init's launchers and safepip's own installation. As
    root, one that root could not trust (another user's, as with ``sudo -E``) is not used:
    root's own is, so that root leaves no root-owned files in the user's HOME.
    """
    return _roots_own(_dir(environ, "SAFEPIP_DATA_DIR", "data"), "data")


def _roots_own(chosen: str, kind: str) -> str:
    """``chosen``, or as root root's own directory of ``kind`` when root could not trust it."""
    if _POSIX and os.geteuid() == 0 and _root_problem(chosen) is not None:
        return root_own_dir(kind)
    return chosen


def virtualenv_app_data(environ: Mapping[str, str]) -> str | None:
    """As root, when virtualenv's own app-data directory (``VIRTUALENV_OVERRIDE_APP_DATA``,
    else ``~/.cache/virtualenv``) is one root could not trust (another user's HOME): root's
    own, so that root neither writes there nor seeds its environments from a pip another
    user could have replaced. None: virtualenv's own choice is fine.
    """
    if not (_POSIX and os.geteuid() == 0):
        return None
    chosen = environ.get("VIRTUALENV_OVERRIDE_APP_DATA", "").strip()
    if not chosen:
        base = environ.get("XDG_CACHE_HOME", "")
        chosen = os.path.join(base if base.strip() else os.path.expanduser("~/.cache"), "virtualenv")
    if _root_problem(os.path.abspath(chosen)) is None:
        return None
    return os.path.join(os.path.dirname(root_own_dir("cache")), "virtualenv")  # beside root's safepip cache


def own_dirs(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Every directory safepip keeps its own files in (cache, configuration, data, and the
    XDG state directory), as chosen and, as root, root's own as well: no project may place
    its environment in or over one of them.
    """
    found = [_dir(environ, variable, kind) for variable, kind in
             (("SAFEPIP_CACHE_DIR", "cache"), ("SAFEPIP_CONFIG_DIR", "config"), ("SAFEPIP_DATA_DIR", "data"))]
    state = os.environ.get("XDG_STATE_HOME", "")  # the XDG rule, as for the others
    found.append(os.path.join(state if state.strip() else os.path.expanduser("~/.local/state"), "safepip"))
    if _POSIX and os.geteuid() == 0:
        found.extend(root_own_dir(kind) for kind in ("cache", "config", "data"))
    return tuple(dict.fromkeys(found))


def user_config_file(environ: Mapping[str, str]) -> str:
    """The user configuration file (``config.toml``)."""
    return os.path.join(config_dir(environ), "config.toml")


def bin_dir(environ: Mapping[str, str]) -> str:
    """The user's bin directory, where ``self-install`` puts the ``safepip`` launcher (as
    root, never one in another user's HOME: root's own ``~/.local/bin`` instead).
    """
    for variable in ("SAFEPIP_BIN_DIR", "XDG_BIN_HOME"):
        value = environ.get(variable)
        if value and os.path.isabs(os.path.expanduser(value)):
            return _roots_own(os.path.abspath(os.path.expanduser(value)), "bin")
    return _roots_own(os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".local", "bin"), "bin")


def on_path(directory: str, environ: Mapping[str, str]) -> bool:
    """Whether ``directory`` is one of the entries of ``environ``'s PATH (``os.defpath`` when
    it is unset), compared as real paths. Entries are taken as written, as ``exec`` and
    ``shutil.which`` take them (no ``~`` expansion).
    """
    wanted = os.path.realpath(directory)
    return any(e and os.path.realpath(e) == wanted for e in environ.get("PATH", os.defpath).split(os.pathsep))


def user_env_dir(environ: Mapping[str, str], version: tuple[int, ...]) -> str:
    """The per-user environment for a target interpreter's ``major.minor`` version."""
    return os.path.join(data_dir(environ), "envs", f"py{version[0]}.{version[1]}")


def existing_owner(path: str) -> int | None:
    """The uid owning ``path``, or its nearest existing parent (None where there are no uids)."""
    current = os.path.abspath(path)
    while True:
        try:
            return os.stat(current).st_uid
        except FileNotFoundError:
            parent = os.path.dirname(current)
            if parent == current:
                return None
            current = parent
        except OSError:
            return None
