"""``safepip shell-init``: the printed code, run in real shells, makes pip and pip3 call
safepip, puts pip and python launchers first on PATH for make and scripts (not in an active
venv), and sends ``python3 -m pip`` to safepip (the python launchers themselves are
tested in test_python_shims.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import SAFEPIP, SYSTEM_PYTHON, SYSTEM_XY, installed, needs_managed, offline, safepip_env
from inprocess import Cli
from safepip.act import shims
from safepip.commands.shellinit import code

# Each shell gets the same script: load the code, then use pip, pip3 and python -m pip.
SCRIPTS = {
    "bash": 'set -e; alias pip=false; eval "$({safepip} shell-init {options} bash)"; {body}',
    "zsh": 'set -e; alias pip=false; eval "$({safepip} shell-init {options} zsh)"; {body}',
    "fish": "{safepip} shell-init {options} fish | source; {body}",
}
SHELL_NAMES = ["bash", "zsh", "fish"]


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return path


def _run(
    shell: str, body: str, cwd: Path, options: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = SCRIPTS[shell].format(safepip=SAFEPIP, body=body, options=options)
    return subprocess.run(
        [_shell(shell), "-c", script],
        cwd=cwd,
        env=env or safepip_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_pip_and_pip3_are_safepip_and_python_m_pip_only_with_functions(shell: str, tmp_path: Path) -> None:
    done = _run(shell, "pip --version; pip3 --version; python3 -m pip --version", tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["safepip", "pip", "safepip", "pip", "safepip", "pip"]
    plain = _run(shell, "python3 -m pip --version", tmp_path, options="--no-python")
    assert plain.returncode == 0, plain.stderr
    assert [line.split()[0] for line in plain.stdout.splitlines()] == ["pip"]  # python -m pip: pip alone


@needs_managed
@pytest.mark.slow
@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_pip_install_in_a_project_goes_to_its_venv(shell: str, project: Path, wheelhouse: Path) -> None:
    done = _run(shell, f"pip install {' '.join(offline(wheelhouse))} lib-a", project)
    assert done.returncode == 0, done.stderr
    assert f"{SYSTEM_PYTHON} is externally managed (Debian); using {project / '.venv'} (created)" in done.stderr
    assert (project / ".venv").is_dir()


# bash and zsh run under set -e (the init code itself must not fail there).
STATUS = {"bash": "|| echo status $?", "zsh": "|| echo status $?", "fish": "; echo status $status"}


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_exit_codes_and_arguments_pass_through(shell: str, tmp_path: Path) -> None:
    body = f"pip --safepip-policy=never show 'no-such-dist' 'x y' {STATUS[shell]}"
    done = _run(shell, body, tmp_path)
    assert done.stdout.splitlines()[-1] == "status 1", done.stderr
    assert "Package(s) not found: no-such-dist, x y" in done.stderr


def test_paths_with_spaces_and_quotes_are_quoted() -> None:
    exe = "/opt/my tools/it's/safepip"
    bash = code("bash", exe)
    assert "function pip { command '/opt/my tools/it'\"'\"'s/safepip' \"$@\"; }" in bash
    fish = code("fish", exe)
    assert "command '/opt/my tools/it\\'s/safepip' $argv" in fish


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_quoted_path_really_runs(shell: str, tmp_path: Path) -> None:
    odd = tmp_path / "dir with 'quote"
    odd.mkdir()
    (odd / "safepip").symlink_to(SAFEPIP)
    # The code names the safepip it was printed by, so print it through the odd path.
    printed = subprocess.run([str(odd / "safepip"), "shell-init", shell], capture_output=True, text=True, check=True)
    assert str(odd / "safepip") not in printed.stdout  # never unquoted
    script = tmp_path / "init.sh"
    script.write_text(printed.stdout)
    loader = f"source {script}" if shell == "fish" else f". '{script}'"
    done = subprocess.run(
        [_shell(shell), "-c", f"{loader}; pip --version"],
        cwd=tmp_path,
        env=safepip_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("safepip ")


def test_default_shell_from_shell_variable_and_errors(tmp_path: Path, cli: Cli) -> None:
    done = cli("shell-init", cwd=tmp_path, env={"SHELL": "/usr/bin/fish"})
    assert done.returncode == 0
    assert "function pip --wraps pip" in done.stdout
    bad = cli("shell-init", "tcsh", cwd=tmp_path)
    assert bad.returncode == 64
    assert bad.stderr == "safepip: error: safepip shell-init: 'tcsh' is not supported; use bash, zsh or fish\n"
    unset = cli("shell-init", cwd=tmp_path, unset=["SHELL"])
    assert unset.returncode == 64
    assert "$SHELL is not set" in unset.stderr


def _shim_dir(hermetic: dict[str, str]) -> Path:
    return Path(hermetic["XDG_DATA_HOME"]) / "safepip" / "shims"


MAKEFILE = "install:\n\tpip install {options} lib-a\n\t./install.sh\n"
SCRIPT = "#!/bin/sh\nset -e\npip3 install {options} lib-b\n"


@needs_managed
@pytest.mark.slow
@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_make_and_scripts_started_from_the_shell_reach_safepip(
    shell: str, project: Path, wheelhouse: Path, hermetic: dict[str, str]
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed (apt-get install make)")
    options = " ".join(offline(wheelhouse))
    (project / "Makefile").write_text(MAKEFILE.format(options=options))
    script = project / "install.sh"
    script.write_text(SCRIPT.format(options=options))
    script.chmod(0o755)
    done = _run(shell, "make install", project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{SYSTEM_PYTHON} is externally managed (Debian); using {project / '.venv'} (created)" in done.stderr
    assert {"lib-a", "lib-b"} <= set(installed(project / ".venv"))
    shim = _shim_dir(hermetic)
    assert {"pip", "pip3", f"pip{SYSTEM_XY}"} <= {p.name for p in shim.iterdir()}


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_an_active_venv_keeps_its_own_pip(shell: str, tmp_path: Path, hermetic: dict[str, str]) -> None:
    venv = tmp_path / "active"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-setuptools", "--no-periodic-update", str(venv)],
                   check=True, capture_output=True)
    (tmp_path / "Makefile").write_text("show:\n\t@pip --version\n\t@echo PATH=$$PATH\n")
    env = safepip_env(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    done = _run(shell, "make show", tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    first, path = done.stdout.splitlines()
    assert first.startswith("pip ") and str(venv) in first  # the venv's own pip, not safepip
    assert str(_shim_dir(hermetic)) not in path
    assert path == f"PATH={venv / 'bin'}:/usr/bin:/bin"


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_shims_go_first_on_path_once_and_no_shims_leaves_path(
    shell: str, tmp_path: Path, hermetic: dict[str, str]
) -> None:
    again = f'eval "$({SAFEPIP} shell-init {shell})"' if shell != "fish" else f"{SAFEPIP} shell-init fish | source"
    echo = "echo $PATH" if shell != "fish" else 'echo (string join : $PATH)'
    done = _run(shell, f"{again}; {echo}; command -v pip", tmp_path)
    assert done.returncode == 0, done.stderr
    path, pip = done.stdout.splitlines()
    shim = _shim_dir(hermetic)
    assert path == f"{shim}:/usr/bin:/bin"  # loaded twice, listed once
    assert pip in ("pip", str(shim / "pip"))  # the function wins where it is typed
    assert subprocess.run(["sh", "-c", "command -v pip"], env={"PATH": path}, capture_output=True, text=True,
                          check=True).stdout.strip() == str(shim / "pip")
    plain = _run(shell, echo, tmp_path, options="--no-shims")
    assert plain.stdout.strip() == "/usr/bin:/bin"


@needs_managed
@pytest.mark.slow
@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_python3_m_pip_typed_is_redirected_and_nothing_else(shell: str, project: Path, wheelhouse: Path) -> None:
    body = f"python3 -m pip install {' '.join(offline(wheelhouse))} lib-a; python3 -c 'import sys; print(sys.prefix)'"
    done = _run(shell, body, project)
    assert done.returncode == 0, done.stderr
    assert f"{SYSTEM_PYTHON} is externally managed (Debian); using {project / '.venv'} (created)" in done.stderr
    assert "lib-a" in installed(project / ".venv")
    # python3 -c ran python3 itself: the project's environment now (the shell activated it after pip,
    # and the python3 launcher runs it too)
    assert done.stdout.splitlines()[-1] == str(project / ".venv")
    plain = _run(shell, "python3 -c 'import sys; print(sys.prefix)'", project, options="--no-activate --no-python")
    assert plain.stdout.splitlines()[-1] == "/usr"
    versioned = _run(shell, f"python{SYSTEM_XY} -m pip --version; python{SYSTEM_XY} -V", project)
    assert versioned.returncode == 0, versioned.stderr
    assert [line.split()[0] for line in versioned.stdout.splitlines()] == ["safepip", "pip", "Python"]


def test_shims_never_overwrite_what_safepip_did_not_write(tmp_path: Path, hermetic: dict[str, str], cli: Cli) -> None:
    shim = _shim_dir(hermetic)
    shim.mkdir(parents=True)
    (shim / "pip").write_text("#!/bin/sh\necho mine\n")
    stale = shim / "pip3.99"
    stale.write_text(shims.launcher_text("/old/safepip", "python3.99"))
    other = shim / "pip3.98"
    other.write_text("#!/bin/sh\necho also mine\n")
    done = cli("shell-init", "bash", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"safepip: warning: {shim / 'pip'} was not written by safepip: left as it is\n"
    assert (shim / "pip").read_text() == "#!/bin/sh\necho mine\n"
    assert not stale.exists()  # ours, for a Python no longer on PATH
    assert other.read_text() == "#!/bin/sh\necho also mine\n"
    assert shims.is_ours(str(shim / "pip3"))
    before = {p.name: p.stat().st_mtime_ns for p in shim.iterdir()}
    assert cli("shell-init", "bash", cwd=tmp_path).returncode == 0
    assert {p.name: p.stat().st_mtime_ns for p in shim.iterdir()} == before  # current: nothing rewritten


def test_shim_of_a_moved_safepip_says_so(tmp_path: Path) -> None:
    launcher = tmp_path / "pip"
    launcher.write_text(shims.launcher_text(str(tmp_path / "gone" / "safepip")))
    launcher.chmod(0o755)
    done = subprocess.run([str(launcher), "install", "x"], capture_output=True, text=True, check=False)
    assert done.returncode == 127
    assert done.stderr.startswith(f"safepip: error: {launcher} runs {tmp_path / 'gone' / 'safepip'}, which is gone")


def test_no_shims_makes_no_directory(tmp_path: Path, hermetic: dict[str, str], cli: Cli) -> None:
    done = cli("shell-init", "--no-shims", "--no-python", "--no-activate", "zsh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not _shim_dir(hermetic).exists()
    assert "PATH" not in done.stdout and "python" not in done.stdout.replace("python -m pip", "")
    activating = cli("shell-init", "--no-shims", "--no-python", "zsh", cwd=tmp_path)
    assert activating.returncode == 0, activating.stderr
    assert not _shim_dir(hermetic).exists()
    assert "__safepip_on" in activating.stdout and str(_shim_dir(hermetic)) not in activating.stdout
    assert os.path.basename(SAFEPIP) in done.stdout


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_rc_prints_the_line_that_loads_it_by_absolute_path(shell: str, tmp_path: Path) -> None:
    from safepip.commands.shellrc import rc_line

    printed = subprocess.run([SAFEPIP, "shell-init", "--rc", shell], capture_output=True, text=True, check=False,
                             env=safepip_env())
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == rc_line(shell, SAFEPIP) + "\n"
    # With nothing on PATH that leads to safepip, the line still loads the code.
    probe = "type -t pip" if shell == "bash" else "whence -w pip" if shell == "zsh" else "functions -q pip; and echo fn"
    done = subprocess.run([_shell(shell), "-c", f"{printed.stdout}{probe}"], cwd=tmp_path, capture_output=True,
                          text=True, check=False, env=safepip_env(PATH="/usr/bin:/bin"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(("function", "fn")), done.stdout
