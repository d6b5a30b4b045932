"""The threat model of docs/safety.md, one test per row: each attack tried for real, with a
second local user (the ``other_user`` fixture) doing the attacker's part as that user
(see tests/users.py). Every planted program only leaves a trace file if it is ever executed.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

from helpers import SAFEPIP, SYSTEM_PYTHON, SYSTEM_XY, installed, needs_managed, offline, run_safepip, safepip_env
from users import User, as_user, give, make_project, one_line, says, their_repository, tracer
from users import script as _script

pytestmark = [needs_managed]


# -- 1. byte code is never shared between environments -------------------------------------


@pytest.mark.slow
def test_rewriting_one_projects_byte_code_changes_no_other_project(tmp_path: Path, wheelhouse: Path,
                                                                    other_user: User) -> None:
    trace = tmp_path / "TRACE"
    one, two = make_project(tmp_path / "one"), make_project(tmp_path / "two")
    for proj in (one, two):
        assert run_safepip("install", *offline(wheelhouse), "lib-a", cwd=proj).returncode == 0
    # The owner opens proj one to everyone (a Dockerfile's chmod -R, or chown -R app /app)...
    for item in [one, *one.rglob("*")]:
        if not item.is_symlink():
            item.chmod(stat.S_IMODE(item.lstat().st_mode) | 0o666)
    pycache = next((one / ".venv" / "lib").glob("python*/site-packages/pip/__pycache__"))
    name = next(pycache.glob("__init__.*.pyc")).name
    # ...and the other user rewrites a pyc of pip in place there, keeping its checked-hash header.
    evil = f"""
import marshal
src = open('../__init__.py').read() + "\\nopen({str(trace)!r}, 'a').write('ran')\\n"
with open({name!r}, 'r+b') as f:
    header = f.read(16)
    f.seek(0)
    f.write(header + marshal.dumps(compile(src, '__init__.py', 'exec')))
    f.truncate()
