"""Extras read as pip's resolver reads them: a distribution asked for with extras brings its
requirements for ``extra == ""`` too, and markers that pips of different ages read
differently go to pip."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.markers import default_environment

from safepip.fastpath.environment import Environment
from safepip.fastpath.options import Fallback
from safepip.fastpath.satisfied import Line, satisfied


def _site(tmp_path: Path, requires: list[str], installed: tuple[str, ...] = ()) -> Environment:
    prefix = tmp_path / "env"
    site = prefix / "lib" / "site-packages"
    (prefix / "pyvenv.cfg").parent.mkdir(parents=True, exist_ok=True)
    (prefix / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    for name, reqs, extras in [("cc", requires, ["foo", "bar"]), *((n, [], []) for n in installed)]:
        info = site / f"{name}-1.0.dist-info"
        info.mkdir(parents=True)
        lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0"]
        lines += [f"Provides-Extra: {e}" for e in extras] + [f"Requires-Dist: {r}" for r in reqs]
        (info / "METADATA").write_text("\n".join(lines) + "\n")
        (info / "RECORD").write_text("")
    return Environment(str(prefix), [str(site)], {k: str(v) for k, v in default_environment().items()})


def test_a_requirement_excluded_for_the_extra_still_counts_for_the_base(tmp_path: Path) -> None:
    env = _site(tmp_path, ['bb; extra != "foo"'])
    assert satisfied([Line("cc[foo]", None)], env, "/") is None  # pip installs bb
    assert satisfied([Line("cc", None)], env, "/") is None


def test_the_base_and_the_extras_together(tmp_path: Path) -> None:
    env = _site(tmp_path, ['bb; extra != "foo"', 'dd; extra == "bar"'], installed=("bb",))
    answer = satisfied([Line("cc[foo]", None)], env, "/")
    assert answer is not None
    assert [line.split(" in ")[0] for line in answer[1]] == [
        "Requirement already satisfied: cc[foo]", "Requirement already satisfied: bb",
    ]
    assert satisfied([Line("cc[bar]", None)], env, "/") is None  # dd is missing


@pytest.mark.parametrize("marker", ['extra == "Foo"', "extra == 'foo' or extra == 'BAR'", 'extra in "foo bar"'])
def test_extra_tests_that_pips_read_differently_go_to_pip(tmp_path: Path, marker: str) -> None:
    env = _site(tmp_path, [f"bb; {marker}"], installed=("bb",))
    with pytest.raises(Fallback, match="tests the extra"):
        satisfied([Line("cc[foo,bar]", None)], env, "/")


def test_extra_names_written_otherwise_for_extras_not_asked_for_are_read(tmp_path: Path) -> None:
    env = _site(tmp_path, ['dd; extra == "Other_Name"', 'bb; "foo" == extra'], installed=("bb",))
    assert satisfied([Line("cc[foo]", None)], env, "/") is not None
