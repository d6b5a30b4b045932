"""Bad input, table-driven: one clear message, the documented exit code, no traceback, and
nothing changed outside the project (failures leave the project as it was, too).

"Outside the project" is everything in the test's tmp_path except the project and the cache
directory (safepip's probe cache and pip's own cache are caches). Cases that need another
user, a read-only or full file system, or a process without root's override of file
permissions make them for themselves: the suite runs as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest

from helpers import SAFEPIP, SYSTEM_STDLIB, SYSTEM_XY, installed, needs_managed, offline, safepip_env

pytestmark = [needs_managed]

PYTHON2 = "/root/.pyenv/versions/2.7.18/bin/python"
HOSTILE_NAME = "'\";&&e-$ èрт🚒"
#: Run as root without the power to ignore file permissions (as any other user would).
NO_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


@dataclass
class Setup:
    """What a case prepared: where to run, extra argv/env, a command prefix, cleanups."""

    root: Path
    wheels: Path
    tmp: Path
    cwd: Path
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    prefix: list[str] = field(default_factory=list)
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    other_user: tuple[str, int, int] = ("", 0, 0)
    config_home: Path = Path()


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, the exit code, and what the one line must say."""

    id: str
    make: Callable[[Setup], None]
    code: int
    says: str
    kind: str = "error"  # "error": one safepip error line; "ok": works, with this warning or notice; "pip": pip's own


def _pyproject(text: str | bytes) -> Callable[[Setup], None]:
    def make(s: Setup) -> None:
        path = s.root / "pyproject.toml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    return make


def _user_config(text: str) -> Callable[[Setup], None]:
    def make(s: Setup) -> None:
        path = s.config_home / "safepip" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    return make


def _env(**values: str) -> Callable[[Setup], None]:
    def make(s: Setup) -> None:
        s.env.update(values)

    return make


def _argv(*args: str) -> Callable[[Setup], None]:
    def make(s: Setup) -> None:
        s.argv[:0] = list(args)

    return make


def _requirement(text: str) -> Callable[[Setup], None]:
    def make(s: Setup) -> None:
        s.argv = ["install", *offline(s.wheels), text]

    return make


def _python(spec: Callable[[Setup], str]) -> Callable[[Setup], None]:
    def make(s: Setup) -> None:
        s.argv[:0] = ["--python", spec(s)]

    return make


def _not_python(s: Setup) -> str:
    script = s.tmp / "fakepython"
    script.write_text("#!/bin/sh\necho 'I am not Python'\n")
    script.chmod(0o755)
    return str(script)


def _venv_file(s: Setup) -> None:
    (s.root / ".venv").write_text("not an environment\n")


def _venv_dangling(s: Setup) -> None:
    (s.root / ".venv").symlink_to(s.tmp / "gone")


def _venv_other_users(s: Setup) -> None:
    theirs = s.tmp / "theirs-env"
    (theirs / "bin").mkdir(parents=True)
    (theirs / "pyvenv.cfg").write_text("home = /usr/bin\n")
    os.symlink("/usr/bin/python3", theirs / "bin" / "python")
    for path in (theirs, theirs / "bin", theirs / "pyvenv.cfg"):
        os.chown(path, s.other_user[1], s.other_user[2], follow_symlinks=False)
    (s.root / ".venv").symlink_to(theirs)


def _venv_link(target: str) -> Callable[[Setup], None]:
    def make(s: Setup) -> None:
        (s.root / ".venv").symlink_to(target)

    return make


def _venv_user_files(s: Setup) -> None:
    (s.root / ".venv").mkdir()
    (s.root / ".venv" / "notes.txt").write_text("mine\n")


def _unwritable(s: Setup) -> None:
    s.root.chmod(0o555)
    s.prefix = NO_OVERRIDE
    s.cleanups.append(lambda: s.root.chmod(0o755))


def _mount_tmpfs(s: Setup, options: str) -> Path:
    mount = s.tmp / "mnt"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], check=True)

    def unmount() -> None:
        subprocess.run(["umount", "-l", str(mount)], check=True)

    s.cleanups.append(unmount)
    return mount


def _move_project(s: Setup, where: Path) -> None:
    shutil.copytree(s.root, where / s.root.name)
    shutil.rmtree(s.root)
    s.root = where / s.root.name
    s.cwd = s.root


def _read_only(s: Setup) -> None:
    mount = _mount_tmpfs(s, "size=4m,mode=0755")
    _move_project(s, mount)
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)


def _full_disk(s: Setup) -> None:
    mount = _mount_tmpfs(s, "size=1m,mode=0755")
    _move_project(s, mount)