"""
    attacked = as_user(other_user, evil, pycache)
    assert attacked.returncode == 0, attacked.stderr
    done = run_safepip("list", cwd=two)
    assert done.returncode == 0, done.stderr
    assert not trace.exists(), "pip in project two ran the other user's byte code"
    one_line(run_safepip("list", cwd=one), 77, f"{one} (owned by root (uid 0)) is writable by every user")


# -- 2. root with another user's HOME --------------------------------------------------------


def _as_root_with_their_home(tmp_path: Path, home: Path, user: User, *argv: str, cwd: Path,
                             **extra: str) -> subprocess.CompletedProcess[str]:
    """``sudo -E safepip ARGV``: root, with the user's HOME and XDG directories kept (and no
    override of virtualenv's app-data directory, whose default is under that HOME). root's
    own home (/root, from the password database) is a directory of tmp_path mounted over
    /root for this process alone (with the real /root/.pyenv in it: the tests' Python)."""
    own = _root_home(tmp_path)
    kept = {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"), "XDG_STATE_HOME": str(home / ".local" / "state"),
            "SUDO_USER": user[0], "SUDO_UID": str(user[1]), "SUDO_GID": str(user[2])}
    env = safepip_env(**{**kept, **extra})
    env.pop("VIRTUALENV_OVERRIDE_APP_DATA", None)  # virtualenv's app data: its default, under that HOME
    script = 'mount --bind /root/.pyenv "$0/.pyenv" && mount --rbind "$0" /root && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, str(own), SAFEPIP, *argv],
        cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def _root_home(tmp_path: Path) -> Path:
    """What /root is for :func:`_as_root_with_their_home`."""
    own = tmp_path / "root-home"
    (own / ".pyenv").mkdir(parents=True, exist_ok=True)
    own.chmod(0o700)
    return own


@pytest.fixture
def their_home(tmp_path: Path, other_user: User) -> Path:
    home = tmp_path / "home-of-user"
    (home / ".cache" / "safepip").mkdir(parents=True)
    give(home, other_user)
    return home


def test_root_with_the_users_home_follows_no_planted_lock_note(tmp_path: Path, their_home: Path, wheelhouse: Path,
                                                               other_user: User) -> None:
    proj = make_project(tmp_path / "proj")
    secret = tmp_path / "root-only"
    secret.write_text("root's own\n")
    secret.chmod(0o600)
    key = hashlib.sha256(str(proj / ".venv").encode()).hexdigest()[:24]
    locks = their_home / ".cache" / "safepip" / "locks"
    planted = as_user(other_user, f"import os; os.makedirs('locks', 0o777); os.symlink({str(secret)!r}, "
                      f"'locks/{key}.lock.owner')", their_home / ".cache" / "safepip")
    assert planted.returncode == 0, planted.stderr
    done = _as_root_with_their_home(tmp_path, their_home, other_user, "install", *offline(wheelhouse), "lib-a", cwd=proj)
    assert done.returncode == 0, done.stderr
    assert secret.read_text() == "root's own\n"
    assert (locks / f"{key}.lock.owner").is_symlink()
    assert all(p.lstat().st_uid == other_user[1] for p in their_home.rglob("*")), "root left files in the user's HOME"
    says(done, 0, f"warning: not using the cache {their_home / '.cache' / 'safepip'}", "not by you", "root uses its own")


def test_root_with_the_users_home_believes_no_forged_probe(tmp_path: Path, their_home: Path, other_user: User) -> None:
    from safepip.facts.interpreter import cache_key, cache_path

    trace = tmp_path / "TRACE"
    bindir = their_home / "bin"
    tracer(bindir / "python", trace)
    give(bindir, other_user)
    forged = {
        "version": [*map(int, SYSTEM_XY.split(".")), 0], "implementation": "cpython", "prefix": str(their_home),
        "base_prefix": "/usr", "in_venv": True, "conda": False, "stdlib": str(their_home), "purelib": str(their_home),
        "platlib": str(their_home), "scripts": str(bindir), "marker": None, "marker_message": None,
        "marker_problem": None, "distributor": None, "pip": True, "markers": {},
    }
    key = cache_key(SYSTEM_PYTHON)
    assert key is not None
    name = Path(cache_path(str(their_home / ".cache" / "safepip"), key)).name
    planted = as_user(other_user, f"import os, marshal; os.makedirs('probes'); open('probes/{name}', 'wb')"
                      f".write(marshal.dumps({forged!r}))", their_home / ".cache" / "safepip")
    assert planted.returncode == 0, planted.stderr
    proj = make_project(tmp_path / "proj")
    done = _as_root_with_their_home(tmp_path, their_home, other_user, "run", "python", "-c", "print('ok')", cwd=proj)
    assert not trace.exists(), "root ran the user's program"
    assert done.stdout == "ok\n"
    assert all(p.lstat().st_uid == other_user[1] for p in their_home.rglob("*"))
    says(done, 0, "warning: not using the cache", "root uses its own")


@pytest.mark.slow
def test_root_with_the_users_home_keeps_its_own_files_in_its_own_home(
        tmp_path: Path, their_home: Path, wheelhouse: Path, other_user: User) -> None:
    """install outside a project (the per-user environment), shell-init (its launchers),
    self-install --shims, doctor and explain, as root with the user's HOME: nothing
    root-owned appears under that HOME; root's data and bin directories are its own."""
    outside = tmp_path / "downloads"
    outside.mkdir()
    calls = {
        "install": ["install", *offline(wheelhouse), "lib-a"], "shell-init": ["shell-init", "bash"],
        "self-install": ["self-install", "--shims"], "doctor": ["doctor"], "explain": ["explain", "install", "lib-b"],
    }
    done = {name: _as_root_with_their_home(tmp_path, their_home, other_user, *argv, cwd=outside)
            for name, argv in calls.items()}
    theirs = [str(p) for p in their_home.rglob("*") if p.lstat().st_uid != other_user[1]]
    assert not theirs, f"root left files in the user's HOME: {theirs}"
    for name, result in done.items():
        assert result.returncode == 0, (name, result.stderr)
        assert "Traceback" not in result.stderr, (name, result.stderr)
    own = _root_home(tmp_path)
    assert "lib-a" in installed(own / ".local" / "share" / "safepip" / "envs" / f"py{SYSTEM_XY}")
    assert "/root/.local/share/safepip/shims" in done["shell-init"].stdout
    assert str(their_home) not in done["shell-init"].stdout
    assert (own / ".local" / "bin" / "pip").is_file()
    assert f"/root/.local/share/safepip/envs/py{SYSTEM_XY}" in done["explain"].stdout


# -- 6. umask 000 ---------------------------------------------------------------------------


@pytest.mark.slow
def test_umask_000_makes_nothing_others_can_write(project: Path, wheelhouse: Path, hermetic: dict[str, str],
                                                  other_user: User) -> None:
    argv = [SAFEPIP, "install", *offline(wheelhouse), "lib-a"]
    done = subprocess.run(["sh", "-c", 'umask 000; exec "$@"', "sh", *argv], cwd=project, env=safepip_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    venv = project / ".venv"
    cache = Path(hermetic["XDG_CACHE_HOME"]) / "safepip"
    for top in (venv, cache):
        for item in [top, *top.rglob("*")]:
            st = item.lstat()
            if not stat.S_ISLNK(st.st_mode):
                assert not st.st_mode & 0o022, f"{item} is {stat.S_IMODE(st.st_mode):04o}"
    for directory in [cache, *(p for p in cache.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    for target in (venv / "bin", cache / "probes", cache / "locks"):
        tried = as_user(other_user, "open('planted', 'x')", target)
        assert "PermissionError" in tried.stderr, (target, tried.stderr)
    again = run_safepip("list", cwd=project)
    assert again.returncode == 0, again.stderr
    assert "lib-a" in again.stdout
    assert "lib-a" in installed(venv)


@pytest.mark.slow
def test_umask_000_outside_a_project_makes_nothing_others_can_write(tmp_path: Path, wheelhouse: Path,
                                                                  hermetic: dict[str, str]) -> None:
    outside = tmp_path / "home" / "downloads"
    outside.mkdir()
    argv = [SAFEPIP, "install", *offline(wheelhouse), "lib-b"]  # libraries: the per-user environment
    done = subprocess.run(["sh", "-c", 'umask 000; exec "$@"', "sh", *argv], cwd=outside, env=safepip_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    envs = Path(hermetic["XDG_DATA_HOME"]) / "safepip" / "envs"
    (user_env,) = envs.iterdir()
    assert "lib-b" in installed(user_env)
    loose = [f"{p} {stat.S_IMODE(p.lstat().st_mode):04o}" for p in [user_env, *user_env.rglob("*")]
             if not p.is_symlink() and p.lstat().st_mode & 0o022]
    assert not loose, loose


# -- 4. the whole chain that leads to code ---------------------------------------------------


def _venv(where: Path) -> Path:
    """A real environment (without pip: a link to Debian's python) made by root."""
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(where / ".venv")], check=True)
    return where / ".venv"


def test_a_python_link_to_another_users_program_is_never_run(project: Path, tmp_path: Path, other_user: User) -> None:
    trace = tmp_path / "TRACE"
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    planted = as_user(other_user, f"""
import os
open('python3', 'w').write('#!/bin/sh\\necho "ran $*" >> {trace}\\nexec {SYSTEM_PYTHON} "$@"\\n')
os.chmod('python3', 0o755)
""", shared)
    assert planted.returncode == 0, planted.stderr
    venv = _venv(project)
    (venv / "bin" / "python").unlink()
    (venv / "bin" / "python").symlink_to(shared / "python3")
    done = run_safepip("list", cwd=project)
    assert not trace.exists()
    one_line(done, 77, f"{venv}/bin/python leads to {shared}/python3, which is owned by {other_user[0]}",
             "will not use this environment")


def test_a_bin_directory_others_can_write_is_refused(project: Path, tmp_path: Path, other_user: User) -> None:
    trace = tmp_path / "TRACE"
    venv = _venv(project)
    (venv / "bin").chmod(0o777)
    swapped = as_user(other_user, f"""
import os
open('evil', 'w').write('#!/bin/sh\\necho "ran $*" >> {trace}\\nexec {SYSTEM_PYTHON} "$@"\\n')
os.chmod('evil', 0o755)
os.replace('evil', 'python')
""", venv / "bin")
    assert swapped.returncode == 0, swapped.stderr
    done = run_safepip("list", cwd=project)
    assert not trace.exists()
    one_line(done, 77, f"{venv}/bin is writable by every user (mode 0777)", "will not use this environment")


def test_a_pyvenv_cfg_others_can_write_is_refused(project: Path, tmp_path: Path, other_user: User) -> None:
    trace = tmp_path / "TRACE"
    venv = _venv(project)
    cfg = venv / "pyvenv.cfg"
    cfg.chmod(0o666)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, other_user[1], other_user[2])
    # The other user's "interpreter home": Debian's standard library, with their own site.py.
    planted = as_user(other_user, f"""
import os
lib = 'lib/python{SYSTEM_XY}'
os.makedirs(lib)
os.makedirs('bin')
for name in os.listdir('/usr/lib/python{SYSTEM_XY}'):
    if name != 'site.py':
        os.symlink('/usr/lib/python{SYSTEM_XY}/' + name, lib + '/' + name)
open(lib + '/site.py', 'w').write("open({str(trace)!r}, 'a').write('ran')\\n"
                                  "exec(open('/usr/lib/python{SYSTEM_XY}/site.py').read())\\n")
""", theirs)
    assert planted.returncode == 0, planted.stderr
    rewritten = as_user(other_user, f"""
text = open('pyvenv.cfg').read()
home = [l for l in text.splitlines() if l.startswith('home')][0]
open('pyvenv.cfg', 'w').write(text.replace(home, 'home = {theirs}/bin'))
""", venv)
    assert rewritten.returncode == 0, rewritten.stderr
    done = run_safepip("list", cwd=project)
    assert not trace.exists()
    one_line(done, 77, f"{cfg} is writable by every user (mode 0666)")
    cfg.chmod(0o644)  # the owner fixes the mode; the home it names is still another user's
    done = run_safepip("list", cwd=project)
    assert not trace.exists()
    one_line(done, 77, f"{cfg} names home = {theirs}/bin, owned by {other_user[0]}")


# -- 3. a cloned repository's own interpreters -----------------------------------------------

READ_ONLY = [["explain", "install", "x"], ["doctor"], ["which"], ["list"], ["freeze"]]


def test_a_committed_config_interpreter_runs_only_after_trust(tmp_path: Path, other_user: User) -> None:
    trace = tmp_path / "TRACE"
    clone = their_repository(tmp_path, other_user, {
        "pyproject.toml": '[project]\nname = "bait"\nversion = "0"\n[tool.safepip]\npython = "tools/python3"\n',
        "tools/python3": _script(trace),
    }, ("tools/python3",))
    for argv in READ_ONLY:
        done = run_safepip(*argv, cwd=clone)
        assert not trace.exists(), (argv, done.stderr)
        assert f"safepip trust {clone}" in done.stdout + done.stderr, (argv, done.stdout, done.stderr)
    for argv in (["list"], ["freeze"], ["install", "lib-a"]):
        one_line(run_safepip(*argv, cwd=clone), 77, f"{clone}/tools/python3 is inside the project",
                 "will not run an interpreter that came with the repository", f"safepip trust {clone}")
    assert not trace.exists()
    trusted = run_safepip("trust", cwd=clone)
    one_line(trusted, 0, f"trusted {clone}/tools/python3 ({clone}/tools/python3 is inside the project)")
    assert run_safepip("list", cwd=clone).returncode == 0
    assert trace.exists()  # now it is the user's choice
    (clone / "tools" / "python3").write_text(_script(trace) + "# changed\n")
    one_line(run_safepip("list", cwd=clone), 77, "changed since you trusted it")


def test_a_committed_environment_runs_only_after_trust(tmp_path: Path, other_user: User) -> None:
    trace = tmp_path / "TRACE"
    site = f".venv/lib/python{SYSTEM_XY}/site-packages/pip"
    clone = their_repository(tmp_path, other_user, {
        "pyproject.toml": '[project]\nname = "bait"\nversion = "0"\n',
        ".venv/pyvenv.cfg": "home = /usr/bin\ninclude-system-site-packages = false\n",
        ".venv/bin/python": _script(trace),
        f"{site}/__init__.py": "",
    }, (".venv/bin/python",))
    for argv in READ_ONLY:
        done = run_safepip(*argv, cwd=clone)
        assert not trace.exists(), (argv, done.stderr)
    one_line(run_safepip("list", cwd=clone), 77, f"{clone}/.venv/pyvenv.cfg is committed in git",
             f"safepip trust {clone}")
    one_line(run_safepip("trust", cwd=clone), 0, f"trusted {clone}/.venv/bin/python")
    run_safepip("list", cwd=clone)
    assert trace.exists()


def test_an_environment_you_made_in_a_clone_is_yours(tmp_path: Path, other_user: User) -> None:
    clone = their_repository(tmp_path, other_user, {"pyproject.toml": '[project]\nname = "p"\nversion = "0"\n'}, ())
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(clone / ".venv")], check=True)
    done = run_safepip("list", cwd=clone)
    assert done.returncode == 0, done.stderr
    assert "safepip trust" not in done.stderr and "trusted =" not in done.stderr


