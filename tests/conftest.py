"""Shared fixtures: a hermetic environment for every test, wheels, and running safepip.

Every test gets HOME, the XDG directories (XDG_CONFIG_DIRS too, where pip looks for its
machine-wide pip.conf) and safepip's own directories inside its tmp_path, a PIP_CONFIG_FILE
of its own (absent until a test writes it), no PIP_* settings from the machine, and no active environment: a test
that needs a pip setting writes it. The one pip configuration source that cannot be moved is
``/etc/pip.conf`` (pip always reads it unless PIP_CONFIG_FILE is os.devnull); the tests
honour whatever it holds, as users' machines do. The session checks that the system
Python's site-packages are the same at the end as at the start.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Iterator

import pytest

from helpers import SYSTEM_SITE_DIRS, SYSTEM_XY
from inprocess import Cli
from processguard import no_process
from wheels import make_wheel

#: Fixtures shared by an in-process test module and its twin that starts processes.
pytest_plugins = ["configured", "frontexec", "handmade", "outsidedirs", "wheelindex"]

# The signal tests interrupt this process and the safepip processes it starts, and expect
# Ctrl-C's behaviour. A shell without job control that starts the suite in the background
# (`cmd &` in a script, nohup) leaves SIGINT ignored, and an ignored signal stays ignored
# through fork and exec: Python then never raises KeyboardInterrupt. Put back Python's own
# handler, which every child starts without (a handled signal is reset to the default on exec).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _snapshot() -> dict[str, tuple[int, int]]:
    seen: dict[str, tuple[int, int]] = {}
    for top in SYSTEM_SITE_DIRS:
        if os.path.isdir(top):
            for entry in os.scandir(top):
                st = entry.stat(follow_symlinks=False)
                seen[entry.path] = (st.st_mtime_ns, st.st_size)
    return seen


@pytest.fixture(scope="session", autouse=True)
def system_site_packages_untouched() -> Iterator[None]:
    """Fail the session if anything in the system Python's site directories changed (asked
    of the host's own /usr/bin/python3: Debian 12's 3.11, Debian 13's 3.13...)."""
    before = _snapshot()
    yield
    after = _snapshot()
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(p for p in set(before) & set(after) if before[p] != after[p])
    assert not (added or removed or changed), f"system site-packages changed: {added=} {removed=} {changed=}"


#: Directories of the machine where pipx's global mode (as root) and linked commands land by
#: default: /opt/pipx (its logs too, when an earlier run left it), /usr/local/bin,
#: /usr/local/share/man, /usr/local/share (completions). No test may add anything there; every
#: test's pipx directories are in its tmp_path.
WATCHED_SYSTEM_DIRS = ("/opt", "/opt/pipx", "/opt/pipx/logs", "/opt/pipx/venvs", "/usr/local", "/usr/local/bin",
                       "/usr/local/share", "/usr/local/share/man")


def _watched_entries() -> set[str]:
    found: set[str] = set()
    for top in WATCHED_SYSTEM_DIRS:
        try:
            found.update(os.path.join(top, name) for name in os.listdir(top))
        except OSError:
            continue
    return found


@pytest.fixture(scope="session")
def system_dirs_before() -> set[str]:
    """What the watched system directories held when the session (this xdist worker) began."""
    return _watched_entries()