def _cwd_deleted(s: Setup) -> None:
    gone = s.tmp / "scratch" / "gone"  # scratch/ is left out of the snapshots
    gone.mkdir(parents=True)
    s.cwd = gone
    # The shell enters the directory, deletes it, then becomes safepip there.
    s.prefix = ["sh", "-c", 'rmdir "$PWD" && exec "$0" "$@"']


def _hostile_name(s: Setup) -> None:
    _move_project(s, s.tmp / HOSTILE_NAME)


def _lock_dir_is_a_file(s: Setup) -> None:
    blocker = s.tmp / "cache-is-a-file"
    blocker.write_text("")
    s.env["SAFEPIP_CACHE_DIR"] = str(blocker)
    s.env["SAFEPIP_NO_PROBE_CACHE"] = "1"


def _fake_python(s: Setup, marker: bytes | None, mode: int = 0o644) -> None:
    """A non-venv Python whose stdlib directory is ours: the system python3 binary copied
    into a tree that links Debian's stdlib file by file, with our own EXTERNALLY-MANAGED."""
    tree = s.tmp / "fakepy"
    stdlib = tree / "lib" / f"python{SYSTEM_XY}"
    stdlib.mkdir(parents=True)
    (tree / "bin").mkdir()
    shutil.copy2(os.path.realpath("/usr/bin/python3"), tree / "bin" / f"python{SYSTEM_XY}")
    (tree / "bin" / "python3").symlink_to(f"python{SYSTEM_XY}")
    for entry in os.scandir(SYSTEM_STDLIB):
        if entry.name != "EXTERNALLY-MANAGED":
            (stdlib / entry.name).symlink_to(entry.path)
    if marker is not None:
        (stdlib / "EXTERNALLY-MANAGED").write_bytes(marker)
        (stdlib / "EXTERNALLY-MANAGED").chmod(mode)
    s.env["PATH"] = f"{tree / 'bin'}:/usr/bin:/bin"


def _marker(content: bytes, mode: int = 0o644, no_override: bool = False) -> Callable[[Setup], None]:
    def make(s: Setup) -> None:
        _fake_python(s, content, mode)
        if no_override:
            s.prefix = NO_OVERRIDE

    return make


MANAGED_BY_FAKE = "fakepy/bin/python3 is externally managed"

CASES = [
    Case("pyproject-malformed", _pyproject('[project]\nname = "p"\n[tool.safepip\nvenv = "e"\n'), 78,
         "pyproject.toml, line 3, column 14: not valid TOML"),
    Case("pyproject-not-utf8", _pyproject(b"[tool.safepip]\nvenv = '\xff\xfe'\n"), 78, "pyproject.toml: cannot be read"),
    Case("tool-safepip-not-a-table", _pyproject('[tool]\nsafepip = "yes"\n'), 78, "[tool.safepip] must be a table, not str"),
    Case("tool-safepip-array", _pyproject("[[tool.safepip]]\nvenv = 'e'\n"), 78, "[tool.safepip] must be a table, not list"),
    Case("unknown-key", _pyproject('[tool.safepip]\nvenvv = "e"\n'), 78,
         "pyproject.toml, line 2: unknown key 'venvv' (did you mean 'venv'?)"),
    Case("bad-choice", _pyproject('[tool.safepip]\npolicy = "sometimes"\n'), 78,
         "policy = 'sometimes' is not allowed; use \"auto\" | \"always\" | \"never\""),
    Case("wrong-type", _pyproject("[tool.safepip]\nquiet = 'yes'\n"), 78, "quiet = 'yes' is not allowed; use true | false"),
    Case("project-sets-trusted", _pyproject("[tool.safepip]\ntrusted = ['/']\n"), 78,
         "trusted can only be set in the user configuration file"),
    Case("user-config-malformed", _user_config("policy = \n"), 78, "config.toml, line 1, column 10: not valid TOML"),
    Case("user-config-unknown-key", _user_config('polcy = "auto"\n'), 78, "config.toml, line 1: unknown key 'polcy'"),
    Case("env-bad-policy", _env(SAFEPIP_POLICY="sometimes"), 78, "SAFEPIP_POLICY: policy = 'sometimes' is not allowed"),
    Case("env-bad-quiet", _env(SAFEPIP_QUIET="maybe"), 78, "SAFEPIP_QUIET='maybe' is not allowed; use 1 or 0"),
    Case("unknown-safepip-flag", _argv("--safepip-bogus=1"), 78, "--safepip-bogus=1: unknown safepip flag"),
    Case("python-names-nothing", _python(lambda s: str(s.tmp / "no" / "python")), 69, "no such file"),
    Case("python-command-not-found", _python(lambda s: "python9.99"), 69, "--python python9.99: no such command on PATH"),
    Case("python-is-a-directory", _python(lambda s: str(s.tmp)), 69, "a directory without an interpreter in it"),
    Case("python-not-python", _python(_not_python), 69, "is not a working Python interpreter"),
    Case("python-2", _python(lambda s: PYTHON2), 69, "is Python 2.7.18; safepip drives CPython 3.8 or newer"),
    Case("virtual-env-gone", _env(VIRTUAL_ENV="/nonexistent/env"), 69,
         "VIRTUAL_ENV=/nonexistent/env names an environment without a working interpreter"),
    Case("venv-is-a-file", _venv_file, 73, ".venv is a file, not a virtual environment"),
    Case("venv-dangling-symlink", _venv_dangling, 73, ".venv is a symbolic link to"),
    Case("venv-symlink-to-another-user", _venv_other_users, 77, "is owned by"),
    Case("venv-links-to-the-project", _venv_link("."), 73, ".venv is a symbolic link to ., which holds"),
    Case("venv-links-above-the-project", _venv_link(".."), 73, ".venv is a symbolic link to .., which holds"),
    Case("venv-holds-user-files", _venv_user_files, 73, "is not a virtual environment (no pyvenv.cfg) and holds files"),
    Case("project-unwritable", _unwritable, 73, "is not writable by you"),
    Case("read-only-file-system", _read_only, 73, "is on a read-only file system"),
    Case("disk-full", _full_disk, 73, "No space left on device"),
    Case("cwd-deleted", _cwd_deleted, 69, "the working directory no longer exists"),
    Case("lock-directory-impossible", _lock_dir_is_a_file, 77, "cannot create the lock directory"),
    Case("requirement-pip-rejects", _requirement("lib-a>>>1"), 1, "Invalid requirement: 'lib-a>>>1'", kind="pip"),
    Case("hostile-path-name", _hostile_name, 0, "(created)", kind="ok"),
    Case("marker-empty", _marker(b""), 0, MANAGED_BY_FAKE, kind="ok"),
    Case("marker-without-section", _marker(b"[something-else]\nError = no\n"), 0, MANAGED_BY_FAKE, kind="ok"),
    Case("marker-binary", _marker(b"\x00\xff\xfe\x89PNG\r\n"), 0, "cannot be read (UnicodeDecodeError", kind="ok"),
    Case("marker-unreadable", _marker(b"[externally-managed]\nError = x\n", 0o000, no_override=True), 0,
         "cannot be read (PermissionError", kind="ok"),
]


