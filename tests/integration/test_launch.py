"""safepip.runner (the command lines): pip and other modules start as ``-m`` starts them, but never from the
working directory (the attack itself, with a second user, is in tests/integration/test_threats.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.runner import OFF_PATH, module_argv, pip_args, pip_argv, shown


def _plant(where: Path, name: str) -> Path:
    """A package ``name`` in ``where`` that says so when imported or run."""
    package = where / name
    package.mkdir(parents=True)
    for part in ("__init__.py", "__main__.py"):
        (package / part).write_text(f"print('planted {name}')\nraise SystemExit(9)\n")
    return package


def test_pip_runs_from_the_environment_not_the_working_directory(tmp_path: Path) -> None:
    _plant(tmp_path, "pip")
    by_m = subprocess.run([sys.executable, "-m", "pip", "--version"], cwd=tmp_path, capture_output=True, text=True,
                          check=False)
    assert (by_m.returncode, by_m.stdout.strip()) == (9, "planted pip")  # the hazard is real
    done = subprocess.run(pip_argv(sys.executable, ["--version"]), cwd=tmp_path, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    import pip

    assert done.stdout.startswith(f"pip {pip.__version__} from {os.path.dirname(pip.__file__)}")


def test_pip_names_itself_as_under_dash_m(tmp_path: Path) -> None:
    ours = subprocess.run(pip_argv(sys.executable, ["nosuchcommand"]), cwd=tmp_path, capture_output=True, text=True,
                          check=False)
    theirs = subprocess.run([sys.executable, "-m", "pip", "nosuchcommand"], cwd=tmp_path, capture_output=True,
                            text=True, check=False)
    assert ours.returncode == theirs.returncode != 0
    assert (ours.stdout, ours.stderr) == (theirs.stdout, theirs.stderr)
    usage = [subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
             for argv in (pip_argv(sys.executable, ["install", "--help"]), [sys.executable, "-m", "pip", "install", "--help"])]
    assert f"{sys.executable} -m pip install [options]" in usage[0]
    assert usage[0] == usage[1]


def test_a_pip_without_the_modern_entry_point_runs_through_its_main(tmp_path: Path) -> None:
    old = tmp_path / "site"
    package = old / "pip"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text("import sys\nprint('old pip', sys.argv[1:], sys.argv[0].endswith('__main__.py'))\n")
    env = dict(os.environ, PYTHONPATH=str(old))
    done = subprocess.run(pip_argv(sys.executable, ["list"]), cwd=tmp_path, env=env, capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stdout) == (0, "old pip ['list'] True\n"), done.stderr


@pytest.mark.parametrize("safe", [False, True])
def test_only_the_working_directory_leaves_the_path(safe: bool) -> None:
    if safe and sys.version_info < (3, 11):
        pytest.skip("PYTHONSAFEPATH is Python 3.11+")
    env = dict(os.environ, PYTHONSAFEPATH="1") if safe else {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    plain = subprocess.run([sys.executable, "-c", "import sys; print(sys.path)"], env=env, capture_output=True,
                           text=True, check=True)
    ours = subprocess.run([sys.executable, "-c", OFF_PATH + "print(sys.path)"], env=env, capture_output=True,
                          text=True, check=True)
    expected = plain.stdout if safe else plain.stdout.replace("['', ", "[", 1)
    assert plain.stdout.startswith("['', ") != safe
    assert ours.stdout == expected


def test_a_module_runs_from_the_standard_library_not_the_working_directory(tmp_path: Path) -> None:
    _plant(tmp_path, "json")
    done = subprocess.run(module_argv(sys.executable, "json.tool"), cwd=tmp_path, input='{"a": 1}',
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, '{\n    "a": 1\n}\n'), done.stderr


def test_command_lines_read_back_and_show_as_people_type_them() -> None:
    argv = pip_argv("/env/bin/python", ["install", "-c", "x"])
    assert pip_args(argv) == ["install", "-c", "x"]
    assert pip_args(["/env/bin/python", "-m", "pip", "list"]) is None
    assert pip_args(["/env/bin/python", "-c", "print(1)"]) is None
    assert shown(argv) == ["/env/bin/python", "-m", "pip", "install", "-c", "x"]
    assert shown(module_argv("/usr/bin/python3", "venv", ["--without-pip", "e"])) == [
        "/usr/bin/python3", "-m", "venv", "--without-pip", "e"]
    assert shown(["git", "status"]) == ["git", "status"]