@pytest.fixture(scope="session")
def app_data(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One virtualenv app-data directory for the session: seeding wheels are unpacked once."""
    return str(tmp_path_factory.mktemp("virtualenv-app-data"))


@pytest.fixture(autouse=True)
def hermetic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_data: str, system_dirs_before: set[str]
) -> Iterator[dict[str, str]]:
    """Point every home, cache and config directory into tmp_path (pipx's global ones too);
    drop the machine's pip settings and any active environment; fail a test that leaks
    os.environ changes, and one after which something appeared in a watched system directory."""
    home = tmp_path / "home"
    home.mkdir()
    # Not created: pip then reads the user file under this HOME too; a test may write either.
    pip_conf = tmp_path / "pip-config-file" / "pip.conf"
    for name in list(os.environ):
        # The project tools' own variables say where a project's environment is: not the machine's.
        if name.startswith(("PIP_", "SAFEPIP_", "PIPX_", "XDG_", "VIRTUALENV_", "POETRY_", "PIPENV_", "PDM_",
                            "HATCH_", "UV_")) or name in ("WORKON_HOME",) or name in (
            "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "NO_COLOR", "FORCE_COLOR", "SUDO_UID",
            "SUDO_USER", "SUDO_GID",
        ):
            monkeypatch.delenv(name, raising=False)
    settings = {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "XDG_CONFIG_DIRS": str(tmp_path / "xdg-config-dirs"),
        "PIP_CONFIG_FILE": str(pip_conf),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "VIRTUALENV_OVERRIDE_APP_DATA": app_data,
        # As root, pipx works in its --global mode: its defaults are /opt/pipx (where every
        # pipx command, `pipx list --global` included, writes its logs), /usr/local/bin and
        # /usr/local/share. A test that names its own pipx directories overrides these.
        "PIPX_GLOBAL_HOME": str(tmp_path / "pipx-global" / "home"),
        "PIPX_GLOBAL_BIN_DIR": str(tmp_path / "pipx-global" / "bin"),
        "PIPX_GLOBAL_MAN_DIR": str(tmp_path / "pipx-global" / "man"),
        "PIPX_GLOBAL_COMPLETION_DIR": str(tmp_path / "pipx-global" / "completion"),
        # Python writes byte code next to whatever it imports (a build backend in a test's
        # source tree, say): the suite does not depend on whether the machine sets this. A test
        # about byte code, or one that plays a user's machine, removes it.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    before = dict(os.environ)
    yield settings
    leaked = {k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)} - {"PYTEST_CURRENT_TEST"}
    assert not leaked, f"test leaked environment changes: {sorted(leaked)}"
    appeared = _watched_entries() - system_dirs_before
    system_dirs_before.update(appeared)  # said once (per xdist worker), not by every later test
    assert not appeared, f"written outside the test's directories during this test: {sorted(appeared)}"


UNIT_TESTS = Path(__file__).resolve().parent / "unit"


@pytest.fixture(autouse=True)
def unit_tests_start_no_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test under tests/unit/ that starts a process fails (see processguard.py)."""
    if not request.node.path.is_relative_to(UNIT_TESTS):
        yield
        return
    with no_process(monkeypatch) as tried:
        yield
    assert not tried, f"a unit test started processes, which belong in tests/integration/: {tried}"


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    """A directory of small wheels: lib-a, lib-b (needs lib-a), app-c (a console script)."""
    house = tmp_path / "wheels"
    make_wheel(house, "lib-a", "1.0")
    make_wheel(house, "lib-b", "2.0", requires=["lib-a>=1.0"])
    make_wheel(house, "app-c", "0.5", scripts={"app-c": "app_c:main"})
    return house


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``cli("which", "python", cwd=...)``: safepip run in-process, see :class:`inprocess.Cli`."""
    return Cli(monkeypatch, capsys)


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``live("install", ..., cwd=...)``: safepip in-process, and pip (or whatever it starts)
    really run as a child: for tests of what safepip decides and what pip then did, where the
    console script and the front door are not the subject (see :class:`inprocess.Live`).
    """
    return Cli(monkeypatch, capsys, live=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory (it holds a pyproject.toml) with a subdirectory src/pkg."""
    root = tmp_path / "myproj"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "myproj"\nversion = "0"\n')
    return root


ROOT = Path(__file__).resolve().parent.parent


def build_pyz(directory: Path, *extra: str) -> Path:
    """Build safepip.pyz into ``directory`` with tools/build_zipapp.py, offline: from the
    distributions installed beside the test interpreter (the nox session installs them)."""
    import subprocess
    import sys

    output = directory / "safepip.pyz"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_zipapp.py"), "--from-installed", "--wheels", str(directory / "wheels"),
         "-o", str(output), *extra],
        check=True, capture_output=True,
    )
    return output


@pytest.fixture(scope="session")
def pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """safepip.pyz, built once per session by the same code as ``nox -s zipapp``."""
    return build_pyz(tmp_path_factory.mktemp("pyz"))


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway copy of Debian's python3 without venv, ensurepip and pip (and still
    externally managed): the interpreter of a fresh Debian without python3-venv/python3-pip.

    The binary is copied (CPython finds its prefix from its real location) and the standard
    library is a farm of symbolic links to /usr/lib/python3.X that leaves those modules out.
    """
    import shutil

    real = os.path.realpath("/usr/bin/python3")
    version = SYSTEM_XY
    root = tmp_path_factory.mktemp("bare-python")
    (root / "bin").mkdir()
    lib = root / "lib" / f"python{version}"
    lib.mkdir(parents=True)
    shutil.copy2(real, root / "bin" / f"python{version}")
    (root / "bin" / "python3").symlink_to(f"python{version}")
    for entry in os.scandir(f"/usr/lib/python{version}"):
        if entry.name not in ("venv", "ensurepip", "site-packages", "dist-packages"):
            (lib / entry.name).symlink_to(entry.path)
    return root / "bin" / "python3"


@pytest.fixture(scope="session")
def other_user() -> Iterator[tuple[str, int, int]]:
    """A real user account other than the one running the tests: (name, uid, gid).

    Created with useradd for the session and deleted afterwards; needs root (the suite runs
    as root in CI). Files are given to it with os.chown to play "someone else's directory".
    """
    import pwd
    import subprocess
    import uuid

    if os.geteuid() != 0:
        pytest.skip("creating a test user needs root")
    name = f"sp{uuid.uuid4().hex[:10]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        entry = pwd.getpwnam(name)
        yield name, entry.pw_uid, entry.pw_gid
    finally:
        subprocess.run(["userdel", name], check=False)


@pytest.fixture
def traversable() -> Iterator[Path]:
    """A directory of the test's own that every user can search (mode 0711, straight under the
    1777 /tmp), removed afterwards. pytest's own tree is left as it is: its shared directories
    (pytest-of-root, pytest-N) are 0700, and opening them for one test while another xdist
    worker closes them again after its own test made the other user's reads fail at random."""
    import shutil
    import tempfile

    where = Path(tempfile.mkdtemp(prefix="safepip-open-", dir="/tmp"))
    try:
        where.chmod(0o711)
        yield where
    finally:
        shutil.rmtree(where)  # as root: whatever modes and owners the test left