# -- 5. the sudo rule, whatever names the environment ----------------------------------------


@pytest.mark.parametrize("how", ["VIRTUAL_ENV", "--python", "SAFEPIP_PYTHON", "config", "project config"])
def test_sudo_never_writes_into_the_users_environment(tmp_path: Path, wheelhouse: Path, other_user: User,
                                                      hermetic: dict[str, str], how: str) -> None:
    theirs = make_project(tmp_path / "theirs")
    venv = _venv(theirs)
    give(theirs, other_user)
    env = safepip_env(SUDO_USER=other_user[0], SUDO_UID=str(other_user[1]), SUDO_GID=str(other_user[2]))
    argv = ["install", *offline(wheelhouse), "lib-a"]
    if how == "--python":
        argv = ["--python", str(venv / "bin" / "python"), *argv]
    elif how == "config":  # root's own configuration file names it
        config = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(f'python = "{venv}/bin/python"\n')
    elif how == "project config":  # the user's project names its own environment
        (theirs / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n'
                                               '[tool.safepip]\npython = ".venv/bin/python"\n')
    else:
        env[how] = str(venv) if how == "VIRTUAL_ENV" else str(venv / "bin" / "python")
    done = run_safepip(*argv, cwd=theirs, env=env)
    one_line(done, 77, f"refusing to install with sudo into {venv}, which belongs to {other_user[0]}",
             "SAFEPIP_ALLOW_ROOT=1")
    assert all(p.lstat().st_uid == other_user[1] for p in venv.rglob("*")), "root left files in the user's environment"


