"""plan() outside a project, and the root and sudo rules: table tests, no I/O."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import SYSTEM_PURELIB, SYSTEM_VERSION, SYSTEM_XY
from safepip.decide import PASSTHROUGH, PIPX, PROJECT_VENV, REFUSE, USER_ENV, Plan, Who, plan
from safepip.decide_outside import needs_apps, routes
from safepip.errors import EX_NOPERM, EX_UNAVAILABLE
from safepip.facts.classify import Fact
from safepip.facts.config import Config
from safepip.facts.interpreter import Interp
from safepip.facts.pipargs import scan
from safepip.facts.project import EnvSpot, Project
from safepip.facts.wheelmeta import Meta

USER_ENV_DIR = f"/home/u/.local/share/safepip/envs/py{SYSTEM_XY}"


def interp(**changes: Any) -> Interp:
    values: dict[str, Any] = {
        "path": "/usr/bin/python3", "how": "PATH", "version": SYSTEM_VERSION, "implementation": "CPython",
        "prefix": "/usr", "base_prefix": "/usr", "in_venv": False, "conda": False,
        "stdlib": f"/usr/lib/python{SYSTEM_XY}", "purelib": SYSTEM_PURELIB,
        "platlib": SYSTEM_PURELIB, "scripts": "/usr/bin",
        "marker": f"/usr/lib/python{SYSTEM_XY}/EXTERNALLY-MANAGED", "marker_message": None, "marker_problem": None,
        "distributor": "Debian", "has_pip": True, "managed": True,
    }
    values.update(changes)
    return Interp(**values)


def config(**values: Any) -> Config:
    return Config().layered(values, "test")


def outside(*argv: str, cfg: Config | None = None, who: Who | None = None, exists: bool = False,
            target: Interp | None = None, facts: list[Fact] | None = None) -> Plan:
    call = scan(argv)
    result = plan(call, target or interp(), None, None, cfg or config(), {}, "/home/u/downloads",
                  user_env=EnvSpot(USER_ENV_DIR, exists), who=who)
    if facts is None or not needs_apps(call, result):
        return result
    # As decide_outside.route completes it: the routes from decide.routes.
    return result.replace_(routes=routes(call.positionals, cfg or config(), facts))


def in_project(*argv: str, who: Who, exists: bool = False) -> Plan:
    project = Project("/home/u/proj", "holds pyproject.toml")
    return plan(scan(argv), interp(), project, EnvSpot("/home/u/proj/.venv", exists), config(), {}, "/home/u/proj",
                who=who)


def test_outside_a_project_libraries_go_to_the_user_env() -> None:
    result = outside("install", "requests")
    assert result.kind == USER_ENV
    assert result.env_dir == USER_ENV_DIR
    assert result.system_site
    assert result.apps_to_pipx
    assert not result.pipx_global
    assert result.lock
    assert result.args == ("install", "requests")
    assert "outside any project" in result.reason
    assert not result.notes  # how to use the environment: the notice says it (act/flow.py)


@pytest.mark.parametrize(("command", "apps"), [
    ("install", True), ("uninstall", True), ("list", True), ("freeze", True), ("show", False),
])
def test_which_commands_consult_pipx(command: str, apps: bool) -> None:
    result = outside(command, "x")
    assert result.kind == USER_ENV
    assert result.apps_to_pipx is apps
    assert result.lock is (command in ("install", "uninstall"))


def test_apps_user_env_keeps_everything_in_the_user_env() -> None:
    result = outside("install", "black", cfg=config(apps="user-env"))
    assert result.kind == USER_ENV
    assert not result.apps_to_pipx


def _refused(result: Plan, exit_code: int, *says: str) -> None:
    """``result`` refuses with ``exit_code``, and its reason says each of ``says``."""
    assert result.kind == REFUSE
    assert result.exit_code == exit_code
    for text in says:
        assert text in result.reason


def test_outside_refuse() -> None:
    _refused(outside("install", "x", cfg=config(outside="refuse")), EX_UNAVAILABLE, "not inside a project")


def test_user_flag_is_dropped_in_the_user_env() -> None:
    result = outside("install", "--user", "x")
    assert result.args == ("install", "x")
    assert any("--user dropped" in note for note in result.notes)


def test_unmanaged_target_passes_through() -> None:
    result = outside("install", "x", target=interp(marker=None, managed=False))
    assert result.kind == PASSTHROUGH


def test_root_outside_uses_pipx_global_mode() -> None:
    result = outside("install", "black", who=Who(euid=0, owner=0, data_owner=0))
    assert result.kind == USER_ENV
    assert result.pipx_global


def test_root_with_allow_root_is_like_any_user() -> None:
    result = outside("install", "black", who=Who(euid=0, owner=0, data_owner=0, allow_root=True))
    assert not result.pipx_global


def test_sudo_with_the_users_home_refuses() -> None:
    who = Who(euid=0, sudo_uid=1000, sudo_user="u", owner=1000, data_owner=1000)
    _refused(outside("install", "requests", who=who), EX_NOPERM, "sudo -H", "SAFEPIP_ALLOW_ROOT=1")


def test_sudo_in_another_users_project_refuses() -> None:
    who = Who(euid=0, sudo_uid=1000, sudo_user="u", owner=1000, owner_name="u")
    _refused(in_project("install", "x", who=who), EX_NOPERM, "with sudo", "without sudo, as u")


def test_root_in_another_users_project_without_sudo_refuses_too() -> None:
    _refused(in_project("install", "x", who=Who(euid=0, owner=1000)), EX_NOPERM, "as root", "uid 1000")


def test_sudo_reading_an_existing_env_is_allowed() -> None:
    who = Who(euid=0, sudo_uid=1000, owner=1000)
    assert in_project("list", who=who, exists=True).kind == PROJECT_VENV
    assert in_project("list", who=who, exists=False).kind == REFUSE  # it would create a root-owned .venv
    assert in_project("uninstall", "x", who=who, exists=True).kind == REFUSE


def test_allow_root_lifts_the_sudo_refusal() -> None:
    who = Who(euid=0, sudo_uid=1000, owner=1000, allow_root=True)
    assert in_project("install", "x", who=who).kind == PROJECT_VENV


def test_root_in_a_root_owned_project_works_and_says_how_to_reach_the_env() -> None:
    result = in_project("install", "x", who=Who(euid=0, owner=0))
    assert result.kind == PROJECT_VENV
    assert any("/home/u/proj/.venv/bin/python" in n and "PATH=/home/u/proj/.venv/bin:$PATH" in n for n in result.creation_notes)
    again = in_project("install", "x", who=Who(euid=0, owner=0), exists=True)
    assert not any("PATH=" in n for n in again.notes + again.creation_notes)


def test_root_at_a_terminal_outside_a_container_gets_no_dockerfile_hint() -> None:
    result = in_project("install", "x", who=Who(euid=0, owner=0, scripted=False))
    assert result.kind == PROJECT_VENV
    assert not any("Dockerfile" in n or "PATH=" in n for n in result.notes + result.creation_notes)


@pytest.mark.parametrize(
    ("terminal", "container", "expected"),
    [(True, False, False), (False, False, True), (True, True, True), (False, True, True)],
)
def test_scripted_means_no_terminal_or_a_container(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, terminal: bool, container: bool, expected: bool
) -> None:
    import io

    from safepip.facts import trust as context

    marker = tmp_path / ".dockerenv"
    if container:
        marker.write_text("")
    monkeypatch.setattr(context, "CONTAINER_MARKERS", (str(marker), str(tmp_path / "none")))

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return terminal

    monkeypatch.setattr("sys.stdin", Stream())
    monkeypatch.setattr("sys.stderr", Stream())
    assert context.scripted() is expected


def test_a_normal_user_in_their_project_has_no_root_rules() -> None:
    result = in_project("install", "x", who=Who(euid=1000, owner=1000))
    assert result.kind == PROJECT_VENV
    assert not result.notes


LIB_WITH_COMMAND = Fact("numpy", "numpy", Meta("numpy", console=("f2py",), top_level=("numpy",)))
APP_FACT = Fact("black", "black", Meta("black", console=("black",), top_level=("black",), entry_modules=("black",)))
PIP_FACT = Fact("pip", "pip", Meta("pip", console=("pip", "pip3"), top_level=("pip",), entry_modules=("pip",)))
UNKNOWN = Fact("./src", None, unknown="a path or URL")


def test_an_install_needs_facts_then_routes_each_requirement() -> None:
    first = outside("install", "numpy", "black", "pip", "./src")
    assert needs_apps(scan(["install", "numpy", "black", "pip", "./src"]), first) and not first.routes
    result = outside("install", "numpy", "black", "pip", "./src", facts=[LIB_WITH_COMMAND, APP_FACT, PIP_FACT, UNKNOWN])
    assert not needs_apps(scan(["install", "numpy", "black", "pip", "./src"]), result)
    numpy, black, pip, src = result.routes
    assert (numpy.to, numpy.expose, numpy.other) == (USER_ENV, True, "--safepip-apps=pipx")
    assert (black.to, black.expose, black.other) == (PIPX, False, "--safepip-apps=user-env")
    assert (pip.to, pip.expose) == (USER_ENV, False)
    assert "environment's own tool" in pip.why
    assert (src.to, src.expose) == (USER_ENV, True)
    assert "cannot tell" in src.why


@pytest.mark.parametrize(("apps", "black_to"), [("user-env", USER_ENV), ("pipx", PIPX), ("auto", PIPX)])
def test_apps_setting_sends_every_named_requirement_one_way(apps: str, black_to: str) -> None:
    result = outside("install", "numpy", "black", "pip", cfg=config(apps=apps),
                     facts=[LIB_WITH_COMMAND, APP_FACT, PIP_FACT])
    numpy, black, pip = result.routes
    assert black.to == black_to
    assert numpy.to == (PIPX if apps == "pipx" else USER_ENV)
    assert pip.to == USER_ENV  # pip is never an application, whatever the setting


@pytest.mark.parametrize("argv", [("install", "--dry-run", "x"), ("install", "-r", "req.txt")])
def test_no_facts_needed(argv: tuple[str, ...]) -> None:
    assert not needs_apps(scan(argv), outside(*argv))


def test_an_uninstall_asks_pipx_what_it_holds() -> None:
    assert needs_apps(scan(["uninstall", "x"]), outside("uninstall", "x"))


@pytest.mark.parametrize(("argv", "local"), [
    (("list",), True), (("freeze",), True), (("list", "--local"), True), (("list", "--user"), False),
    (("show", "x"), False),
])
def test_list_and_freeze_show_what_the_user_put_there(argv: tuple[str, ...], local: bool) -> None:
    result = outside(*argv)
    assert result.args.count("--local") == (1 if local else 0)


# -- what the redirect removes reaches no step: pip in the per-user environment, pipx, explain ----

SYSTEM_PYTHON = "/usr/bin/python3"


def routed(*argv: str, facts: list[Fact], installed: dict[str, str] | None = None, **more: Any) -> Plan:
    """The plan outside a project completed as decide_call completes it (decide_outside.route)."""
    from safepip.decide_outside import route
    from safepip.facts.apps import AppFacts

    call = scan(argv)
    first = plan(call, interp(), None, None, config(), {}, "/home/u/downloads", user_env=EnvSpot(USER_ENV_DIR, True))
    apps = AppFacts(facts=tuple(facts), pipx=("pipx",), installed=installed or {}, **more)
    return route(call, first, apps, SYSTEM_PYTHON, True, config())


def pip_reads(args: tuple[str, ...]) -> bool:
    """Whether pip would read ``--user`` or ``--python`` in ``args``."""
    call = scan(args)
    assert call.error is None, call.error
    return call.has("--user") or call.has("--python") or call.python is not None


def pipx_passes(argv: tuple[str, ...]) -> bool:
    """Whether pipx's argv hands ``--user`` or ``--python`` to pip (pipx's own --python names the target)."""
    import shlex

    pip_args = [a.partition("=")[2] for a in argv if a.startswith("--pip-args=")]
    own = argv.count("--python") != (1 if argv[1] == "install" else 0)
    return own or any(t.startswith(("--user", "--python")) for a in pip_args for t in shlex.split(a))


@pytest.mark.parametrize("argv", [
    ("install", "--user", "numpy", "black"),
    ("--python", SYSTEM_PYTHON, "install", "numpy", "black"),
    ("--python", SYSTEM_PYTHON, "install", "--user", "--no-index", "--find-links", "/w", "numpy", "black"),
    ("--python", SYSTEM_PYTHON, "install", "--upgrade", "--user", "numpy", "black"),
    ("--python", SYSTEM_PYTHON, "install", "--upgrade", "--user", "numpy", "black==1"),
    ("install", "--user", "--no-user", "--user", "numpy", "black"),
])
def test_no_step_of_an_install_gets_user_or_python(argv: tuple[str, ...]) -> None:
    result = routed(*argv, facts=[LIB_WITH_COMMAND, APP_FACT], installed={"black": "black"})
    pip_step, pipx_step = result.steps
    assert scan(pip_step.args).positionals == ("numpy",)
    assert not pip_reads(result.args) and not pip_reads(pip_step.args)
    assert pipx_step.args[1] in ("install", "upgrade") and pipx_step.args[-1] in ("black", "black==1")
    assert not pipx_passes(pipx_step.args) and not pipx_passes(pipx_step.again)
    if pipx_step.args[1] == "install":
        assert pipx_step.args[2:4] == ("--python", SYSTEM_PYTHON)  # pipx's own: the target


def test_no_step_of_an_uninstall_gets_python() -> None:
    result = routed("--python", SYSTEM_PYTHON, "uninstall", "-y", "numpy", "black", facts=[],
                    installed={"black": "black"})
    pip_step, pipx_step = result.steps
    assert pip_step.args == ("uninstall", "-y", "numpy")
    assert pipx_step.args == ("pipx", "uninstall", "black")


@pytest.mark.parametrize(("uninject", "argv", "where", "says"), [
    (True, ("pipx", "uninject", "poetry", "poetry-plugin-export"), "pipx uninject poetry", "uninjecting it with pipx"),
    # Debian 12's pipx 1.1.0 has no uninject: its own pip in the application's environment.
    (False, ("pipx", "runpip", "poetry", "uninstall", "-y", "poetry-plugin-export"), "pipx runpip poetry",
     "has no uninject: uninstalling it with pipx runpip poetry"),
])
def test_an_injected_plugin_leaves_as_the_pipx_in_use_can(uninject: bool, argv: tuple[str, ...], where: str,
                                                          says: str) -> None:
    result = routed("uninstall", "-y", "Poetry_Plugin_Export", facts=[], installed={"poetry": "poetry"},
                    injected={"poetry-plugin-export": "poetry"}, pipx_uninject=uninject)
    (step,) = result.steps
    assert step.args == argv and step.where == where
    assert step.notice is not None and says in step.notice


def test_a_library_alone_runs_the_cleaned_call() -> None:
    result = routed("--python", SYSTEM_PYTHON, "install", "--user", "-q", "numpy", facts=[LIB_WITH_COMMAND])
    (step,) = result.steps
    assert step.args == result.args == ("install", "-q", "numpy")


def test_the_cleaned_call_keeps_every_other_option_where_pip_reads_it() -> None:
    from safepip.decide import redirected

    call = scan(["--python", SYSTEM_PYTHON, "-q", "install", "--user", "-c", "c.txt", "-qU", "--find-links=/w", "x",
                 "--no-user", "y"])
    cleaned = redirected(call)
    assert cleaned.argv == ("-q", "install", "-c", "c.txt", "-qU", "--find-links=/w", "x", "--no-user", "y")
    assert cleaned.python is None and not cleaned.has("--user") and not cleaned.has("--python")
    again = scan(cleaned.argv)
    assert [(o.name, o.value, o.start, o.stop) for o in cleaned.options] == [
        (o.name, o.value, o.start, o.stop) for o in again.options]
    assert cleaned.positionals == again.positionals == ("x", "y")
    assert cleaned.without_positionals([0]) == ["-q", "install", "-c", "c.txt", "-qU", "--find-links=/w", "--no-user", "y"]
def test_a_metapackage_sent_to_pipx_brings_its_dependencies_commands() -> None:
    from safepip.decide_outside import route
    from safepip.facts.apps import AppFacts

    call = scan(["install", "jupyter", "black"])
    start = outside("install", "jupyter", "black", cfg=config(apps="pipx"))
    facts = (Fact("jupyter", "jupyter", Meta("jupyter", "1.1.1")),
             Fact("black", "black", Meta("black", "24.1", console=("black",), top_level=("black",))))
    done = route(call, start, AppFacts(facts=facts, pipx=("pipx",)), "/usr/bin/python3", False, config(apps="pipx"))
    jupyter, black = done.steps
    assert "--include-deps" in jupyter.args and "--include-deps" in jupyter.again
    assert "--include-deps" not in black.args


@pytest.mark.parametrize("offline_call", [True, False])
def test_an_offline_pipx_install_is_offered_safepips_pip_wheel(offline_call: bool) -> None:
    """pipx 1.5 to 1.7 reinstall pip into their new shared libraries from the install's sources:
    with ``--no-index`` the directory of safepip's own pip wheel goes with them (and only then)."""
    import shlex

    from safepip.decide_outside import route
    from safepip.facts.apps import AppFacts

    argv = ["install", *(["--no-index", "--find-links", "/w"] if offline_call else []), "black"]
    call = scan(argv)
    start = outside(*argv, cfg=config(apps="pipx"))
    facts = (Fact("black", "black", Meta("black", "24.1", console=("black",), top_level=("black",))),)
    apps = AppFacts(facts=facts, pipx=("pipx",), pipx_pip_wheels="/cache/pip/seed")
    (step,) = route(call, start, apps, "/usr/bin/python3", False, config(apps="pipx")).steps
    for argv_ in (step.args, step.again):
        pip_args = [t for a in argv_ if a.startswith("--pip-args=") for t in shlex.split(a.partition("=")[2])]
        assert ("--find-links=/cache/pip/seed" in pip_args) is offline_call, argv_
