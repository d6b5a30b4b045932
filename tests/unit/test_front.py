"""The front door (safepip.front): the active-venv pass-through agrees with plan(), and a
remembered no-op answer is replayed only while nothing it depended on has changed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontexec import quick_argv
from helpers import SYSTEM_PYTHON, safepip_env
from safepip.act.flow import prepare
from safepip.decide import PASSTHROUGH
from safepip.facts import _pipoptions
from safepip.pipeline import resolve
from safepip.remembered import store as memo
from safepip.session import Session

# -- remember / replay ----------------------------------------------------------------------


def _age(*paths: Path, seconds: float = 30) -> None:
    past = time.time() - seconds
    for path in paths:
        os.utime(path, (past, past))


@pytest.fixture
def memo_env(tmp_path: Path) -> dict[str, str]:
    return {"SAFEPIP_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path)}


def test_remember_then_replay(tmp_path: Path, memo_env: dict[str, str], capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    watched = tmp_path / "site"
    watched.mkdir()
    _age(watched)
    argv = ["install", "x"]
    assert memo.remember(argv, memo_env, str(tmp_path), [str(watched), str(tmp_path / "absent")], "out\n", "err\n")
    assert memo.replay(argv, memo_env) == 0
    assert capsys.readouterr() == ("out\n", "err\n")


def test_any_change_invalidates(tmp_path: Path, memo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    watched = tmp_path / "site"
    watched.mkdir()
    _age(watched)
    absent = tmp_path / "absent"
    argv = ["install", "x"]
    assert memo.remember(argv, memo_env, str(tmp_path), [str(watched), str(absent)], "", "")
    (watched / "new.dist-info").mkdir()  # what pip does when it installs anything
    assert memo.replay(argv, memo_env) is None
    (watched / "new.dist-info").rmdir()
    _age(watched)
    assert memo.remember(argv, memo_env, str(tmp_path), [str(watched), str(absent)], "", "")
    absent.write_text("")  # a file that was absent appears
    assert memo.replay(argv, memo_env) is None


def test_the_key_is_exact(tmp_path: Path, memo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert memo.remember(["install", "x"], memo_env, str(tmp_path), [], "", "")
    assert memo.replay(["install", "y"], memo_env) is None
    assert memo.replay(["install", "x"], {**memo_env, "PIP_INDEX_URL": "https://example.org"}) is None
    assert memo.replay(["install", "x"], {**memo_env, "SAFEPIP_NO_FASTPATH": "1"}) is None
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert memo.replay(["install", "x"], memo_env) is None


def test_the_key_names_which_safepip_answers(tmp_path: Path, memo_env: dict[str, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Two installations of one version (pipx's and a project's) share the cache: neither replays
    # the other's answers (`safepip --version` printed the other's location).
    monkeypatch.chdir(tmp_path)
    assert memo.remember(["--version"], memo_env, str(tmp_path), [], "safepip 1 from A\n", "")
    mine = sys.executable
    monkeypatch.setattr(sys, "executable", str(tmp_path / "other" / "bin" / "python"))
    assert memo.replay(["--version"], memo_env) is None
    monkeypatch.setattr(sys, "executable", mine)
    assert memo.replay(["--version"], memo_env) == 0
    monkeypatch.setattr(memo, "_HERE", str(tmp_path / "elsewhere" / "safepip"))
    assert memo.replay(["--version"], memo_env) is None


def test_owner_only_paths_ignore_use_but_not_permissions(tmp_path: Path, memo_env: dict[str, str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    above = tmp_path / "above"
    above.mkdir()
    argv = ["install", "x"]
    assert memo.remember(argv, memo_env, str(tmp_path), [], "", "", owned=[str(above)])
    (above / "somebody's file").write_text("")  # a busy directory like $HOME or /tmp
    assert memo.replay(argv, memo_env) == 0
    above.chmod(0o777)  # but the trust rules read its mode
    assert memo.replay(argv, memo_env) is None


def test_recent_changes_are_not_remembered(tmp_path: Path, memo_env: dict[str, str]) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert not memo.remember(["install", "x"], memo_env, str(tmp_path), [str(fresh)], "", "")


@pytest.fixture(scope="module")
def active_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("active") / "venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(env_dir)], check=True)
    return env_dir


def _full_argv(argv: list[str], environ: dict[str, str]) -> list[str]:
    session = Session(environ)
    resolved = resolve(argv, session)
    ctx, plan = resolved.ctx, resolved.plan
    assert plan.kind == PASSTHROUGH
    assert not plan.warnings
    assert not plan.env_changes
    command, lock, _ = prepare(ctx, plan, session)
    assert lock is None
    return command


_NAMES = sorted(set(_pipoptions.GLOBAL) | set(_pipoptions.COMMANDS["install"]) | set(_pipoptions.COMMANDS["list"]))


_WORDS = st.one_of(
    st.sampled_from(_NAMES),
    st.sampled_from(sorted(_pipoptions.COMMANDS)),
    st.sampled_from(["x", "lib-a>=1", "-", "--", "help", "/tmp/y", "--py", "-qV", "-hq", "--vers", "--he"]),
)


@given(argv=st.lists(_WORDS, max_size=6))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_quick_pass_through_is_what_plan_decides(
    argv: list[str], active_venv: Path, no_exec: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    environ = {**safepip_env(), "VIRTUAL_ENV": str(active_venv)}
    quick = quick_argv(argv, environ)
    if quick is not None:
        assert quick == _full_argv(argv, environ)


@pytest.mark.parametrize(
    ("argv", "extra", "taken"),
    [
        (["list"], {}, True),
        (["install", "x"], {"SAFEPIP_NO_FASTPATH": "1"}, True),
        (["install", "x"], {}, False),  # the fast path may answer: full path
        (["--python", "/usr/bin/python3", "list"], {}, False),
        (["--version"], {}, False),
        (["-V"], {}, False),
        (["help"], {}, False),
        (["list"], {"SAFEPIP_SHELL_INIT": "bash"}, True),  # every shell that ran shell-init has it
        (["list"], {"SAFEPIP_POLICY": "always"}, False),
        (["list"], {"CONDA_PREFIX": "/opt/conda"}, False),
        (["list", "--safepip-quiet"], {}, False),
    ],
)
def test_what_the_quick_path_takes(argv: list[str], extra: dict[str, str], taken: bool, active_venv: Path,
                                   no_exec: None) -> None:
    environ = {**safepip_env(), "VIRTUAL_ENV": str(active_venv), **extra}
    assert (quick_argv(argv, environ) is not None) is taken


def test_the_key_holds_the_pyenv_selection(tmp_path: Path, memo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from safepip.facts.interpreter import pyenv_selection

    monkeypatch.chdir(tmp_path)
    assert memo.remember(["install", "x"], {**memo_env, "PYENV_VERSION": "3.11.7"}, str(tmp_path), [], "", "")
    assert memo.replay(["install", "x"], {**memo_env, "PYENV_VERSION": "3.12.1"}) is None
    shim = str(tmp_path / ".pyenv" / "shims" / "python3")
    chosen = pyenv_selection(shim, str(tmp_path / "proj"), {"HOME": str(tmp_path)})
    assert str(tmp_path / "proj" / ".python-version") in chosen and "/.python-version" in chosen
    assert str(tmp_path / ".pyenv" / "version") in chosen
    assert pyenv_selection("/usr/bin/python3", str(tmp_path), {}) == []