# -- 7. a marker planted in a sticky directory -------------------------------------------------


def test_a_marker_another_user_put_in_a_sticky_directory_makes_no_project(tmp_path: Path, other_user: User) -> None:
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o1777)  # /tmp/work: everyone may add files, nobody may remove another's
    mine = work / "mine"
    mine.mkdir()
    planted = as_user(other_user, "open('requirements-x.txt', 'w').write('lib-a\\n')", work)
    assert planted.returncode == 0, planted.stderr
    done = run_safepip("install", "lib-a", cwd=mine, env=safepip_env(SAFEPIP_OUTSIDE="refuse"))
    one_line(done, 69, f"{mine} is not inside a project")
    debug = run_safepip("install", "lib-a", cwd=mine, env=safepip_env(SAFEPIP_OUTSIDE="refuse", SAFEPIP_DEBUG="1"))
    assert f"debug: ignoring {work}/requirements-x.txt" in debug.stderr
    (work / "requirements.txt").write_text("lib-a\n")  # the user's own marker there still counts
    one_line(run_safepip("install", "lib-a", cwd=mine, env=safepip_env(SAFEPIP_OUTSIDE="refuse")), 77,
             f"{work} (owned by root (uid 0)) is writable by every user")


# -- the cache: only private files count -----------------------------------------------------


