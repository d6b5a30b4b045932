"""Interpreters that came with a repository run only after ``safepip trust``.

Owning a clone does not make its contents yours: ``git clone`` gives you the files of
whoever wrote the repository, and ``pip list`` in a clone has never run any of them. So an
interpreter that belongs to the project is run only when the user made it, or trusted it
once with ``safepip trust``:

- an interpreter named by the project's own ``[tool.safepip] python`` that lies inside the
  project (outside a virtual environment the user made there);
- a virtual environment of the project that is committed to git (``git ls-files`` lists
  its ``pyvenv.cfg`` or its ``bin/python``), or whose ``pyvenv.cfg`` names no ``home`` or a
  ``home`` inside the project.

Everything else (``python3 -m venv .venv``, virtualenv, poetry, uv, safepip's own: a
``pyvenv.cfg`` naming an interpreter outside the project, not committed) is the user's, as
before. ``safepip trust`` records the interpreter's path and identity (every link on the
way to the executable, and ``pyvenv.cfg``) in the user configuration file; a changed
interpreter needs trusting again.
"""

from __future__ import annotations

import os

from safepip.runner import capture
from safepip.venv.layout import bin_python, cfg_home, venv_of

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping, Sequence

    from safepip.facts.trust import Untrusted

#: Bumped when what an identity covers changes (old records then ask for trust again).
IDENTITY_FORMAT = 1


def _inside(path: str, root: str) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _hops(python: str) -> list[str]:
    """``python`` and every link on the way to the real executable."""
    hops = [os.path.abspath(python)]
    for _ in range(40):
        if not os.path.islink(hops[-1]):
            break
        hops.append(os.path.normpath(os.path.join(os.path.dirname(hops[-1]), os.readlink(hops[-1]))))
    return hops


def identity(python: str) -> str:
    """What must stay the same for a trust record to hold: each link and the executable
    (device, inode, owner, mode, size, modification time) and the environment's
    ``pyvenv.cfg`` (its content), as ``sha256:HEX``.
    """
    from safepip.facts.interpreter import sha256_hex  # not hashlib: loading OpenSSL is a few ms of the call

    parts = [f"{IDENTITY_FORMAT}\0".encode()]  # hashed at once: the same digest as updates in order
    for hop in _hops(python):
        fields: tuple[int, ...] = ()
        try:
            st = os.lstat(hop)
            fields = (st.st_dev, st.st_ino, st.st_uid, st.st_mode, st.st_size, st.st_mtime_ns)
        except OSError:
            pass
        parts.append(f"{hop}\0{fields}\0".encode("utf-8", "surrogateescape"))
    env = venv_of(python)
    if env is not None:
        try:
            with open(os.path.join(env, "pyvenv.cfg"), "rb") as handle:
                parts.append(handle.read())
        except OSError:
            pass
    return "sha256:" + sha256_hex(b"".join(parts))


def _git_top(start: str) -> str | None:
    current = os.path.abspath(start)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def committed(paths: list[str]) -> list[str]:
    """Those of ``paths`` that git tracks (``git ls-files``); none when there is no
    repository around them or no git to ask.
    """
    if not paths:
        return []
    top = _git_top(os.path.dirname(paths[0]))
    if top is None:
        return []
    rel = [os.path.relpath(p, top) for p in paths]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    # Only the index is read; the repository's own settings must not run anything.
    argv = ["git", "-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-C", top, "ls-files", "-z", "--", *rel]
    import subprocess  # here: only this question starts a process

    try:
        done = capture(argv, env, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    # The runner decodes output as text (undecodable bytes replaced, line ends made "\n"):
    # our names are compared in the same form, so a name that does not decode cleanly can
    # only look tracked (trust asked), never untracked.
    listed = {os.path.normpath(n) for n in done.stdout.split("\0") if n}
    return [p for p, r in zip(paths, rel) if os.path.normpath(_as_output(r)) in listed]


def _as_output(name: str) -> str:
    """``name`` as it reads in the runner's text output."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def env_reason(env_dir: str, root: str, python: str | None = None) -> str | None:
    """Why the project's environment ``env_dir`` is the repository's rather than the
    user's (None: the user made it). ``python``: its interpreter, when the caller has it.
    """
    cfg = os.path.join(env_dir, "pyvenv.cfg")
    tracked = committed([cfg, python or bin_python(env_dir)])
    if tracked:
        return f"{tracked[0]} is committed in git"
    home = cfg_home(env_dir)
    if home is None:
        return f"{cfg} names no home interpreter"
    if _inside(home, root):
        return f"{cfg} names home = {home}, inside the project"
    return None


def interpreter_reason(python: str, root: str) -> str | None:
    """Why ``python``, named by the project's configuration, is the repository's (None: it
    is an interpreter outside the project, or in an environment the user made there).
    """
    inside = [hop for hop in _hops(python) if _inside(hop, root)]
    if not inside:
        return None
    env = venv_of(python)
    if env is not None and _inside(env, root) and env_reason(env, root) is None:
        return None
    return f"{inside[-1]} is inside the project"


def trusted(python: str, records: Mapping[str, str]) -> bool | None:
    """True when the user trusted ``python`` as it is now, False when they trusted it but
    it changed since, None when they never did.
    """
    recorded = records.get(os.path.abspath(python))
    if recorded is None:
        return None
    return recorded == identity(python)


def refusal(python: str, reason: str | None, root: str, trusted_dirs: Sequence[str],
            records: Mapping[str, str]) -> Untrusted | None:
    """Why safepip must not run ``python``, which came with the repository at ``root``
    (``reason`` says how; None: it did not), or None when the user trusted it as it is now.
    """
    if reason is None:
        return None
    from safepip.facts.trust import Untrusted, is_trusted

    if is_trusted(root, trusted_dirs):
        return None
    state = trusted(python, records)
    if state:
        return None
    command = f"safepip trust {root}"
    if state is False:
        why = f"{python} changed since you trusted it ({reason})"
        return Untrusted("interpreter", python, why, command, f"{why}; look at it, then: {command}", python)
    message = (
        f"{reason}: safepip will not run an interpreter that came with the repository until you "
        f"trust it; look at it, then: {command}"
    )
    return Untrusted("interpreter", python, reason, command, message, python)
