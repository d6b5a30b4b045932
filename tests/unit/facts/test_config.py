"""Configuration layers and their errors: every value knows its layer; a bad value says
where it is (file, line), which key, and what is allowed; exit code 78."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inprocess import Cli
from safepip.cli import main
from safepip.errors import EX_CONFIG, ConfigError
from safepip.facts import config as cfg
from safepip.facts.gather import load_config


def _user_file(hermetic: dict[str, str], text: str) -> Path:
    path = Path(hermetic["XDG_CONFIG_HOME"]) / "safepip" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_come_from_the_default_layer() -> None:
    config = cfg.Config()
    assert config.policy == "auto"
    assert config.outside == "user-env"
    assert config.quiet is False
    assert set(config.origin.values()) == {"default"}
    assert set(config.origin) == set(cfg.DEFAULTS)


def test_layers_in_order_each_value_with_its_origin(hermetic: dict[str, str], project: Path) -> None:
    user = _user_file(hermetic, 'policy = "always"\nvenv = "user-env-dir"\napps = "user-env"\nquiet = true\n')
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\n\n[tool.safepip]\nvenv = "proj-env"\noutside = "cwd"\n'
    )
    environ = {**os.environ, "SAFEPIP_OUTSIDE": "refuse", "SAFEPIP_POLICY": "never"}
    config, found, untrusted = load_config(environ, {"policy": "auto"}, str(project / "src"))
    assert found is not None and found.root == str(project) and untrusted is None
    assert (config.policy, config.origin["policy"]) == ("auto", "--safepip-policy")
    assert (config.outside, config.origin["outside"]) == ("refuse", "SAFEPIP_OUTSIDE")
    assert (config.venv, config.origin["venv"]) == ("proj-env", f"{project / 'pyproject.toml'} [tool.safepip]")
    assert (config.apps, config.origin["apps"]) == ("user-env", str(user))
    assert (config.quiet, config.origin["quiet"]) == (True, str(user))
    assert (config.python, config.origin["python"]) == (None, "default")


def test_flags_are_taken_out_of_argv_up_to_double_dash() -> None:
    rest, flags = cfg.split_flags(
        ["install", "--safepip-policy=never", "x", "--safepip-quiet", "--", "--safepip-venv=v"]
    )
    assert rest == ["install", "x", "--", "--safepip-venv=v"]
    assert flags == {"policy": "never", "quiet": True}


def test_toml_syntax_error_names_file_and_line(hermetic: dict[str, str]) -> None:
    path = _user_file(hermetic, 'policy = "auto"\nvenv = \n')
    with pytest.raises(ConfigError) as info:
        cfg.user_layer(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}, line 2, column")
    assert "not valid TOML" in message
    assert "\n" not in message
    assert info.value.exit_code == EX_CONFIG == 78


def test_unknown_key_names_file_line_key_and_the_known_keys(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "p"\n\n[tool.safepip]\npolcy = "always"\n')
    with pytest.raises(ConfigError) as info:
        cfg.project_layer(str(project / "pyproject.toml"))
    message = str(info.value)
    assert message.startswith(f"{project / 'pyproject.toml'}, line 5: unknown key 'polcy'")
    assert "did you mean 'policy'" in message
    assert "known keys: apps, outside, policy, python, quiet, subproject, trust, trusted, venv" in message


@pytest.mark.parametrize(
    ("line", "allowed"),
    [
        ('policy = "sometimes"', '"auto" | "always" | "never"'),
        ("policy = 1", '"auto" | "always" | "never"'),
        ('quiet = "yes"', "true | false"),
        ("venv = 3", "a string"),
        ('outside = "home"', '"user-env" | "refuse" | "cwd"'),
    ],
)
def test_wrong_value_names_file_line_key_and_what_is_allowed(project: Path, line: str, allowed: str) -> None:
    (project / "pyproject.toml").write_text(f'[project]\nname = "p"\n[tool.safepip]\n{line}\n')
    with pytest.raises(ConfigError) as info:
        cfg.project_layer(str(project / "pyproject.toml"))
    key = line.split(" ", 1)[0]
    assert str(info.value).startswith(f"{project / 'pyproject.toml'}, line 4: {key} = ")
    assert str(info.value).endswith(f"is not allowed; use {allowed}")


def test_a_project_cannot_trust_itself(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.safepip]\ntrusted = ["/"]\n')
    with pytest.raises(ConfigError, match=r"line 2: trusted can only be set in the user configuration file"):
        cfg.project_layer(str(project / "pyproject.toml"))


def test_bad_environment_variables_are_named() -> None:
    with pytest.raises(ConfigError, match=r"^SAFEPIP_POLICY: policy = 'maybe' is not allowed; use \"auto\""):
        cfg.env_layer({"SAFEPIP_POLICY": "maybe"})
    with pytest.raises(ConfigError, match=r"^SAFEPIP_QUIET='perhaps' is not allowed; use 1 or 0"):
        cfg.env_layer({"SAFEPIP_QUIET": "perhaps"})
    assert cfg.env_layer({"SAFEPIP_QUIET": "1", "SAFEPIP_VENV": ""}) == {"quiet": True}


def test_bad_flags_are_named() -> None:
    with pytest.raises(ConfigError, match=r"^--safepip-policy=x: policy = 'x' is not allowed"):
        cfg.split_flags(["--safepip-policy=x"])
    with pytest.raises(ConfigError, match=r"^--safepip-colour=1: unknown safepip flag"):
        cfg.split_flags(["--safepip-colour=1"])


def test_pyproject_without_the_table_is_not_parsed(project: Path) -> None:
    # A pyproject.toml that is not valid TOML but says nothing of safepip is not safepip's to judge.
    (project / "pyproject.toml").write_text("[project\n")
    assert cfg.project_layer(str(project / "pyproject.toml")) == {}


def test_a_bad_file_is_one_line_exit_78_in_process(
    hermetic: dict[str, str], project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _user_file(hermetic, "quiet = yes\n")
    monkeypatch.chdir(project)
    assert main(["doctor"]) == 78
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("safepip: error: ")
    assert "config.toml, line 1, column" in err


def test_a_bad_project_table_stops_install_before_anything_happens(project: Path, cli: Cli) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "p"\n[tool.safepip]\npolicy = "sometimes"\n')
    done = cli("install", "lib-a", cwd=project)
    assert done.returncode == 78
    assert done.stderr == (
        f"safepip: error: {project / 'pyproject.toml'}, line 4: policy = 'sometimes' is not allowed; "
        'use "auto" | "always" | "never"\n'
    )
    assert done.stdout == ""
    assert done.started == []
    assert not (project / ".venv").exists()


def test_quiet_never_silences_errors(project: Path, cli: Cli) -> None:
    (project / "pyproject.toml").write_text('[tool.safepip]\nquiet = true\npolicy = "x"\n')
    done = cli("install", "lib-a", cwd=project, env={"SAFEPIP_QUIET": "1"})
    assert (done.returncode, done.started) == (78, [])
    assert done.stderr.startswith("safepip: error: ")
