"""safepip self-install / self-uninstall from safepip.pyz, into a temporary HOME."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from unittest import mock

import pytest

from conftest import build_pyz
from helpers import SYSTEM_PYTHON, installed, needs_managed, offline, safepip_env
from safepip import __version__
from safepip.cli import main

pytestmark = [needs_managed, pytest.mark.slow]


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=str(cwd), env=env or safepip_env(), capture_output=True, text=True, timeout=300,
                          check=False)


def layout(hermetic: dict[str, str]) -> tuple[Path, Path]:
    """(the launcher, safepip's self directory) for the test's HOME."""
    return Path(hermetic["HOME"]) / ".local" / "bin" / "safepip", Path(hermetic["XDG_DATA_HOME"]) / "safepip" / "self"


def test_install_is_offline_idempotent_and_runs(pyz: Path, hermetic: dict[str, str], project: Path,
                                                wheelhouse: Path, tmp_path: Path) -> None:
    launcher, top = layout(hermetic)
    first = run([SYSTEM_PYTHON, str(pyz), "self-install"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "installed safepip" in first.stdout
    assert "~/.local/bin is not on your PATH" in first.stdout
    assert os.access(launcher, os.X_OK)
    envs = [p for p in top.iterdir() if p.is_dir()]
    assert len(envs) == 1
    assert (envs[0] / ".safepip.json").is_file()

    before = launcher.read_bytes(), launcher.stat().st_mtime_ns
    again = run([SYSTEM_PYTHON, str(pyz), "self-install"], tmp_path,
                env=safepip_env(PATH=f"{launcher.parent}:/usr/bin:/bin"))
    assert again.returncode == 0, again.stderr
    assert "already installed" in again.stdout
    assert "~/.local/bin is on your PATH" in again.stdout
    assert (launcher.read_bytes(), launcher.stat().st_mtime_ns) == before
    assert [p for p in top.iterdir() if p.is_dir()] == envs

    # The launcher runs safepip from its own environment, on the system python.
    version = run([str(launcher), "--version"], tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"safepip {__version__} from {envs[0]}")
    done = run([str(launcher), "install", *offline(wheelhouse), "lib-a"], project)
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(project / ".venv")


def test_upgrade_replaces_the_installation(pyz: Path, hermetic: dict[str, str], tmp_path: Path,
                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    launcher, top = layout(hermetic)
    assert run([SYSTEM_PYTHON, str(pyz), "self-install"], tmp_path).returncode == 0
    old = [p for p in top.iterdir() if p.is_dir()]
    other = build_pyz(tmp_path_factory.mktemp("other-pyz"), "--no-byte-code")  # another build: another id

    refused = run([SYSTEM_PYTHON, str(other), "self-install"], tmp_path)
    assert refused.returncode == 64
    assert "already installed" in refused.stderr and "--upgrade" in refused.stderr
    assert [p for p in top.iterdir() if p.is_dir()] == old

    done = run([str(launcher), "self-install", "--upgrade", str(other)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"replaced safepip {__version__} with {__version__}" in done.stdout
    new = [p for p in top.iterdir() if p.is_dir()]
    assert len(new) == 1 and new != old
    assert str(new[0]) in launcher.read_text()
    assert run([str(launcher), "--version"], tmp_path).returncode == 0


def test_uninstall_removes_both_and_nothing_else(pyz: Path, hermetic: dict[str, str], tmp_path: Path) -> None:
    launcher, top = layout(hermetic)
    assert run([SYSTEM_PYTHON, str(pyz), "self-install"], tmp_path).returncode == 0
    neighbour = launcher.parent / "other-tool"
    neighbour.write_text("#!/bin/sh\n")
    user_env = top.parent / "envs" / "keep.txt"
    user_env.parent.mkdir(parents=True)
    user_env.write_text("x")

    done = run([str(launcher), "self-uninstall"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "removed ~/.local/bin/safepip and" in done.stdout
    assert not launcher.exists() and not top.exists()
    assert neighbour.exists() and user_env.exists()

    nothing = run([SYSTEM_PYTHON, str(pyz), "self-uninstall"], tmp_path)
    assert nothing.returncode == 0
    assert "nothing to remove" in nothing.stdout


def test_a_foreign_launcher_is_never_replaced(pyz: Path, hermetic: dict[str, str], tmp_path: Path) -> None:
    launcher, top = layout(hermetic)
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\necho pip-installed safepip\n")
    done = run([SYSTEM_PYTHON, str(pyz), "self-install"], tmp_path)
    assert done.returncode == 77
    assert "was not written by safepip self-install" in done.stderr
    assert not top.exists()
    left = run([SYSTEM_PYTHON, str(pyz), "self-uninstall"], tmp_path)
    assert left.returncode == 0
    assert launcher.read_text().endswith("pip-installed safepip\n")


def test_launcher_with_a_vanished_environment_says_what_to_do(pyz: Path, hermetic: dict[str, str],
                                                              tmp_path: Path) -> None:
    launcher, top = layout(hermetic)
    assert run([SYSTEM_PYTHON, str(pyz), "self-install"], tmp_path).returncode == 0
    for env in top.iterdir():
        if env.is_dir():
            (env / "bin" / "python").unlink()
    done = run([str(launcher), "--version"], tmp_path)
    assert done.returncode == 69
    assert "self-install --upgrade" in done.stderr


def test_self_install_needs_an_archive(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["self-install"]) == 64
    assert "installs from safepip.pyz" in capsys.readouterr().err
    (tmp_path / "not.pyz").write_text("hello")
    assert main(["self-install", "--upgrade", str(tmp_path / "not.pyz")]) == 64
    assert "not a safepip.pyz" in capsys.readouterr().err
    assert main(["self-install", "--bogus"]) == 64


def test_uninstall_removes_only_what_its_manifest_lists(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    (data / "self").mkdir(parents=True)
    (data / "self" / "mine.txt").write_text("a user's file\n")
    with mock.patch.dict(os.environ, {"SAFEPIP_DATA_DIR": str(data)}):
        assert main(["self-uninstall"]) == 0
    assert (data / "self" / "mine.txt").read_text() == "a user's file\n"
    assert "nothing to remove" in capsys.readouterr().out


def test_uninstall_with_self_a_symbolic_link(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep").write_text("x")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "self").symlink_to(tmp_path / "elsewhere")
    with mock.patch.dict(os.environ, {"SAFEPIP_DATA_DIR": str(tmp_path / "data")}):
        assert main(["self-uninstall"]) == 0
    assert (tmp_path / "elsewhere" / "keep").exists() and (tmp_path / "data" / "self").is_symlink()
    assert "internal error" not in capsys.readouterr().err


def test_shims_reach_make_without_shell_init_and_leave_foreign_files(
    pyz: Path, hermetic: dict[str, str], project: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    launcher, _ = layout(hermetic)
    bin_dir = launcher.parent
    bin_dir.mkdir(parents=True)
    (bin_dir / "pip3").write_text("#!/bin/sh\necho pip --user\n")  # a pip install --user pip
    done = run([SYSTEM_PYTHON, str(pyz), "self-install", "--shims"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{bin_dir / 'pip3'} was not written by safepip: left as it is" in done.stderr
    assert "pip launchers in ~/.local/bin: pip, " in done.stdout
    assert (bin_dir / "pip3").read_text() == "#!/bin/sh\necho pip --user\n"
    (project / "Makefile").write_text(f"install:\n\tpip install {' '.join(offline(wheelhouse))} lib-a\n")
    env = safepip_env(PATH=f"{bin_dir}:/usr/bin:/bin")
    made = run(["make", "install"], project, env=env)
    assert made.returncode == 0, made.stderr
    assert "lib-a" in installed(project / ".venv")

    gone = run([str(launcher), "self-uninstall"], tmp_path)
    assert gone.returncode == 0, gone.stderr
    assert not (bin_dir / "pip").exists()
    assert (bin_dir / "pip3").read_text() == "#!/bin/sh\necho pip --user\n"
