"""Constraints on the fast path: ``-c FILE``, ``constraint`` in pip's config files and
``PIP_CONSTRAINT``. A constraint narrows what satisfies; it must not turn the fast path off
(a machine-wide constraint is common: this machine's /etc/xdg/pip/pip.conf has one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from handmade import req_lines
from safepip.fastpath import answer as fastpath
from safepip.fastpath import options
from safepip.fastpath.environment import Environment
from safepip.fastpath.options import Fallback
from safepip.fastpath.satisfied import satisfied


@pytest.mark.parametrize(
    ("constraints", "satisfied_"),
    [
        (["lib-a<2"], True),
        (["lib-a>=2"], False),  # lib-b's dependency would have to change
        (["lib-b==2.0", "lib-a!=1.0"], False),
        (['lib-a>=2; sys_platform == "nope"'], True),  # a marker that does not match: ignored
        (["unrelated==9", "torch<=2.14.1"], True),  # names the requirements never reach
        (["LIB_A<1.5"], True),  # names compared normalized
    ],
)
def test_constraints_narrow_what_satisfies(small_env: Environment, constraints: list[str], satisfied_: bool) -> None:
    answer = satisfied(req_lines("lib-b"), small_env, "/", req_lines(*constraints))
    assert (answer is not None) == satisfied_
    if answer is not None:  # pip's lines do not change with constraints
        assert answer == satisfied(req_lines("lib-b"), small_env, "/")


def test_a_constraint_with_extras_or_a_url_goes_to_pip(small_env: Environment) -> None:
    for text in ("lib-a[x]<2", "lib-a @ https://example.org/lib_a-1.0-py3-none-any.whl"):
        with pytest.raises(Fallback):
            satisfied(req_lines("lib-b"), small_env, "/", req_lines(text))


def test_constraint_settings_are_collected_not_refused(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nconstraint = /etc/c1.txt\n   c2.txt\n")
    found: list[str] = []
    environ = {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path / "none"), "PIP_CONFIG_FILE": str(conf),
               "PIP_CONSTRAINT": "c3.txt c4.txt"}
    assert options.settings_quiet(environ, str(tmp_path / "env"), found) == 0
    assert found == ["/etc/c1.txt", "c2.txt", "c3.txt", "c4.txt"]


def test_constraint_files_are_read_with_the_subset(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text("# pinned\nlib-a<2  # why\n")
    (tmp_path / "nested.txt").write_text("-r c.txt\n")
    (tmp_path / "odd.txt").write_text("-e .\n")
    files: list[str] = []
    assert [ln.text for ln in fastpath.constraint_lines(["c.txt", "c.txt"], str(tmp_path), files)] == ["lib-a<2"]
    assert files == [str(tmp_path / "c.txt")]
    for name in ("nested.txt", "odd.txt", "missing.txt"):
        with pytest.raises(Fallback):
            fastpath.constraint_lines([name], str(tmp_path))


