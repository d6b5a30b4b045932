"""Outside a project: applications to pipx, libraries to the per-user environment; root and sudo.

The integration tests run the real console script against Debian's managed /usr/bin/python3,
offline, with HOME, XDG and every PIPX_* directory in tmp_path. As root (this suite's usual
CI), pipx works in its --global mode (PIPX_GLOBAL_*); SAFEPIP_ALLOW_ROOT=1 makes root an
ordinary user (PIPX_HOME, PIPX_BIN_DIR).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from helpers import SYSTEM_PYTHON, installed, needs_managed, offline, safepip_env, venv_python
from inprocess import Cli
from outsidedirs import ROOT, commands_dir, pipx_home, user_env
from safepip import pipx
from safepip.facts.classify import download_options, gather, is_bare
from safepip.facts.pipargs import scan
from wheels import make_wheel

# -- units: pip options to pipx, wheels to kinds ------------------------------------------------


def test_pipx_options_map_index_options_and_pass_the_rest_through(tmp_path: Path) -> None:
    constraints = tmp_path / "c.txt"
    constraints.write_text("")
    call = scan(["install", "-q", "-i", "https://idx/simple", "--extra-index-url", "https://x/simple", "--pre",
                 "-c", str(constraints), "--no-index", "-f", "https://links/", "--user", "-U", "black[d]>=23"])
    own, pip_args = pipx.options(call)
    assert own == ["--quiet", "--index-url", "https://idx/simple", "--skip-maintenance"]
    assert pip_args == ["--extra-index-url=https://x/simple", "--pre", f"--constraint={constraints}",
                        "--no-index", "--find-links=https://links/"]
    argv = pipx.install_argv(["pipx"], "black[d]>=23", "/usr/bin/python3", call, global_mode=True)
    assert argv[:4] == ["pipx", "install", "--python", "/usr/bin/python3"]
    assert "--global" in argv
    assert argv[-1] == "black[d]>=23"
    pip_arg = next(a for a in argv if a.startswith("--pip-args="))
    assert pip_arg.startswith("--pip-args=--extra-index-url=https://x/simple --pre")


def test_pipx_relative_paths_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wheels").mkdir()
    monkeypatch.chdir(tmp_path)
    _, pip_args = pipx.options(scan(["install", "--find-links", "wheels", "x"]))
    assert pip_args == [f"--find-links={tmp_path / 'wheels'}"]


def test_pipx_upgrade_and_force() -> None:
    call = scan(["install", "-U", "--force-reinstall", "--pre", "app"])
    assert pipx.upgrade_argv(["pipx"], "app", call, global_mode=False) == ["pipx", "upgrade", "--pip-args=--pre", "app"]
    assert "--force" in pipx.install_argv(["pipx"], "app", "/py", call, global_mode=False)


def test_download_options_keep_what_selects_files() -> None:
    call = scan(["install", "-q", "--no-index", "-f", "/w", "-r", "req.txt", "--pre", "--no-deps", "--user", "a"])
    assert download_options(call) == ["--no-index", "--find-links=/w", "--pre"]


@pytest.mark.parametrize(("argv", "drop", "expected"), [
    (["install", "-f", "lib-a", "lib-a", "app-c"], [1], ["install", "-f", "lib-a", "lib-a"]),
    (["--log", "install", "install", "a", "b"], [0], ["--log", "install", "install", "b"]),
    (["install", "-qU", "x", "--", "-y"], [1], ["install", "-qU", "x", "--"]),
])
def test_without_positionals_removes_by_position(argv: list[str], drop: list[int], expected: list[str]) -> None:
    assert scan(argv).without_positionals(drop) == expected


def test_is_bare() -> None:
    assert is_bare("black")
    assert not is_bare("black>=23")
    assert not is_bare("black[d]")
    assert not is_bare("./black")


@needs_managed
def test_gather_facts_offline(tmp_path: Path, wheelhouse: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    pip = [SYSTEM_PYTHON, "-m", "pip"]
    reqs = ["lib-b", "app-c==0.5", "nothere", str(wheelhouse / "app_c-0.5-py3-none-any.whl"), "./somewhere"]
    facts = gather(reqs, pip, SYSTEM_PYTHON, offline(wheelhouse), str(scratch), safepip_env())
    assert [f.name for f in facts] == ["lib-b", "app-c", "nothere", "app-c", None]
    assert facts[0].meta is not None and facts[0].meta.scripts == ()
    assert facts[1].meta is not None and facts[1].meta.console == ("app-c",)
    assert facts[1].how == "file"
    assert facts[2].meta is None and "could not resolve" in facts[2].unknown
    assert facts[3].meta is not None and facts[3].meta.console == ("app-c",)
    assert facts[4].meta is None and facts[4].unknown == "a path or URL"


# -- integration ------------------------------------------------------------------------------


def notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("safepip:")]


def app_output(command: Path) -> str:
    return subprocess.run([str(command)], capture_output=True, text=True, check=True).stdout.strip()


def imports(python: str, module: str) -> bool:
    return subprocess.run([python, "-I", "-c", f"import {module}"], capture_output=True, check=False).returncode == 0


@needs_managed
@pytest.mark.slow
def test_library_goes_to_the_user_env_with_system_site_packages(tmp_path: Path, elsewhere: Path,
                                                                 wheelhouse: Path, pipx_dirs: dict[str, str], live: Cli) -> None:
    env = {**pipx_dirs}
    done = live("install", *offline(wheelhouse), "lib-b", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    target = user_env(tmp_path)
    assert installed(target)["lib-b"] == "2.0"
    assert installed(target)["lib-a"] == "1.0"
    assert imports(venv_python(target), "lib_b")
    assert not imports(SYSTEM_PYTHON, "lib_b")
    route, line = notices(done.stderr)
    assert route.startswith("safepip: lib-b -> ") and "a library: it declares no commands" in route
    assert "outside any project" in line
    assert f"using {target} (created)" in line
    assert f"{target}/bin/python" in line
    assert "`safepip run COMMAND`" in line and "`safepip shell-init`" in line
    # The distribution's own packages stay importable beside the user's.
    site = subprocess.run([SYSTEM_PYTHON, "-I", "-c", "import site, json; print(json.dumps(site.getsitepackages()))"],
                          capture_output=True, text=True, check=True)
    env_path = subprocess.run([venv_python(target), "-c", "import sys, json; print(json.dumps(sys.path))"],
                              capture_output=True, text=True, check=True)
    for directory in json.loads(site.stdout):
        if os.path.isdir(directory):
            assert directory in json.loads(env_path.stdout)
    assert "include-system-site-packages = true" in (target / "pyvenv.cfg").read_text()

    listed = live("list", cwd=elsewhere, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "lib-b" in listed.stdout
    assert "safepip: no applications installed with pipx" in listed.stderr

    gone = live("uninstall", "-y", "lib-b", cwd=elsewhere, env=env)
    assert gone.returncode == 0, gone.stderr
    assert "lib-b" not in installed(target)
    assert "lib-a" in installed(target)


@needs_managed
@pytest.mark.slow
def test_application_goes_to_pipx_and_runs(tmp_path: Path, elsewhere: Path, wheelhouse: Path,
                                           pipx_dirs: dict[str, str], live: Cli) -> None:
    env = {**pipx_dirs}
    done = live("install", *offline(wheelhouse), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    bin_dir = commands_dir(pipx_dirs)
    runs = subprocess.run([str(bin_dir / "app-c")], capture_output=True, text=True, check=True)
    assert runs.stdout.strip() == "app-c 0.5"
    assert "app-c -> pipx" in done.stderr
    assert "an application: it has the command app-c" in done.stderr
    assert f"commands are in {bin_dir}, which is not on PATH" in done.stderr
    assert not user_env(tmp_path).exists()  # nothing went to the per-user environment
    # The app's environment is made from the target interpreter.
    home = pipx_home(pipx_dirs)
    assert "home = /usr/bin" in (home / "venvs" / "app-c" / "pyvenv.cfg").read_text()

    listed = live("list", cwd=elsewhere, env=env)
    assert "safepip: applications installed with pipx:" in listed.stderr
    assert "app-c 0.5" in listed.stdout.splitlines()
    assert "applications installed with pipx" not in listed.stdout

    gone = live("uninstall", "-y", "app-c", cwd=elsewhere, env=env)
    assert gone.returncode == 0, gone.stderr
    assert "app-c was installed with pipx: uninstalling it with pipx" in gone.stderr
    assert not (bin_dir / "app-c").exists()


@needs_managed
@pytest.mark.slow
def test_root_with_allow_root_uses_its_own_pipx_and_upgrades(tmp_path: Path, elsewhere: Path, wheelhouse: Path,
                                                              pipx_dirs: dict[str, str], live: Cli) -> None:
    env = {**pipx_dirs, "SAFEPIP_ALLOW_ROOT": "1"}
    done = live("install", *offline(wheelhouse), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    bin_dir = Path(pipx_dirs["PIPX_BIN_DIR"])
    assert (bin_dir / "app-c").exists()
    assert not Path(pipx_dirs["PIPX_GLOBAL_BIN_DIR"]).exists()
    assert "pipx ensurepath" in done.stderr

    make_wheel(wheelhouse, "app-c", "0.6", scripts={"app-c": "app_c:main"})
    again = live("install", *offline(wheelhouse), "app-c", cwd=elsewhere, env=env)
    assert again.returncode == 0, again.stderr
    assert app_output(bin_dir / "app-c") == "app-c 0.5"
    upgraded = live("install", "-U", *offline(wheelhouse), "app-c", cwd=elsewhere, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert app_output(bin_dir / "app-c") == "app-c 0.6"


@needs_managed
@pytest.mark.slow
def test_mixed_command_sends_each_part_to_its_place_and_reports_failures(
    tmp_path: Path, elsewhere: Path, wheelhouse: Path, pipx_dirs: dict[str, str], live: Cli
) -> None:
    make_wheel(wheelhouse, "app-broken", "1.0", requires=["not-anywhere"], scripts={"app-broken": "app_broken:main"})
    env = {**pipx_dirs}
    done = live("install", *offline(wheelhouse), "lib-a", "app-c", "app-broken", cwd=elsewhere, env=env)
    assert done.returncode != 0
    assert installed(user_env(tmp_path))["lib-a"] == "1.0"
    assert "app-c" not in installed(user_env(tmp_path))
    bin_dir = commands_dir(pipx_dirs)
    assert app_output(bin_dir / "app-c") == "app-c 0.5"
    summary = notices(done.stderr)[-1]
    assert summary.startswith("safepip: error: done: lib-a -> ")
    assert "app-c -> pipx" in summary
    assert "failed: app-broken -> pipx" in summary


@needs_managed
@pytest.mark.slow
def test_users_own_pipx_on_path_is_preferred(tmp_path: Path, elsewhere: Path, wheelhouse: Path,
                                             pipx_dirs: dict[str, str], live: Cli) -> None:
    import sys

    tools = tmp_path / "tools"
    tools.mkdir()
    log = tmp_path / "pipx.log"
    wrapper = tools / "pipx"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {sys.executable} -m pipx "$@"\n')
    wrapper.chmod(0o755)
    env = {**pipx_dirs, "SAFEPIP_ALLOW_ROOT": "1", "PATH": f"{tools}:/usr/bin:/bin"}
    done = live("install", *offline(wheelhouse), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    expected = f"install --python {SYSTEM_PYTHON} --skip-maintenance --pip-args=--no-index"
    assert any(c.startswith(expected) for c in calls)
    assert (Path(pipx_dirs["PIPX_BIN_DIR"]) / "app-c").exists()
    assert f"commands are in {pipx_dirs['PIPX_BIN_DIR']}, which is not on PATH" in done.stderr


@needs_managed
@pytest.mark.slow
def test_apps_user_env_puts_applications_in_the_user_env(tmp_path: Path, elsewhere: Path, wheelhouse: Path,
                                                         pipx_dirs: dict[str, str], live: Cli) -> None:
    env = {**pipx_dirs, "SAFEPIP_APPS": "user-env"}
    done = live("install", *offline(wheelhouse), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert (user_env(tmp_path) / "bin" / "app-c").exists()
    assert "app-c -> " in done.stderr and "apps = user-env" in done.stderr
    assert not any(Path(pipx_dirs[k]).exists() for k in pipx_dirs if "BIN" not in k)  # pipx never ran
    bin_dir = commands_dir(pipx_dirs)
    assert app_output(bin_dir / "app-c") == "app-c 0.5"  # linked onto PATH from the per-user environment


@needs_managed
def test_undecided_requirement_is_said_and_treated_as_a_library(tmp_path: Path, elsewhere: Path,
                                                                 wheelhouse: Path, pipx_dirs: dict[str, str], live: Cli) -> None:
    env = {**pipx_dirs}
    done = live("install", *offline(wheelhouse), "nothere", cwd=elsewhere, env=env)
    assert done.returncode == 1  # pip's own failure, from the per-user environment
    assert "cannot tell whether it is an application (pip could not resolve it" in done.stderr
    assert "treated as a library" in done.stderr
    assert "No matching distribution found for nothere" in done.stderr


@needs_managed
def test_outside_refuse_still_refuses(elsewhere: Path, wheelhouse: Path, live: Cli) -> None:
    done = live("install", *offline(wheelhouse), "lib-a", cwd=elsewhere,
                       env={"SAFEPIP_OUTSIDE": "refuse"})
    assert done.returncode == 69
    assert "not inside a project" in done.stderr


@needs_managed
def test_list_before_any_install(elsewhere: Path, tmp_path: Path, pipx_dirs: dict[str, str], live: Cli) -> None:
    done = live("list", cwd=elsewhere, env={**pipx_dirs})
    assert done.returncode == 0, done.stderr
    assert "no per-user environment yet" in done.stderr
    assert not user_env(tmp_path).exists()


# -- root and sudo ----------------------------------------------------------------------------

needs_root = pytest.mark.skipif(not ROOT, reason="the sudo rules are tested as root, with a test user")


@pytest.fixture
def test_user() -> Iterator[tuple[str, int]]:
    """A throw-away user account, removed afterwards."""
    if shutil.which("useradd") is None:
        pytest.skip("no useradd on this system")
    name = f"sptest{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        import pwd

        yield name, pwd.getpwnam(name).pw_uid
    finally:
        subprocess.run(["userdel", name], check=False)


def chown_tree(path: Path, uid: int) -> None:
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), uid, uid)
    os.chown(path, uid, uid)


@needs_managed
@needs_root
def test_sudo_in_another_users_project_is_refused(project: Path, wheelhouse: Path,
                                                   test_user: tuple[str, int], live: Cli) -> None:
    name, uid = test_user
    chown_tree(project, uid)
    env = {"SUDO_UID": str(uid), "SUDO_USER": name, "SUDO_GID": str(uid)}
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project / "src", env=env)
    assert done.returncode == 77, done.stderr
    (line,) = notices(done.stderr)
    assert line.startswith(f"safepip: error: refusing to install with sudo in {project}, which belongs to {name}")
    assert "without sudo" in line
    assert "SAFEPIP_ALLOW_ROOT=1" in line
    assert "Traceback" not in done.stderr
    assert not (project / ".venv").exists()


@needs_managed
@needs_root
@pytest.mark.slow
def test_allow_root_lifts_the_refusal(project: Path, wheelhouse: Path, test_user: tuple[str, int], live: Cli) -> None:
    name, uid = test_user
    chown_tree(project, uid)
    env = {"SUDO_UID": str(uid), "SUDO_USER": name, "SAFEPIP_ALLOW_ROOT": "1"}
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(project / ".venv")


@needs_managed
@needs_root
@pytest.mark.slow
def test_root_in_a_root_owned_directory_works_and_says_how_to_reach_the_env(project: Path, wheelhouse: Path, live: Cli) -> None:
    done = live("install", *offline(wheelhouse), "lib-a", cwd=project)
    assert done.returncode == 0, done.stderr
    venv = project / ".venv"
    assert f"reach it as {venv}/bin/python, or with PATH={venv}/bin:$PATH" in done.stderr
    assert "lib-a" in installed(venv)


@needs_managed
@needs_root
def test_root_with_a_pipx_without_global_mode_is_refused_before_anything_is_done(
    tmp_path: Path, elsewhere: Path, wheelhouse: Path, pipx_dirs: dict[str, str], live: Cli
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    old_pipx = tools / "pipx"  # answers like a pipx older than 1.5: no --global anywhere
    old_pipx.write_text("#!/bin/sh\necho 'usage: pipx install [-h] [--force] package_spec'\n")
    old_pipx.chmod(0o755)
    env = {**pipx_dirs, "PATH": f"{tools}:/usr/bin:/bin"}
    done = live("install", *offline(wheelhouse), "lib-a", "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 77, done.stderr
    assert "pipx's --global mode" in done.stderr
    assert "Traceback" not in done.stderr
    assert not user_env(tmp_path).exists()  # the library part did not run either


@needs_managed
def test_uninstall_of_something_not_installed_anywhere(elsewhere: Path, tmp_path: Path,
                                                       pipx_dirs: dict[str, str], live: Cli) -> None:
    done = live("uninstall", "-y", "lib-a", cwd=elsewhere, env={**pipx_dirs})
    assert done.returncode == 0, done.stderr
    assert "skipping lib-a: not installed with pipx, and there is no per-user environment yet" in done.stderr
    assert not user_env(tmp_path).exists()
