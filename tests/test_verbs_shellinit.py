"""``safepip shell-init``: the printed code, run in real shells, makes pip and pip3 call
safepip and leaves ``python -m pip`` alone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import SAFEPIP, SYSTEM_PYTHON, needs_managed, offline, run_safepip, safepip_env
from safepip.commands.shellinit import code

# Each shell gets the same script: load the code, then use pip, pip3 and python -m pip.
SCRIPTS = {
    "bash": 'set -e; alias pip=false; eval "$({safepip} shell-init bash)"; {body}',
    "zsh": 'set -e; alias pip=false; eval "$({safepip} shell-init zsh)"; {body}',
    "fish": "{safepip} shell-init fish | source; {body}",
}


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return path


def _run(shell: str, body: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = SCRIPTS[shell].format(safepip=SAFEPIP, body=body)
    return subprocess.run(
        [_shell(shell), "-c", script],
        cwd=cwd,
        env=safepip_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_pip_and_pip3_are_safepip_and_python_m_pip_is_not(shell: str, tmp_path: Path) -> None:
    done = _run(shell, "pip --version; pip3 --version; python3 -m pip --version", tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("safepip ")
    assert lines[1].startswith("pip ")
    assert lines[2].startswith("safepip ")
    assert lines[3].startswith("pip ")
    assert lines[4].startswith("pip ")  # python -m pip: pip alone
    assert len(lines) == 5


@needs_managed
@pytest.mark.slow
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_pip_install_in_a_project_goes_to_its_venv(shell: str, project: Path, wheelhouse: Path) -> None:
    done = _run(shell, f"pip install {' '.join(offline(wheelhouse))} lib-a", project)
    assert done.returncode == 0, done.stderr
    assert f"{SYSTEM_PYTHON} is externally managed (Debian); using {project / '.venv'} (created)" in done.stderr
    assert (project / ".venv").is_dir()


# bash and zsh run under set -e (the init code itself must not fail there).
STATUS = {"bash": "|| echo status $?", "zsh": "|| echo status $?", "fish": "; echo status $status"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
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


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
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


def test_default_shell_from_shell_variable_and_errors(tmp_path: Path) -> None:
    done = run_safepip("shell-init", cwd=tmp_path, env=safepip_env(SHELL="/usr/bin/fish"))
    assert done.returncode == 0
    assert "function pip --wraps pip" in done.stdout
    bad = run_safepip("shell-init", "tcsh", cwd=tmp_path)
    assert bad.returncode == 64
    assert bad.stderr == "safepip: error: safepip shell-init: 'tcsh' is not supported; use bash, zsh or fish\n"
    unset = run_safepip("shell-init", cwd=tmp_path, env={k: v for k, v in safepip_env().items() if k != "SHELL"})
    assert unset.returncode == 64
    assert "$SHELL is not set" in unset.stderr
