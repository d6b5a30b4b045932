"""``safepip trust``'s record in the user configuration file: added, updated in place, and
read back by the configuration loader; a file it cannot edit safely is left alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inprocess import Cli
from safepip.commands.trust import record
from safepip.errors import ConfigError
from safepip.facts import config as cfg


def test_a_record_keeps_the_rest_of_the_file_and_updates_in_place(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('policy = "auto"\ntrusted = ["/srv/x"]\n\n[other]\n')
    with pytest.raises(ConfigError):  # an unknown table: the file is bad, and is not rewritten
        record(str(path), {"/p/.venv/bin/python": "sha256:1"})
    assert path.read_text() == 'policy = "auto"\ntrusted = ["/srv/x"]\n\n[other]\n'
    path.write_text('policy = "auto"\ntrusted = ["/srv/x"]\n')
    record(str(path), {"/p/.venv/bin/python": "sha256:1"})
    record(str(path), {"/q/tools/python3 \"odd\" èр": "sha256:2"})
    record(str(path), {"/p/.venv/bin/python": "sha256:3"})
    values = cfg.user_layer(str(path))
    assert values["policy"] == "auto" and values["trusted"] == ("/srv/x",)
    assert values["trust"] == {"/p/.venv/bin/python": "sha256:3", "/q/tools/python3 \"odd\" èр": "sha256:2"}
    assert path.read_text().count("[trust]") == 1


def test_a_project_cannot_set_trust(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.safepip.trust]\n"/p/python" = "sha256:1"\n')
    with pytest.raises(ConfigError, match="trust can only be set in the user configuration file"):
        cfg.project_layer(str(pyproject))


@pytest.mark.parametrize("args", [
    ["trust", ""],
    ["which", "--python", ""], ["which", "--python="],
    ["doctor", "--python", ""], ["audit", "--python="],
    ["run", "--python", "", "true"], ["run", "--python=", "true"],
    ["repair", "--python", ""], ["repair", "--python="],
    ["self-install", "--upgrade", ""], ["self-install", "--upgrade="],
])
def test_an_empty_path_is_a_usage_error_not_the_default(args: list[str], tmp_path: Path, cli: Cli) -> None:
    # An unset variable in a script (safepip trust "$DIR") must not mean the working directory.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 64, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("safepip: error: safepip "), done.stderr
    assert "empty" in done.stderr
    assert done.started == []
    assert not (tmp_path / ".venv").exists()
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "safepip" / "config.toml").exists()
