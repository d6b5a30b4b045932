"""Outside a project, every requirement lands where its user will use it: a library's commands
on PATH, applications in pipx, pip in the per-user environment; explain agrees; list and
freeze show what the user put there; half-done pipx installs are redone; scratch is swept.

Offline against Debian's managed /usr/bin/python3, every home and pipx directory in tmp_path
(as root pipx works in --global mode: PIPX_GLOBAL_* in tmp_path).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers import SYSTEM_XY, installed, needs_managed, offline, run_safepip, safepip_env
from inprocess import Cli
from outsidedirs import pipx_home, user_env
from wheels import make_wheel

pytestmark = [needs_managed, pytest.mark.slow]


@pytest.fixture
def env(pipx_dirs: dict[str, str], bin_dir: Path) -> dict[str, str]:
    return safepip_env(**pipx_dirs, PATH=f"{bin_dir}:/usr/bin:/bin")


@pytest.fixture
def house(wheelhouse: Path) -> Path:
    """lib-a, lib-b, app-c, and tool-lib: a library whose command is not named after it (numpy's f2py)."""
    make_wheel(wheelhouse, "tool-lib", "1.0", scripts={"tool-f2py": "tool_lib:main"})
    return wheelhouse


def explained(house: Path, *reqs: str, cwd: Path, env: dict[str, str]) -> dict[str, str]:
    done = run_safepip("explain", "--json", "install", *offline(house), *reqs, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return {r["requirement"]: r["to"] for r in json.loads(done.stdout)["requirements"]}


def test_a_library_with_a_command_is_importable_and_its_command_on_path(
    tmp_path: Path, elsewhere: Path, house: Path, env: dict[str, str], bin_dir: Path, live: Cli
) -> None:
    assert explained(house, "tool-lib", cwd=elsewhere, env=env) == {"tool-lib": "user-env"}
    assert not user_env(tmp_path).exists()  # explain installs nothing
    done = live("install", *offline(house), "tool-lib", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "tool-lib -> " in done.stderr and "a library: its commands (tool-f2py) are not named after it" in done.stderr
    assert "--safepip-apps=pipx" in done.stderr  # how to send it the other way
    runs = live("run", "python", "-c", "import tool_lib; print(tool_lib.VERSION)", cwd=elsewhere, env=env)
    assert runs.returncode == 0, runs.stderr
    assert runs.stdout.strip() == "1.0"
    link = bin_dir / "tool-f2py"
    assert link.is_symlink()
    assert os.readlink(link) == str(user_env(tmp_path) / "bin" / "tool-f2py")
    found = subprocess.run(["tool-f2py"], capture_output=True, text=True, env=env, check=True)
    assert found.stdout.strip() == "tool-lib 1.0"
    assert not (bin_dir / "pip").exists() and not (bin_dir / "python").exists()

    gone = live("uninstall", "-y", "tool-lib", cwd=elsewhere, env=env)
    assert gone.returncode == 0, gone.stderr
    assert not link.exists() and not link.is_symlink()
    assert "removed the link" in gone.stderr


def test_a_file_safepip_did_not_make_is_never_replaced(
    elsewhere: Path, house: Path, env: dict[str, str], bin_dir: Path, live: Cli
) -> None:
    bin_dir.mkdir(parents=True)
    mine = bin_dir / "tool-f2py"
    mine.write_text("#!/bin/sh\necho mine\n")
    done = live("install", *offline(house), "tool-lib", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert mine.read_text() == "#!/bin/sh\necho mine\n"
    assert "not linking tool-f2py" in done.stderr and "safepip did not make it" in done.stderr
    gone = live("uninstall", "-y", "tool-lib", cwd=elsewhere, env=env)
    assert gone.returncode == 0, gone.stderr
    assert mine.exists()


def test_only_named_distributions_get_their_commands_linked(
    elsewhere: Path, house: Path, env: dict[str, str], bin_dir: Path, live: Cli
) -> None:
    make_wheel(house, "uses-tool", "1.0", requires=["tool-lib"], scripts={"uses-tool-cli": "uses_tool:main"})
    done = live("install", *offline(house), "uses-tool", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert (bin_dir / "uses-tool-cli").is_symlink()
    assert not (bin_dir / "tool-f2py").exists()  # a dependency's command stays in the environment


def test_an_application_goes_to_pipx_and_explain_agrees(
    tmp_path: Path, elsewhere: Path, house: Path, env: dict[str, str], bin_dir: Path, live: Cli
) -> None:
    assert explained(house, "app-c", "tool-lib", cwd=elsewhere, env=env) == {"app-c": "pipx", "tool-lib": "user-env"}
    done = live("install", *offline(house), "app-c", "tool-lib", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "app-c -> pipx" in done.stderr and "--safepip-apps=user-env" in done.stderr
    assert "app-c" not in installed(user_env(tmp_path))
    assert installed(user_env(tmp_path))["tool-lib"] == "1.0"
    app = bin_dir / "app-c"
    assert app.exists()
    assert not app.is_symlink() or str(user_env(tmp_path)) not in os.readlink(app)  # pipx's, not the user env's


def test_apps_flag_sends_an_application_to_the_user_env(
    tmp_path: Path, elsewhere: Path, house: Path, env: dict[str, str], bin_dir: Path, live: Cli
) -> None:
    flag = "--safepip-apps=user-env"
    done = live("explain", "--json", flag, "install", *offline(house), "app-c", cwd=elsewhere, env=env)
    assert [r["to"] for r in json.loads(done.stdout)["requirements"]] == ["user-env"]
    done = live(flag, "install", *offline(house), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert installed(user_env(tmp_path))["app-c"] == "0.5"
    assert os.readlink(bin_dir / "app-c") == str(user_env(tmp_path) / "bin" / "app-c")


def pip_wheel(house: Path) -> None:
    from virtualenv.seed.wheels.embed import get_embed_wheel

    wheel = get_embed_wheel("pip", SYSTEM_XY)
    assert wheel is not None
    shutil.copy(str(wheel.path), house)


def test_upgrading_pip_touches_only_the_user_env(
    tmp_path: Path, elsewhere: Path, house: Path, env: dict[str, str], bin_dir: Path, pipx_dirs: dict[str, str], live: Cli
) -> None:
    pip_wheel(house)
    assert explained(house, "-U", "pip", cwd=elsewhere, env=env) == {"pip": "user-env"}
    done = live("install", "-U", *offline(house), "pip", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "pip -> " in done.stderr and "environment's own tool" in done.stderr
    assert "pip" in installed(user_env(tmp_path))
    assert not any(Path(pipx_dirs[k]).exists() for k in pipx_dirs if "BIN" not in k)  # pipx never ran
    assert not bin_dir.exists() or not any(p.name.startswith("pip") for p in bin_dir.iterdir())


def test_list_and_freeze_show_only_what_the_user_put_there(
    elsewhere: Path, house: Path, env: dict[str, str], live: Cli
) -> None:
    done = live("install", *offline(house), "lib-b", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "classify-" not in done.stdout and "safepip" not in done.stdout
    frozen = live("freeze", cwd=elsewhere, env=env)
    assert frozen.returncode == 0, frozen.stderr
    assert frozen.stdout.splitlines() == ["lib-a==1.0", "lib-b==2.0"]
    listed = live("list", "--format=freeze", cwd=elsewhere, env=env)
    assert sorted(listed.stdout.splitlines()) == ["lib-a==1.0", "lib-b==2.0", f"pip=={pip_version(elsewhere, env)}"]


def pip_version(cwd: Path, env: dict[str, str]) -> str:
    done = run_safepip("run", "python", "-c", "import pip; print(pip.__version__)", cwd=cwd, env=env)
    return done.stdout.strip()


def pipx_venv(pipx_dirs: dict[str, str], name: str) -> Path:
    return pipx_home(pipx_dirs) / "venvs" / name


@pytest.mark.parametrize("damage", ["metadata", "command"])
def test_a_half_done_pipx_install_is_done_again(
    elsewhere: Path, house: Path, env: dict[str, str], bin_dir: Path, pipx_dirs: dict[str, str], damage: str, live: Cli
) -> None:
    done = live("install", *offline(house), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    metadata = pipx_venv(pipx_dirs, "app-c") / "pipx_metadata.json"
    assert metadata.exists()
    if damage == "metadata":
        metadata.unlink()  # where a kill between pipx's venv and its metadata leaves it
    else:
        (bin_dir / "app-c").unlink()
    again = live("install", *offline(house), "app-c", cwd=elsewhere, env=env)
    assert again.returncode == 0, again.stderr
    assert "pipx's install of app-c is incomplete" in again.stderr
    assert metadata.exists()
    assert subprocess.run([str(bin_dir / "app-c")], capture_output=True, text=True, check=True).stdout.strip() == \
        "app-c 0.5"


def test_old_scratch_directories_are_swept(tmp_path: Path, elsewhere: Path, house: Path, env: dict[str, str], live: Cli) -> None:
    downloads = tmp_path / "xdg-cache" / "safepip" / "downloads"
    old = downloads / "classify-old"
    fresh = downloads / "classify-fresh"
    mine = downloads / "not-safepips"
    for directory in (old, fresh, mine):
        directory.mkdir(parents=True)
        (directory / "x.whl").write_text("x")
    past = time.time() - 2 * 3600
    for path in (old, mine):
        os.utime(path, (past, past))
    done = live("install", *offline(house), "lib-a", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert not old.exists()
    assert fresh.exists() and mine.exists()
    assert sorted(p.name for p in downloads.iterdir()) == ["classify-fresh", "not-safepips"]


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_scratch_is_removed_on_signals(tmp_path: Path, elsewhere: Path, env: dict[str, str], signame: str) -> None:
    import signal
    import socket

    from helpers import SAFEPIP

    # An index that accepts connections and never answers: the classification waits there.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        index = f"http://127.0.0.1:{silent.getsockname()[1]}/simple/"
        downloads = tmp_path / "xdg-cache" / "safepip" / "downloads"
        proc = subprocess.Popen([SAFEPIP, "install", "--index-url", index, "lib-a"], cwd=elsewhere,
                                env={**env, "PIP_DEFAULT_TIMEOUT": "60", "PIP_RETRIES": "0"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        connection = None
        try:
            # Something connected to the index and the scratch is made: the classification is
            # under way. Conditions, not time: the limits are only upper bounds for a loaded machine.
            silent.settimeout(300)
            connection, _ = silent.accept()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and not (downloads.exists() and any(downloads.iterdir())):
                time.sleep(0.05)
            assert downloads.exists() and any(downloads.iterdir())
            proc.send_signal(getattr(signal, signame))
            _, err = proc.communicate(timeout=300)
        finally:
            if connection is not None:
                connection.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()  # a failure here must not leave open pipes for the next test's warnings
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert list(downloads.iterdir()) == []


def run_pyz(python: Path | str, pyz: Path, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-I", str(pyz), *args], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def test_from_the_zipapp_on_a_python_without_pip_or_venv(
    tmp_path: Path, elsewhere: Path, house: Path, pipx_dirs: dict[str, str], bin_dir: Path, pyz: Path,
    bare_python: Path,
) -> None:
    env = safepip_env(**pipx_dirs, PATH=f"{bin_dir}:{bare_python.parent}:/usr/bin:/bin")
    done = run_pyz(bare_python, pyz, "explain", "--json", "install", *offline(house), "tool-lib", "app-c",
                   cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    routes = {r["requirement"]: (r["to"], r["link_commands"]) for r in json.loads(done.stdout)["requirements"]}
    # Classified with safepip's own pip (the target has none); pipx cannot make environments
    # without the venv module, so the application goes the cheap way: the per-user environment.
    assert routes == {"tool-lib": ("user-env", True), "app-c": ("user-env", True)}
    done = run_pyz(bare_python, pyz, "install", *offline(house), "tool-lib", "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "apt install python3-venv" in done.stderr
    for command, output in (("tool-f2py", "tool-lib 1.0"), ("app-c", "app-c 0.5")):
        assert subprocess.run([command], capture_output=True, text=True, env=env, check=True).stdout.strip() == output
    runs = run_pyz(bare_python, pyz, "run", "python", "-c", "import tool_lib", cwd=elsewhere, env=env)
    assert runs.returncode == 0, runs.stderr


def test_from_the_zipapp_an_application_goes_to_its_pipx(
    elsewhere: Path, house: Path, pipx_dirs: dict[str, str], bin_dir: Path, pyz: Path,
) -> None:
    from helpers import SYSTEM_PYTHON

    env = safepip_env(**pipx_dirs, PATH=f"{bin_dir}:/usr/bin:/bin")
    done = run_pyz(SYSTEM_PYTHON, pyz, "install", *offline(house), "app-c", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "app-c -> pipx" in done.stderr
    assert (pipx_venv(pipx_dirs, "app-c") / "pipx_metadata.json").exists()  # the pipx the archive carries
    assert subprocess.run(["app-c"], capture_output=True, text=True, env=env, check=True).stdout.strip() == "app-c 0.5"


def test_the_user_env_gets_the_same_repair_as_a_project_env(
    tmp_path: Path, elsewhere: Path, house: Path, env: dict[str, str], live: Cli
) -> None:
    assert live("install", *offline(house), "lib-b", cwd=elsewhere, env=env).returncode == 0
    (info,) = user_env(tmp_path).glob("lib/python*/site-packages/lib_a-1.0.dist-info")
    (info / "RECORD").unlink()  # where a pip killed before it wrote RECORD leaves it
    make_wheel(house, "lib-a", "1.1")
    again = live("install", "-U", *offline(house), "lib-a", cwd=elsewhere, env=env)
    assert again.returncode == 0, again.stderr
    assert "half-installed" in again.stderr
    assert installed(user_env(tmp_path))["lib-a"] == "1.1"
