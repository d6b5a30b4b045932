"""The python shims' remembered answers: which interpreter ``python3`` runs in a directory,
with the tests that say it still holds, in the shell's own terms.

A memo is a file of ``sh`` code that the shim (:func:`safepip.act.shims.python_shim_text`)
reads with ``.`` when it is its user's own regular file. It is one chain of ``test``
builtins ending in the answer: nothing is started, so the shim costs about one ``sh``
start. The chain checks

* that ``$PWD`` is still the directory the answer was made in (``-ef``: same device and
  inode, whatever links the logical path goes through);
* every environment variable the decision reads (PATH, HOME, the active environments,
  safepip's and pip's variables...), unset ones included;
* every path the decision read (:attr:`safepip.commands.activation_env.Activation.reads`, the
  PATH directories, the interpreter chosen): one that existed still exists and is not newer
  than the memo, one that did not still does not; a directory the trust rules looked at and
  that is the user's own is still the user's.

The memo's modification time is set two seconds back, and nothing is remembered while any
of those paths changed in the last two seconds (git's "racy clean" rule): a change made
after the memo was written is always newer than it, even on a file system that keeps whole
seconds. Only safepip writes memos, into private directories of the user's cache
(:func:`safepip.paths.write`).

The same tests can be written as fish code (``fish=True``), for fish's activation hook
(:mod:`safepip.commands.shellhooks`), which reads them with ``source``: one ``test``
builtin per line, each after ``and``.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Iterable, Mapping

#: A memo's name in a directory's memo directory (``act.shims.MEMO_NAME``, spelled here so that the
#: front door writes activation's memo without importing the launchers' module; a test holds them equal).
MEMO_NAME = "@{name}"
#: What a shell word may hold unquoted (``shlex.quote``'s set: ``shlex`` imports ``re``).
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")


def sh_quote(text: str) -> str:
    """``text`` as one ``sh`` word, as ``shlex.quote`` writes it."""
    if text and _SAFE.issuperset(text):  # one C loop (a memo quotes dozens of paths and values)
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"

#: Variables every answer depends on, set or not (besides every PIP_* and SAFEPIP_* that is set).
WATCHED = (
    "PATH", "HOME", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "SAFEPIP_ACTIVATED",
    "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
    "XDG_CONFIG_DIRS", "SUDO_UID", "SUDO_USER", "SUDO_GID", "PYENV_VERSION", "PYENV_ROOT", "PYENV_DIR",
    "SAFEPIP_PYTHON", "SAFEPIP_POLICY", "SAFEPIP_OUTSIDE", "SAFEPIP_APPS", "SAFEPIP_VENV", "SAFEPIP_CONFIG_DIR",
    "SAFEPIP_DATA_DIR", "SAFEPIP_CACHE_DIR", "SAFEPIP_ALLOW_ROOT", "SAFEPIP_NO_PROBE_CACHE",
    "PIP_PYTHON", "PIP_CONFIG_FILE", "PIP_ISOLATED", "PIP_BREAK_SYSTEM_PACKAGES", "PIP_TARGET", "PIP_PREFIX",
    "PIP_ROOT", "PIP_REQUIRE_VIRTUALENV",
)
#: Signatures changed more recently than this (seconds) are not trusted yet.
RACY = 2.0


def memo_path(root: str, key: str, name: str) -> str:
    """The memo of ``name`` for the directory ``key`` (the shim's ``$PWD``), as the shim spells it."""
    return root + key + "/" + MEMO_NAME.format(name=name)


def _variables(environ: Mapping[str, str], fish: bool) -> list[str]:
    from safepip.facts.toolvars import VARIABLES  # where the project's tools keep its environment

    names = set(WATCHED) | set(VARIABLES) | {k for k in environ if k.startswith(("PIP_", "SAFEPIP_"))}
    tests = []
    for name in sorted(names):
        if not name.replace("_", "").isalnum():
            continue  # not a name the shell can spell: nothing safepip reads
        if fish:  # fish joins a PATH-like list with ':' in "$X", as the variable came from the environment
            if name in environ:
                tests.append(f'set -q {name}; and test "x${name}" = {fish_quote("x" + environ[name])}')
            else:
                tests.append(f"not set -q {name}")
        elif name in environ:  # ${X+x${X}}: no expansion of an unset X (a shell with `set -u` reads memos too)
            tests.append(f'[ "${{{name}+x${{{name}}}}}" = {sh_quote("x" + environ[name])} ]')
        else:
            tests.append(f'[ -z "${{{name}+x}}" ]')
    return tests


def fish_quote(text: str) -> str:
    """``text`` as one fish word."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _stat(path: str, known: Mapping[str, tuple[int, ...] | None], *, owner_only: bool = False) -> tuple[int, int] | None:
    """``path``'s owner and modification time (None: absent), from ``known`` when it holds the
    signature a caller has just checked (:func:`safepip.remembered.store.signature`: the owner
    fourth, the modification time sixth in a whole one; None for an absent path), else from
    ``os.stat``. ``owner_only``: only the owner is wanted (the time is then 0).
    """
    if path in known:
        sig = known[path]
        if sig is None:
            return None
        if owner_only or len(sig) == 7:
            return sig[3], sig[5] if len(sig) == 7 else 0
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_uid, st.st_mtime_ns


def text(cwd: str, environ: Mapping[str, str], paths: Iterable[str], owned: Iterable[str],
         python: str | None, *, fish: bool = False, known: Mapping[str, tuple[int, ...] | None] | None = None) -> str | None:
    """The memo: tests, then the answer (``python``; None: no such command), as ``sh`` code
    (as fish code with ``fish``). None when a path changed too recently to be remembered.
    ``known``: signatures the caller checked a moment ago, by path (not read again).
    """
    horizon = time.time_ns() - int(RACY * 1e9)
    known = known or {}
    quote = fish_quote if fish else sh_quote
    memo = "$_safepip_memo" if fish else '"$_safepip_memo"'
    tests = [f'{"test" if fish else "["} "$PWD" -ef {quote(cwd)}{"" if fish else " ]"}', *_variables(environ, fish)]
    for path in dict.fromkeys(os.path.abspath(p) for p in paths):
        quoted = quote(path)
        found = _stat(path, known)
        if found is None:
            tests.append(f"test ! -e {quoted}; and test ! -L {quoted}" if fish else
                         f"[ ! -e {quoted} ] && [ ! -L {quoted} ]")
            continue
        if found[1] > horizon:
            return None
        tests.append(f"test -e {quoted}; and not test {quoted} -nt {memo}" if fish else
                     f"[ -e {quoted} ] && ! [ {quoted} -nt {memo} ]")
    euid = os.geteuid()
    for path in dict.fromkeys(owned):
        found = _stat(path, known, owner_only=True)
        if found is not None and found[0] == euid:
            tests.append(f"test -O {quote(path)}" if fish else f"[ -O {quote(path)} ]")
    answer = quote(python) if python else "''"
    head = "# safepip: which interpreter the python shims run here; safepip rewrites it.\n"
    if fish:
        body = "\nand ".join(tests)
        return f"{head}{body}\nand set _safepip_py {answer}\nand set _safepip_ok 1\n"
    body = " &&\n  ".join(tests)
    return f"{head}{body} &&\n  _safepip_py={answer} && _safepip_ok=1\n"


def remember(root: str, key: str, name: str, cwd: str, environ: Mapping[str, str], paths: Iterable[str],
             owned: Iterable[str], python: str | None, *, fish: bool = False,
             known: Mapping[str, tuple[int, ...] | None] | None = None) -> bool:
    """Write the memo of ``name`` for the directory ``key``; return whether it was written
    (not when a path changed too recently, ``key`` is not the working directory spelled
    plainly, or the cache cannot be written privately). ``known``: see :func:`text`.
    """
    if not key.startswith("/") or "\n" in key or (key != "/" and os.path.normpath(key) != key):
        return False
    try:
        if not os.path.samefile(key, cwd):
            return False
    except OSError:
        return False
    base = os.path.dirname(root)
    owner = _owner(base)
    if owner is not None and owner != os.geteuid():
        return False  # root with a user's shims: root writes nothing into the user's cache
    memo = text(cwd, environ, paths, owned, python, fish=fish, known=known)
    if memo is None:
        return False
    target = memo_path(root, key, name)
    from safepip.paths import write

    if not write(target, memo.encode("utf-8", "surrogateescape"), base):
        return False
    back = time.time_ns() - int(RACY * 1e9)
    try:
        os.utime(target, ns=(back, back))
    except OSError:
        return False
    return True


def _owner(path: str) -> int | None:
    from safepip.facts.walkup import existing_owner

    return existing_owner(path)
