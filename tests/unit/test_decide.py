"""plan(): every policy rule, as a table."""

from __future__ import annotations

import pytest

from helpers import SYSTEM_VERSION, SYSTEM_XY
from safepip.decide import PASSTHROUGH, PROJECT_VENV, REFUSE, Plan, plan
from safepip.facts.config import Config
from safepip.facts.interpreter import Interp
from safepip.facts.pipargs import scan
from safepip.facts.pipconf import Setting
from safepip.facts.project import EnvSpot, Project

MANAGED = Interp(
    path="/usr/bin/python3", how="PATH", version=SYSTEM_VERSION, implementation="cpython", prefix="/usr",
    base_prefix="/usr", in_venv=False, conda=False, stdlib=f"/usr/lib/python{SYSTEM_XY}", purelib="", platlib="",
    scripts="", marker=f"/usr/lib/python{SYSTEM_XY}/EXTERNALLY-MANAGED", marker_message="use apt", marker_problem=None,
    distributor="Debian", has_pip=True, managed=True,
)
UNMANAGED = MANAGED.replace_(marker=None, distributor=None, path="/opt/py/bin/python3", managed=False)
VENV = MANAGED.replace_(in_venv=True, path="/p/.venv/bin/python", managed=False)
CONDA = UNMANAGED.replace_(conda=True)
NO_PIP = MANAGED.replace_(has_pip=False)
PROJECT = Project("/p", "holds pyproject.toml")
ENV = EnvSpot("/p/.venv", False)


def decide(argv: list[str], interp: Interp = MANAGED, project: Project | None = PROJECT,
           env: EnvSpot | None = ENV, config: Config | None = None,
           settings: dict[str, Setting] | None = None) -> Plan:
    return plan(scan(argv), interp, project, env if project or env else None, config or Config(), settings or {}, "/p")


@pytest.mark.parametrize(
    ("argv", "interp", "kind", "why"),
    [
        (["install", "x"], MANAGED, PROJECT_VENV, "externally managed"),
        (["uninstall", "-y", "x"], MANAGED, PROJECT_VENV, "externally managed"),
        (["list"], MANAGED, PROJECT_VENV, "externally managed"),
        (["freeze"], MANAGED, PROJECT_VENV, "externally managed"),
        (["show", "x"], MANAGED, PROJECT_VENV, "externally managed"),
        (["check"], MANAGED, PROJECT_VENV, "externally managed"),
        (["inspect"], MANAGED, PROJECT_VENV, "externally managed"),
        (["install", "x"], VENV, PASSTHROUGH, "is a virtual environment"),
        (["install", "x"], CONDA, PASSTHROUGH, "is a conda environment"),
        (["install", "x"], UNMANAGED, PASSTHROUGH, "not externally managed"),
        (["install", "--target", "t", "x"], MANAGED, PASSTHROUGH, "--target writes outside"),
        (["install", "--prefix", "t", "x"], MANAGED, PASSTHROUGH, "--prefix writes outside"),
        (["install", "--root", "t", "x"], MANAGED, PASSTHROUGH, "--root writes outside"),
        (["install", "--dry-run", "--report", "r.json", "x"], MANAGED, PASSTHROUGH, "--dry-run with --report"),
        (["install", "--dry-run", "x"], MANAGED, PROJECT_VENV, "externally managed"),
        (["install", "--break-system-packages", "x"], MANAGED, PASSTHROUGH, "--break-system-packages given"),
        (["download", "x"], MANAGED, PASSTHROUGH, "does not change an environment"),
        (["wheel", "x"], MANAGED, PASSTHROUGH, "does not change an environment"),
        (["config", "list"], MANAGED, PASSTHROUGH, "does not change an environment"),
        (["cache", "dir"], MANAGED, PASSTHROUGH, "does not change an environment"),
        (["--version"], MANAGED, PASSTHROUGH, "help or version"),
        (["help"], MANAGED, PASSTHROUGH, "help or version"),
        (["install", "--bogus"], MANAGED, PASSTHROUGH, "pip will report"),
    ],
)
def test_rules(argv: list[str], interp: Interp, kind: str, why: str) -> None:
    result = decide(argv, interp)
    assert result.kind == kind
    assert why in result.why


