"""The state file safepip writes into the environments it makes (``.safepip.json``), and
why an existing environment cannot be used as it is.

``creating`` before virtualenv runs, ``complete`` once the environment is whole,
``restoring`` while a rebuild puts back what the old tree held (see :mod:`safepip.venv.rebuild`).
Each carries the proof that this user's safepip wrote it for this directory
(:mod:`safepip.venv.records`): a state file without one is not safepip's, whatever it says.
"""

from __future__ import annotations

import os

from safepip.venv.layout import bin_python, cfg_lines

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any

STATE_FILE = ".safepip.json"
CREATING = "creating"
COMPLETE = "complete"
#: A rebuild moved the old tree aside and has not yet put everything back (see rebuild.py).
RESTORING = "restoring"


def _record(env_dir: str) -> dict[str, Any] | None:
    """The environment's state file, when this user's safepip wrote it for this directory
    (see :mod:`safepip.venv.records`); anything else found there is ignored, and said once.
    """
    from safepip.venv import records

    return records.load(records.STATE, env_dir, os.path.join(env_dir, STATE_FILE))


def state(env_dir: str) -> str | None:
    """``creating``, ``complete`` or ``restoring`` for environments safepip made, None for
    others (no state file, or one safepip did not write: a repository can commit any).
    """
    data = _record(env_dir)
    if data is None:
        return None
    value = data.get("state")
    return str(value) if value in (CREATING, COMPLETE, RESTORING) else None


def restoring_from(env_dir: str) -> str | None:
    """The old tree a rebuild in progress restores from (its state file says)."""
    data = _record(env_dir)
    old = data.get("old") if data is not None else None
    return old if isinstance(old, str) else None


def own_files_only(env_dir: str) -> bool:
    """Whether a directory holds nothing but safepip's state file (or its temporary copies,
    left by a process killed while writing it).
    """
    try:
        return all(name.startswith((STATE_FILE, ".safepip-rebuild.json")) for name in os.listdir(env_dir))
    except OSError:
        return False


def write_state(env_dir: str, value: str, base_python: str, old: str | None = None) -> None:
    """Write the state file atomically (and the old tree a rebuild restores from)."""
    import json  # here: reading a state file needs no json module (safepip.venv.records)

    from safepip import __version__
    from safepip.paths import replace_file
    from safepip.venv import records

    data = {"state": value, "safepip": __version__, "python": base_python, **({"old": old} if old else {})}
    data = records.sign(records.STATE, env_dir, data)
    # A file of the environment: 0644 whatever the umask, as the rest of it.
    replace_file(os.path.join(env_dir, STATE_FILE), json.dumps(data).encode("utf-8"), mode=0o644, exact_mode=True,
                 durable=True)


def problem(env_dir: str) -> str | None:
    """Why an existing environment cannot be used as it is, or None when it looks whole."""
    current = state(env_dir)
    if current == CREATING:
        return "its creation was interrupted"
    if current == RESTORING:
        return "its rebuild was interrupted"
    python = bin_python(env_dir)
    if not os.path.exists(python):
        return f"its interpreter {_missing(python)} no longer exists"
    return _version_changed(env_dir, python)


def _missing(python: str) -> str:
    """The path that is gone on the way from ``python`` along its links (absolute: a
    relative link such as venv's ``python -> python3`` is named by where it points).
    """
    current = python
    for _ in range(40):  # the kernel's own limit on links followed
        if not os.path.islink(current):
            break
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return current


def _version_changed(env_dir: str, python: str) -> str | None:
    """Why the environment's interpreter is now another minor version than the one it was
    made with, or None. Read without running it: the name its link resolves to
    (``python3.12``) against ``pyvenv.cfg``'s version.
    """
    name = os.path.basename(os.path.realpath(python))
    found = _major_minor(name[len("python"):], whole=True) if name.startswith("python") else None
    if found is None:
        return None
    try:
        lines = cfg_lines(env_dir)
    except OSError:
        return None
    versions = (_major_minor(value, whole=False) for key, value in lines if key in ("version", "version_info"))
    made = next((v for v in versions if v is not None), None)
    if made is None or made == found:
        return None
    return f"it was made with Python {'.'.join(made)} and its interpreter is now Python {'.'.join(found)}"


def _major_minor(text: str, *, whole: bool) -> tuple[str, str] | None:
    """``X.Y`` (runs of digits, as re's ``\\d+``) at the start of ``text``, or all of it with
    ``whole``; None when it is not there. String methods: re costs ms to import, and this
    runs on every use of an environment.
    """
    major, dot, rest = text.partition(".")
    if not dot or not major.isdecimal():
        return None
    if whole:
        return (major, rest) if rest.isdecimal() else None
    end = 0
    while end < len(rest) and rest[end].isdecimal():
        end += 1
    return (major, rest[:end]) if end else None
