"""A distribution upgrade under a project's environment: nothing it held is lost.

The upgrade is simulated with interpreters made for the test: pyenv's CPython binaries
copied into tmp_path, with a standard library that is a farm of symbolic links to pyenv's
(nothing of pyenv's is ever written to). The environment is made by the copied 3.11, which
is then removed, and the next ``safepip install`` runs with a copied 3.12 as ``python3``.
The environment holds plain, URL (file://), editable (a path and a VCS checkout in
``.venv/src`` from a local git repository) and VCS installs, and the VCS checkout has an
uncommitted edit.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from helpers import SAFEPIP, installed, offline, run_safepip, safepip_env, venv_python
from wheels import make_wheel

PYENV = Path("/root/.pyenv/versions")


def _pyenv(minor: str) -> Path | None:
    found = sorted(PYENV.glob(f"{minor}.*")) if PYENV.is_dir() else []
    return found[-1] if found and (found[-1] / "bin" / f"python{minor}").is_file() else None


needs_pyenv = pytest.mark.skipif(
    _pyenv("3.11") is None or _pyenv("3.12") is None, reason="pyenv's 3.11 and 3.12 are not on this machine"
)
pytestmark = [needs_pyenv, pytest.mark.slow]


def python_tree(binary: str | Path, stdlib: str | Path, minor: str, dest: Path) -> Path:
    """A CPython at ``dest``, externally managed like a distribution's: ``binary`` copied,
    the standard library ``stdlib`` linked entry by entry (its site-packages and
    dist-packages left out, an empty site-packages made), so that ``dest`` is its prefix."""
    (dest / "bin").mkdir(parents=True)
    lib = dest / "lib" / f"python{minor}"
    lib.mkdir(parents=True)
    shutil.copy2(binary, dest / "bin" / f"python{minor}")
    (dest / "bin" / "python3").symlink_to(f"python{minor}")
    for entry in os.scandir(stdlib):
        if entry.name not in ("site-packages", "dist-packages"):
            (lib / entry.name).symlink_to(entry.path)
    (lib / "site-packages").mkdir()
    marker = lib / "EXTERNALLY-MANAGED"
    if not marker.exists():  # a distribution's stdlib has its own (linked above)
        marker.write_text("[externally-managed]\nError=use a venv\n")  # as Debian's
    return dest / "bin" / "python3"


def copied_python(minor: str, dest: Path) -> Path:
    """pyenv's CPython ``minor`` as a distribution's python3 at ``dest`` (see :func:`python_tree`)."""
    source = _pyenv(minor)
    assert source is not None
    return python_tree(source / "bin" / f"python{minor}", source / "lib" / f"python{minor}", minor, dest)


BACKEND = '''
import base64, hashlib, os, zipfile

NAME, VERSION, MODULE = {name!r}, {version!r}, {module!r}
HERE = os.path.dirname(os.path.abspath(__file__))


def _line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{{name}},sha256={{digest}},{{len(data)}}"


def _wheel(directory, files):
    dist = NAME.replace("-", "_")
    info = f"{{dist}}-{{VERSION}}.dist-info"
    files = dict(files)
    files[f"{{info}}/METADATA"] = f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n".encode()
    files[f"{{info}}/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    record = [_line(n, d) for n, d in files.items()] + [f"{{info}}/RECORD,,"]
    files[f"{{info}}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = f"{{dist}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open(os.path.join(HERE, MODULE + ".py"), "rb") as handle:
        return _wheel(wheel_directory, {{MODULE + ".py": handle.read()}})


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {{"__editable__." + MODULE + ".pth": (HERE + "\\n").encode()}})


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel
'''


def source_project(root: Path, name: str, version: str = "1.0") -> Path:
    """A buildable project (an in-tree PEP 517/660 backend: nothing to download)."""
    module = name.replace("-", "_")
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
    )
    (root / "backend.py").write_text(BACKEND.format(name=name, version=version, module=module))
    (root / f"{module}.py").write_text(f"WHO = {name!r}\n")
    return root


def git_repo(root: Path, name: str) -> Path:
    """A committed :func:`source_project` that ignores byte code, as Python projects do: pip's
    build imports the in-tree backend (``backend.py``) from the checkout, so Python writes
    ``__pycache__/backend.*.pyc`` there, with or without safepip (unless the caller sets
    PYTHONDONTWRITEBYTECODE)."""
    source_project(root, name)
    (root / ".gitignore").write_text("__pycache__/\n")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    return root


class Upgrade:
    """A project whose environment was made by a copied 3.11 that is then removed."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.house = tmp / "house"
        make_wheel(self.house, "lib-a", "1.0")
        make_wheel(self.house, "lib-a", "2.0")
        make_wheel(self.house, "lib-b", "2.0", requires=["lib-a>=1.0"])
        self.url_wheel = make_wheel(tmp / "elsewhere", "url-lib", "3.0")
        self.local = source_project(tmp / "local-ed", "local-ed")
        self.vcs_ed = git_repo(tmp / "repo-ed", "vcs-ed")
        self.vcs_plain = git_repo(tmp / "repo-plain", "vcs-plain")
        self.py311 = copied_python("3.11", tmp / "py311")
        self.py312 = copied_python("3.12", tmp / "py312")
        self.root = tmp / "proj"
        self.root.mkdir()
        (self.root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
        self.env_dir = self.root / ".venv"

    def env(self, python: Path) -> dict[str, str]:
        env = safepip_env(PATH=f"{python.parent}:/usr/bin:/bin")
        # As on a user's machine: Python writes byte code where it imports, so that byte code
        # of the user's own modules in their trees would show that something imported or
        # compiled them (see check_restored).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def install(self, *args: str, python: Path) -> subprocess.CompletedProcess[str]:
        return run_safepip("install", *offline(self.house), *args, cwd=self.root, env=self.env(python))

    def populate(self) -> None:
        for args in (
            ["lib-b", "lib-a==1.0"],
            [self.url_wheel.as_uri()],
            ["-e", str(self.local)],
            ["-e", f"git+{self.vcs_ed.as_uri()}#egg=vcs-ed"],
            [f"vcs-plain @ git+{self.vcs_plain.as_uri()}"],
        ):
            done = self.install(*args, python=self.py311)
            assert done.returncode == 0, done.stderr
        self.checkout = self.env_dir / "src" / "vcs-ed"
        (self.checkout / "vcs_ed.py").write_text("WHO = 'edited by the user'\n")
        self.expected = installed(self.env_dir)
        assert set(self.expected) >= {"lib-a", "lib-b", "url-lib", "local-ed", "vcs-ed", "vcs-plain"}
        shutil.rmtree(self.py311.parent.parent)  # the upgrade: python3.11 is gone

    def check_restored(self) -> None:
        after = installed(self.env_dir)
        assert after == {**self.expected, "pip": after["pip"]}
        status = subprocess.run(["git", "-C", str(self.checkout), "status", "--porcelain", "--ignored"],
                                capture_output=True, text=True, check=True)
        assert status.stdout.strip().splitlines() in (["M vcs_ed.py"], ["M vcs_ed.py", "!! __pycache__/"])
        # The only byte code in the user's trees is the build backend's, which pip's build
        # imported: nothing compiled or imported the user's modules (the test imports them below).
        for tree in (self.checkout, self.local):
            pycs = sorted(p.name for p in tree.rglob("*.pyc"))
            assert all(name.startswith("backend.") for name in pycs), (tree, pycs)
        code = "import vcs_ed, local_ed, vcs_plain, lib_b; print(vcs_ed.WHO, vcs_ed.__file__)"
        # -B: the test's own import leaves no byte code in the user's trees (checked above next time)
        ran = subprocess.run([venv_python(self.env_dir), "-B", "-c", code], capture_output=True, text=True, check=True)
        assert ran.stdout.split()[:3] == ["edited", "by", "the"]
        assert "3.12" in (self.env_dir / "pyvenv.cfg").read_text()
        direct = json.loads(next((self.env_dir / "lib").glob("python3.12/site-packages/vcs_plain-*.dist-info/direct_url.json")).read_text())
        assert direct["vcs_info"]["vcs"] == "git"


def test_upgrade_restores_everything_and_keeps_edits(tmp_path: Path) -> None:
    up = Upgrade(tmp_path)
    up.populate()
    (up.env_dir / "notes.txt").write_text("mine\n")  # a file the user put in the environment
    done = up.install("lib-a==2.0", python=up.py312)
    assert done.returncode == 0, done.stderr
    assert "rebuilt: its interpreter" in done.stderr
    up.expected["lib-a"] = "2.0"
    up.check_restored()
    kept = [p for p in tmp_path.joinpath("proj").iterdir() if ".safepip-old-" in p.name]
    assert len(kept) == 1 and (kept[0] / "notes.txt").read_text() == "mine\n"
    assert str(kept[0].name) in done.stderr and "notes.txt" in done.stderr
    assert "removed after 20" in done.stderr and "your files never" in done.stderr  # when the sweep prunes it
    assert not (kept[0] / "src").exists()  # moved into the new environment


def test_read_only_commands_never_rebuild_and_repair_does(tmp_path: Path) -> None:
    up = Upgrade(tmp_path)
    up.populate()
    before = sorted(p.name for p in up.env_dir.iterdir())
    for argv in (["list"], ["freeze"], ["show", "lib-a"], ["check"], ["which"], ["which", "--create"]):
        done = run_safepip(*argv, cwd=up.root, env=up.env(up.py312))
        assert done.returncode == 69, (argv, done.stderr)
        assert "safepip repair" in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    for argv in (["explain", "install", "lib-a"], ["explain", "list"], ["doctor"], ["inspect"]):
        done = run_safepip(*argv, cwd=up.root, env=up.env(up.py312))
        assert done.returncode in (0, 69), (argv, done.stderr)
        assert "no longer exists" in done.stdout + done.stderr and "safepip repair" in done.stdout + done.stderr, argv
    assert sorted(p.name for p in up.env_dir.iterdir()) == before
    done = run_safepip("repair", *offline(up.house), cwd=up.root, env=up.env(up.py312))
    assert done.returncode == 0, done.stderr
    up.check_restored()
    assert not [p for p in up.root.iterdir() if ".safepip-old-" in p.name]  # nothing of the user's: removed


def test_symlinked_env_rebuilds_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    up = Upgrade(tmp_path)
    store = tmp_path / "store"
    store.mkdir()
    (store / "env").mkdir()
    (up.env_dir).symlink_to(store / "env")
    os.rmdir(store / "env")
    done = up.install("lib-a", python=up.py311)  # a dangling link is refused...
    assert done.returncode == 73
    (store / "env").mkdir()
    done = up.install("lib-b", python=up.py311)
    assert done.returncode == 0, done.stderr
    shutil.rmtree(up.py311.parent.parent)
    done = up.install("lib-a", python=up.py312)
    assert done.returncode == 0, done.stderr
    assert up.env_dir.is_symlink() and os.readlink(up.env_dir) == str(store / "env")
    assert set(installed(store / "env")) >= {"lib-a", "lib-b"}
    assert sorted(p.name for p in up.root.iterdir()) == [".venv", "pyproject.toml"]
    assert not [p for p in store.iterdir() if ".safepip-old-" in p.name]


def test_failed_reinstall_keeps_the_old_tree_and_says_what(tmp_path: Path) -> None:
    up = Upgrade(tmp_path)
    assert up.install("lib-b", up.url_wheel.as_uri(), python=up.py311).returncode == 0
    shutil.rmtree(up.py311.parent.parent)
    up.url_wheel.unlink()  # the URL it came from is gone
    done = up.install("lib-a", python=up.py312)
    assert done.returncode == 73, done.stderr
    assert "url-lib 3.0 (from file://" in done.stderr and "could not reinstall 1 of 3" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    kept = [p for p in up.root.iterdir() if ".safepip-old-" in p.name]
    assert len(kept) == 1 and list(kept[0].glob("lib/python3.11/site-packages/url_lib-3.0.dist-info"))
    assert set(installed(up.env_dir)) >= {"lib-a", "lib-b"}
    again = up.install("lib-a", python=up.py312)  # the next call goes on: the env is whole
    assert again.returncode == 0, again.stderr


#: safepip's install, killed (``os._exit``: no clean-up runs, as with SIGKILL) at the moment a
#: rebuild has made the new environment, which its creation marks complete, and has not yet
#: marked it restoring: the widest of the kill test's windows to hit by chance.
_KILLED_BEFORE_RESTORING = """
import os, sys
from safepip.venv import rebuild
made = rebuild.restore
def restore(old, work, create, *args, mark_restoring, **kwargs):
    def killed(_old):
        os._exit(9)
    return made(old, work, create, *args, mark_restoring=killed, **kwargs)
rebuild.restore = restore
from safepip.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("next_call", ["install", "run", "which"])
def test_killed_between_making_the_new_environment_and_restoring_into_it(tmp_path: Path, next_call: str) -> None:
    """The new environment is complete as a creation, empty as a rebuild: the next call finds
    the old tree still pending and restores it (it once took the new environment as whole, and
    pip installed into it what the command named, the old environment's contents left aside;
    ``safepip run`` ran its command in the empty environment). ``safepip which``, which
    changes nothing, says the environment needs ``safepip repair``, which restores it."""
    up = Upgrade(tmp_path)
    up.populate()
    killed = subprocess.run(
        [str(Path(SAFEPIP).parent / "python"), "-c", _KILLED_BEFORE_RESTORING, "install", *offline(up.house), "lib-a"],
        cwd=up.root, env=up.env(up.py312), capture_output=True, text=True, check=False,
    )
    assert killed.returncode == 9, killed.stderr
    if next_call == "install":
        again = up.install("lib-a", python=up.py312)
    elif next_call == "run":
        # run names no index: the restore reads pip's configuration for it, as install's pip does
        index = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(up.house)}
        again = run_safepip("run", "python", "-B", "-c", "import lib_b, vcs_ed", cwd=up.root, env={**up.env(up.py312), **index})
    else:
        which = run_safepip("which", cwd=up.root, env=up.env(up.py312))
        assert which.returncode != 0 and "its rebuild was interrupted" in which.stderr, which
        assert "safepip repair" in which.stderr
        again = run_safepip("repair", *offline(up.house), cwd=up.root, env=up.env(up.py312))
    assert again.returncode == 0, again.stderr
    up.check_restored()


def _kill_once_the_new_env_runs(proc: subprocess.Popen[bytes], env_dir: Path) -> bool:
    """SIGKILL ``proc``'s session (it leads one) once a process in it runs a program of
    ``env_dir``; return whether it was killed (False: it ended first)."""
    prefix = str(env_dir) + os.sep
    while proc.poll() is None:
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    session = int(handle.read().rsplit(")", 1)[1].split()[3])  # state ppid pgrp session
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    program = handle.read().split(b"\0")[0].decode(errors="replace")
            except (OSError, ValueError, IndexError):
                continue  # not a process, or gone meanwhile
            if session == proc.pid and program.startswith(prefix):
                os.killpg(proc.pid, signal.SIGKILL)
                return True
        time.sleep(0.01)
    return False


def test_kill_during_rebuild_then_the_next_call_restores_everything(tmp_path: Path) -> None:
    seed = int(os.environ.get("SAFEPIP_CRASH_SEED") or int.from_bytes(os.urandom(4), "big"))
    rng = random.Random(seed)
    up = Upgrade(tmp_path)
    up.populate()
    snapshot = tmp_path / "broken.tar"
    with tarfile.open(snapshot, "w") as tar:
        tar.add(up.root, arcname="proj")
    start = time.monotonic()
    done = up.install("lib-a", python=up.py312)
    length = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    killed = 0
    for trial in range(4):
        shutil.rmtree(up.root)
        with tarfile.open(snapshot) as tar:
            tar.extractall(tmp_path)  # noqa: S202 - our own archive
        delay = rng.uniform(0.05, length)
        proc = subprocess.Popen(
            [SAFEPIP, "install", *offline(up.house), "lib-a"], cwd=up.root, env=up.env(up.py312),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        if killed or trial < 3:
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # safepip and the pip it runs
                killed += 1
            when = f"after {delay:.2f}s"
        else:
            # No instant drawn so far hit a run (later runs can be much faster than the measured
            # one when the machine's load drops): the last trial kills mid-rebuild, once a program
            # of the new environment runs (the old tree was moved aside by then).
            killed += _kill_once_the_new_env_runs(proc, up.env_dir)
            when = "once the new environment ran"
        proc.wait()
        again = up.install("lib-a", python=up.py312)
        context = f"seed {seed}, trial {trial}, killed {when}"
        assert again.returncode == 0, f"{context}: {again.stderr}"
        up.check_restored()
        assert not [p for p in up.root.iterdir() if ".safepip-old-" in p.name], context
    assert killed, f"seed {seed}: no run was killed"