def test_redirect_drops_python_and_user_keeps_the_rest_in_order() -> None:
    result = decide(["-v", "--python", "/usr/bin/python3", "install", "--user", "-r", "req.txt", "x", "-q"])
    assert result.kind == PROJECT_VENV
    assert result.env_dir == "/p/.venv"
    assert result.args == ("-v", "install", "-r", "req.txt", "x", "-q")
    assert any("--user dropped" in n for n in result.notes)
    assert result.lock


def test_read_only_commands_do_not_lock() -> None:
    assert not decide(["list"]).lock
    assert decide(["uninstall", "x"]).lock


def test_pip_user_setting_is_overridden_in_the_environment() -> None:
    result = decide(["install", "x"], settings={"user": Setting("1", "PIP_USER")})
    assert result.env_changes == {"PIP_USER": "0"}
    assert "user = true (from PIP_USER) ignored" in result.notes[0]


@pytest.mark.parametrize(
    "settings",
    [
        {"break-system-packages": Setting("true", "/etc/pip.conf [global]")},
        {"break-system-packages": Setting("1", "PIP_BREAK_SYSTEM_PACKAGES")},
    ],
)
def test_break_system_packages_from_config_warns(settings: dict[str, Setting]) -> None:
    result = decide(["install", "x"], settings=settings)
    assert result.kind == PASSTHROUGH
    assert result.warnings
    assert "will change /usr/bin/python3" in result.warnings[0]


def test_break_system_packages_false_is_not_forcing() -> None:
    result = decide(["install", "x"], settings={"break-system-packages": Setting("no", "PIP_BREAK_SYSTEM_PACKAGES")})
    assert result.kind == PROJECT_VENV


def test_target_from_pip_settings_passes_through() -> None:
    result = decide(["install", "x"], settings={"target": Setting("/t", "PIP_TARGET")})
    assert result.kind == PASSTHROUGH
    assert "PIP_TARGET" in result.why


def test_passthrough_runs_the_target_and_drops_python() -> None:
    result = decide(["--python", "/usr/bin/python3", "download", "x"])
    assert result.python == "/usr/bin/python3"
    assert result.args == ("download", "x")
    assert not result.own_pip


def test_target_without_pip_uses_safepips_pip_with_python() -> None:
    result = decide(["download", "x"], NO_PIP)
    assert result.own_pip
    assert result.args == ("--python", "/usr/bin/python3", "download", "x")


def test_target_without_pip_borrows_an_existing_project_env() -> None:
    result = decide(["download", "x"], NO_PIP, env=EnvSpot("/p/.venv", True))
    assert result.kind == PASSTHROUGH
    assert result.env_dir == "/p/.venv"


def test_policy_never_and_always() -> None:
    never = Config().layered({"policy": "never"}, "SAFEPIP_POLICY")
    assert decide(["install", "x"], config=never).kind == PASSTHROUGH
    always = Config().layered({"policy": "always"}, "SAFEPIP_POLICY")
    result = decide(["install", "x"], UNMANAGED, config=always)
    assert result.kind == PROJECT_VENV
    assert "policy = always (from SAFEPIP_POLICY)" in result.reason
    assert decide(["install", "x"], VENV, config=always).kind == PASSTHROUGH


def test_outside_a_project_refuses_with_a_reason() -> None:
    refuse = Config().layered({"outside": "refuse"}, "SAFEPIP_OUTSIDE")
    result = decide(["install", "x"], project=None, env=None, config=refuse)
    assert result.kind == REFUSE
    assert "not inside a project" in result.reason


def test_outside_cwd_uses_the_working_directory() -> None:
    cwd = Config().layered({"outside": "cwd"}, "SAFEPIP_OUTSIDE")
    result = decide(["install", "x"], project=None, env=EnvSpot("/p/.venv", False), config=cwd)
    assert result.kind == PROJECT_VENV
    assert "outside = cwd" in result.why


def test_notice_reason_names_the_distributor() -> None:
    assert decide(["install", "x"]).reason == "/usr/bin/python3 is externally managed (Debian)"
    unnamed = MANAGED.replace_(distributor=None)
    assert decide(["install", "x"], unnamed).reason == "/usr/bin/python3 is externally managed"
