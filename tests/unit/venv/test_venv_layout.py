"""A virtual environment's layout (safepip.venv.layout): the one reader of ``pyvenv.cfg``, its
site-packages, whether pip is there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.venv import layout


@pytest.fixture
def env(tmp_path: Path) -> Path:
    env = tmp_path / ".venv"
    (env / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (env / "lib" / "not-a-python").mkdir()
    (env / "bin").mkdir()
    (env / "bin" / "python").touch()
    return env


def test_pyvenv_cfg_is_read_as_site_reads_it(env: Path) -> None:
    (env / "pyvenv.cfg").write_text("Home = /usr/bin \n# a comment\nno equals sign\nversion=3.11.2\nhome=/second\n")
    assert layout.cfg_lines(str(env)) == [("home", "/usr/bin"), ("version", "3.11.2"), ("home", "/second")]
    assert layout.cfg_home(str(env)) == "/usr/bin"


def test_no_home_an_empty_one_or_no_file_is_none(env: Path) -> None:
    assert layout.cfg_home(str(env)) is None
    with pytest.raises(OSError):
        layout.cfg_lines(str(env))
    (env / "pyvenv.cfg").write_text("home =\n")
    assert layout.cfg_home(str(env)) is None
    (env / "pyvenv.cfg").write_bytes(b"home = /usr/\xffbin\n")  # not UTF-8: read, never raised
    assert layout.cfg_home(str(env)) == "/usr/\ufffdbin"


def test_a_venv_is_a_directory_with_pyvenv_cfg_beside_or_above_its_interpreter(env: Path) -> None:
    assert not layout.is_venv_dir(str(env))
    assert layout.venv_of(str(env / "bin" / "python")) is None
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert layout.is_venv_dir(str(env))
    assert layout.venv_of(str(env / "bin" / "python")) == str(env)
    assert layout.bin_python(str(env)) == str(env / "bin" / "python")


def test_site_packages_are_the_ones_that_exist_and_pip_is_found_there(env: Path) -> None:
    site = env / "lib" / "python3.11" / "site-packages"
    assert layout.site_packages(str(env)) == [str(site)]
    assert layout.site_packages(str(env / "nowhere")) == []
    assert not layout.has_pip(str(env))
    (site / "pip").mkdir()
    assert layout.has_pip(str(env))
