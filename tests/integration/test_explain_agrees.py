"""``explain --json`` shows exactly what ``install`` executes: for a table of situations,
the argv of every step explain reports equals the argv the install starts (recorded by an
injected runner, in-process), and a refusal is a refusal with the same exit code. The table
includes what the trust rules refuse (an interpreter the project ships, an environment that
is the repository's, a project of another user's): explain reports it, nothing runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import SYSTEM_XY, needs_managed, offline
from inprocess import explain_json, run_main, same_scratch
from users import give, script


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def _where(situation: str, project: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    trace = tmp_path / "TRACE"
    if situation == "project":
        return project / "src"
    if situation == "shipped-python":  # [tool.safepip] python names a program inside the project
        (project / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n'
                                                '[tool.safepip]\npython = "tools/python3"\n')
        _executable(project / "tools" / "python3", script(trace))
        return project
    if situation == "repo-venv":  # a .venv whose pyvenv.cfg names no home: not one the user made
        venv = project / ".venv"
        (venv / "lib" / f"python{SYSTEM_XY}" / "site-packages" / "pip").mkdir(parents=True)
        (venv / "pyvenv.cfg").write_text("include-system-site-packages = false\n")
        _executable(venv / "bin" / "python", script(trace))
        return project
    if situation == "foreign":  # the project belongs to another user
        give(project, request.getfixturevalue("other_user"))
        return project  # (from below its root the walk would not enter their directories at all)
    outside = tmp_path / "home" / "downloads"
    outside.mkdir(exist_ok=True)
    return outside


CASES = [
    # (where, pip args after the offline options, extra environment, expected decision)
    ("project", ["install", "lib-b"], {}, "project-venv"),
    ("project", ["install", "--target", "{tmp}/t", "lib-b"], {}, "passthrough"),
    ("project", ["uninstall", "-y", "lib-b"], {}, "project-venv"),
    ("outside", ["install", "app-c"], {}, "pipx"),
    ("outside", ["install", "--user", "app-c"], {}, "pipx"),
    ("outside", ["install", "lib-b"], {}, "user-env"),
    ("outside", ["install", "lib-b", "app-c"], {}, "user-env"),
    ("outside", ["install", "lib-b", "app-c"], {"SAFEPIP_APPS": "user-env"}, "user-env"),
    ("outside", ["install", "lib-b"], {"SAFEPIP_OUTSIDE": "refuse"}, "refuse"),
    ("outside", ["uninstall", "-y", "lib-b"], {}, "user-env"),
    ("shipped-python", ["install", "lib-b"], {}, "refuse"),
    ("shipped-python", ["list"], {}, "refuse"),
    ("repo-venv", ["install", "lib-b"], {}, "refuse"),
    ("repo-venv", ["freeze"], {}, "refuse"),
    ("foreign", ["install", "lib-b"], {}, "refuse"),
    ("foreign", ["uninstall", "-y", "lib-b"], {}, "refuse"),
]


@needs_managed
@pytest.mark.slow
@pytest.mark.parametrize(("situation", "args", "extra", "decision"), CASES)
def test_explain_shows_what_install_runs(
    situation: str, args: list[str], extra: dict[str, str], decision: str, project: Path, tmp_path: Path,
    wheelhouse: Path, pipx_dirs: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    cwd = _where(situation, project, tmp_path, request)
    env = {**pipx_dirs, **extra}
    options = offline(wheelhouse) if args[0] == "install" else []
    argv = [args[0], *options, *(a.replace("{tmp}", str(tmp_path)) for a in args[1:])]
    explained = explain_json(argv, cwd, monkeypatch, capsys, env)
    assert explained["decision"] == decision
    if decision == "pipx":  # the why is the decision's: not the per-user environment it does not use
        assert "pipx" in str(explained["why"]), explained["why"]
    steps = explained["steps"]
    assert isinstance(steps, list)
    planned = [same_scratch(s["run"]) for s in steps if s["run"] is not None]
    code, recorder = run_main(argv, cwd, monkeypatch, env)
    started = [same_scratch(a) for _, a in recorder.started]
    assert not (tmp_path / "TRACE").exists(), "ran an interpreter the trust rules refuse"
    if decision == "refuse":
        assert (code, started, planned) == (explained["exit_code"], [], [])
        if situation != "outside":
            assert explained["exit_code"] == 77 and explained["untrusted"] is not None
        return
    assert code == 0
    assert started == planned
    if len(planned) == 1:
        assert same_scratch(explained["run"]) == planned[0]  # type: ignore[arg-type]
