"""A requirement on a project that is not installed at all ends the fast path's look at once:
pip has work to do whatever else the call or pip's settings say."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.markers import default_environment

from safepip.facts.pipargs import scan
from safepip.fastpath import answer
from safepip.fastpath.environment import Environment


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Environment:
    """An environment holding lib-a 1.0, and what the fast path reads after the environment
    made to fail the test when it is read."""
    site = tmp_path / "env" / "lib" / "site-packages"
    info = site / "lib_a-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lib-a\nVersion: 1.0\n\n")
    (info / "RECORD").write_text(f"{info.name}/METADATA,,\n{info.name}/RECORD,,\n")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    found = Environment(str(tmp_path / "env"), [str(site)], {k: str(v) for k, v in default_environment().items()})
    monkeypatch.setattr(Environment, "of", classmethod(lambda cls, python, environ, listed=None, probed=None, dirs=None, *,
                                                     known=None: found))

    def read_on(*_: object) -> None:
        raise AssertionError("read past the environment")

    monkeypatch.setattr(answer, "read_settings", read_on)
    return found


def test_a_project_not_installed_is_not_looked_at_further(env: Environment, tmp_path: Path) -> None:
    call = scan(["install", "lib-a", "app-c", "-r", "requirements.txt"])
    assert answer.attempt(call, "/env/bin/python", {}, str(tmp_path)) is None


@pytest.mark.parametrize("args", [["lib-a"], ["app-c>=1"], ["app-c[x]"], ["here"]])
def test_an_installed_one_or_more_than_a_name_is_read_on(env: Environment, tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "here").mkdir()  # a local directory of that name: a project to build, not a name
    with pytest.raises(AssertionError, match="read past"):
        answer.attempt(scan(["install", *args]), "/env/bin/python", {}, str(tmp_path))