def _snapshot(top: Path, skip: list[Path]) -> dict[str, tuple[int, int, int]]:
    seen: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in skip and not os.path.ismount(here / d)]
        for name in filenames + dirnames:
            st = os.lstat(here / name)
            seen[str(here / name)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return seen


@pytest.fixture
def setup(project: Path, wheelhouse: Path, tmp_path: Path, hermetic: dict[str, str],
          other_user: tuple[str, int, int]) -> Iterator[Setup]:
    s = Setup(project, wheelhouse, tmp_path, project / "src", argv=["install", *offline(wheelhouse), "lib-a"],
              other_user=other_user, config_home=Path(hermetic["XDG_CONFIG_HOME"]))
    yield s
    for cleanup in reversed(s.cleanups):
        cleanup()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, setup: Setup, hermetic: dict[str, str]) -> None:
    s = setup
    case.make(s)
    cache = Path(hermetic["XDG_CACHE_HOME"])
    data = Path(hermetic["XDG_DATA_HOME"])
    skip = [s.root, cache, s.tmp / "scratch", data]  # data: below, nothing but safepip's record key
    outside_before = _snapshot(s.tmp, skip)
    project_before = _snapshot(s.root, [])
    done = subprocess.run(
        [*s.prefix, SAFEPIP, *s.argv], cwd=s.cwd if s.cwd.exists() else s.root, env=safepip_env(**s.env),
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == case.code, done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("safepip:")]
    if case.kind == "error":
        assert len(ours) == 1, done.stderr
        assert ours[0].startswith("safepip: error: "), done.stderr
        assert case.says in ours[0], done.stderr
        assert _snapshot(s.root, []) == project_before  # nothing half-done in the project either
    elif case.kind == "pip":
        assert case.says in done.stderr  # pip's own message, passed through
        assert not any(line.startswith("safepip: error") for line in ours)
    else:
        assert any(case.says in line for line in ours), done.stderr
        assert not any(line.startswith("safepip: error") for line in ours)
        assert installed(s.root / ".venv")["lib-a"] == "1.0"
    assert _snapshot(s.tmp, skip) == outside_before
    made = sorted(p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()) if data.exists() else []
    assert made in ([], ["safepip/records.key"]), made  # made before an environment is (signing its state file)


def test_at_least_25_cases() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)