def test_a_cache_file_another_user_planted_is_ignored(project: Path, tmp_path: Path, hermetic: dict[str, str],
                                                      other_user: User) -> None:
    from safepip.facts.interpreter import cache_key, cache_path

    trace = tmp_path / "TRACE"
    bindir = tmp_path / "their-bin"
    tracer(bindir / "python", trace)
    give(bindir, other_user)
    probes = Path(hermetic["XDG_CACHE_HOME"]) / "safepip" / "probes"
    probes.mkdir(parents=True)
    probes.chmod(0o777)  # as a umask of 000 left it
    forged = {"version": [3, 11, 0], "implementation": "cpython", "prefix": str(bindir), "base_prefix": "/usr",
              "in_venv": True, "conda": False, "stdlib": str(bindir), "purelib": str(bindir), "platlib": str(bindir),
              "scripts": str(bindir), "marker": None, "marker_message": None, "marker_problem": None,
              "distributor": None, "pip": True, "markers": {}}
    key = cache_key(SYSTEM_PYTHON)
    assert key is not None
    name = Path(cache_path(str(probes.parent), key)).name
    planted = as_user(other_user, f"import marshal; open('{name}', 'wb').write(marshal.dumps({forged!r}))", probes)
    assert planted.returncode == 0, planted.stderr
    done = run_safepip("run", "python", "-c", "print('ok')", cwd=project)
    assert not trace.exists(), "a probe result another user wrote was believed"
    assert done.stdout == "ok\n"
    says(done, 0, f"warning: ignoring {probes}/{name}: it is owned by {other_user[0]}")
    assert not probes.stat().st_mode & 0o022  # made private again
    assert (probes / name).stat().st_uid == 0  # replaced by a private one of the user's own


