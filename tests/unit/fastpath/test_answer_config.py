"""The fast path reads pip's configuration as pip does, and stands aside for anything in it
that it does not model: every section ``install`` reads (``[global]``, ``[install]``,
``[:env:]``), in every file pip reads, and every variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.fastpath import options
from safepip.fastpath.options import Fallback


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """PIP_CONFIG_FILE's file (the hermetic fixture's), not written yet."""
    path = Path(os.environ["PIP_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _quiet(env_dir: Path) -> int:
    return options.settings_quiet(os.environ, str(env_dir))


@pytest.mark.parametrize(
    "text",
    [
        "[:env:]\nupgrade = true\n",  # pip applies it like PIP_UPGRADE
        "[:env:]\nforce_reinstall = 1\n",
        "[:env:]\n--upgrade = yes\n",
        "[install]\n--no-deps = yes\n",
        "[global]\nUPGRADE = true\n",
        "[Install]\nupgrade = true\n",  # pip ignores it, but no section is taken on trust
        "[weird]\nindex-url = x\n",
    ],
)
def test_a_section_or_key_not_modelled_goes_to_pip(tmp_path: Path, conf: Path, text: str) -> None:
    conf.write_text(text)
    with pytest.raises(Fallback):
        _quiet(tmp_path)


@pytest.mark.parametrize("where", ["user", "old-user", "machine", "site"])
def test_every_file_pip_reads_counts(tmp_path: Path, conf: Path, where: str) -> None:
    # the user files count only while PIP_CONFIG_FILE does not exist (pip's rule)
    path = {
        "user": Path(os.environ["XDG_CONFIG_HOME"]) / "pip" / "pip.conf",
        "old-user": Path(os.environ["HOME"]) / ".pip" / "pip.conf",
        "machine": Path(os.environ["XDG_CONFIG_DIRS"]) / "pip" / "pip.conf",
        "site": tmp_path / "env" / "pip.conf",
    }[where]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[:env:]\nupgrade = true\n")
    with pytest.raises(Fallback, match=r"\[:env:\] sets upgrade"):
        _quiet(tmp_path / "env")


def test_other_commands_sections_are_theirs(tmp_path: Path, conf: Path) -> None:
    conf.write_text("[freeze]\nupgrade = true\n[list]\nfoo = 1\n[global]\nno-index = yes\n[:env:]\nfind_links = /w\n")
    assert _quiet(tmp_path) == 0


def test_quiet_comes_from_the_last_section_pip_applies(tmp_path: Path, conf: Path) -> None:
    user = Path(os.environ["XDG_CONFIG_DIRS"]) / "pip" / "pip.conf"
    user.parent.mkdir(parents=True)
    user.write_text("[install]\nquiet = 0\n")
    conf.write_text("[global]\nquiet = 2\n")
    assert _quiet(tmp_path) == 0  # [install] after [global], whichever file
    conf.write_text("[global]\nquiet = 2\n[:env:]\nquiet = 1\n")
    assert _quiet(tmp_path) == 1


def test_require_hashes_from_a_file_is_hash_checking_mode(tmp_path: Path, conf: Path) -> None:
    from safepip.facts.pipargs import scan
    from safepip.fastpath.answer import _check_hash_mode
    from safepip.fastpath.satisfied import Line

    conf.write_text("[:env:]\nrequire-hashes = yes\n")
    configured = options.read_settings(os.environ, str(tmp_path)).require_hashes
    assert configured
    with pytest.raises(Fallback, match="hash-checking mode"):
        _check_hash_mode(scan(["install", "lib-a"]), [Line("lib-a", None)], configured)


@pytest.mark.parametrize(
    "text",
    [
        "[global]\nquiet = 1\n[global]\nquiet = 2\n",  # a duplicate section: every pip refuses the file
        "[global]\nno-index = yes\nno_index = yes\n",  # a duplicate key as newer pips name keys
        "[install]\n--no-index = yes\nNo-Index = yes\n",
    ],
)
def test_a_file_pip_cannot_read_goes_to_pip(tmp_path: Path, conf: Path, text: str) -> None:
    conf.write_text(text)
    with pytest.raises(Fallback, match="already exists"):
        _quiet(tmp_path)


def test_ignored_variables_are_ignored(tmp_path: Path) -> None:
    environ = {**os.environ, "PIP_VERSION": "1"}  # pip does not read PIP_VERSION or PIP_HELP
    assert options.settings_quiet(environ, str(tmp_path)) == 0
    with pytest.raises(Fallback, match="PIP_UPGRADE is set"):
        options.settings_quiet({**environ, "PIP_UPGRADE": ""}, str(tmp_path))