def test_root_with_the_users_home_reads_no_config_of_theirs(tmp_path: Path, their_home: Path, wheelhouse: Path,
                                                             other_user: User) -> None:
    trace = tmp_path / "TRACE"
    program = tracer(their_home / "bin" / "python3", trace)
    config = their_home / ".config" / "safepip" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'trusted = ["*"]\npython = "{program}"\n')
    give(their_home, other_user)
    proj = make_project(tmp_path / "proj")
    env = {"XDG_CONFIG_HOME": str(their_home / ".config")}
    done = _as_root_with_their_home(tmp_path, their_home, other_user, "install", *offline(wheelhouse), "lib-a",
                                    cwd=proj, **env)
    assert not trace.exists(), "root ran the interpreter the user's config names"
    says(done, 0, f"warning: not reading {config}", "root reads only its own")


# -- 8. a module another user left in the working directory -----------------------------------


def _plant_modules(work: Path, trace: Path, other_user: User) -> None:
    """As ``other_user``, in the shared ``work``: ``pip``, ``pipx``, ``venv`` and
    ``virtualenv`` packages that leave a trace when imported (``python -m pip`` finds the
    working directory's first)."""
    body = f"open({str(trace)!r}, 'a').write('ran the planted ' + __name__ + chr(10))\n"
    planted = as_user(other_user, f"""
import os
for name in ('pip', 'pipx', 'venv', 'virtualenv'):
    os.mkdir(name)
    for part in ('__init__.py', '__main__.py'):
        open(os.path.join(name, part), 'w').write({body!r})
""", work)
    assert planted.returncode == 0, planted.stderr


@pytest.fixture
def shared_work(tmp_path: Path, other_user: User) -> tuple[Path, Path]:
    """A sticky directory everyone may write (as /tmp is) with another user's modules in it,
    and the trace file they would leave."""
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o1777)
    trace = tmp_path / "TRACE"
    _plant_modules(work, trace, other_user)
    return work, trace


@pytest.mark.parametrize("args", [["list"], ["--version"], ["list", "-v"]])
def test_pip_never_comes_from_the_working_directory_in_an_active_venv(tmp_path: Path, shared_work: tuple[Path, Path],
                                                                      args: list[str]) -> None:
    import sys

    work, trace = shared_work
    venv = tmp_path / "active"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-setuptools", "--no-wheel", "-p", SYSTEM_PYTHON,
                    str(venv)], check=True, capture_output=True)
    # list: the front door's pass-through; --version and -v: the full path's pass-through
    done = run_safepip(*args, cwd=work, env=safepip_env(VIRTUAL_ENV=str(venv)))
    assert not trace.exists(), trace.read_text()
    assert done.returncode == 0, done.stderr
    assert "pip" in done.stdout


@pytest.mark.slow
def test_outside_a_project_nothing_comes_from_the_working_directory(shared_work: tuple[Path, Path],
                                                                    wheelhouse: Path) -> None:
    work, trace = shared_work
    env = safepip_env(SAFEPIP_OUTSIDE="user-env")
    # (`list` outside a project also asks pipx, as root `pipx list --global`: the fixture's
    # PIPX_GLOBAL_HOME keeps its logs in tmp_path, not /opt/pipx/logs.)
    # the per-user environment is made here, then its pip installs; then a remembered route
    for args in (["install", *offline(wheelhouse), "lib-a"], ["list"], ["list"], ["show", "lib-a"]):
        done = run_safepip(*args, cwd=work, env=env)
        assert not trace.exists(), trace.read_text()
        assert done.returncode == 0, done.stderr
    assert "lib-a" in done.stdout
