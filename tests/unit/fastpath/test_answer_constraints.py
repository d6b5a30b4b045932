"""Constraints on the fast path: ``-c FILE``, ``constraint`` in pip's config files and
``PIP_CONSTRAINT``. A constraint narrows what satisfies; it must not turn the fast path off
(a machine-wide constraint is common: this machine's /etc/xdg/pip/pip.conf has one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import strategies as st
from packaging.markers import default_environment

from safepip.fastpath import answer as fastpath
from safepip.fastpath import options, reqfile
from safepip.fastpath.environment import Environment
from safepip.fastpath.fallback import Fallback
from safepip.fastpath.satisfied import satisfied


def _dist(site: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("\n".join(lines) + "\n\n")
    (info / "RECORD").write_text("")


@pytest.fixture
def env(tmp_path: Path) -> Environment:
    prefix = tmp_path / "env"
    site = prefix / "lib" / "site-packages"
    site.mkdir(parents=True)
    (prefix / "pyvenv.cfg").write_text("include-system-site-packages = false\n")
    _dist(site, "lib-a", "1.0")
    _dist(site, "lib-b", "2.0", ("lib-a",))
    return Environment(str(prefix), [str(site)], {k: str(v) for k, v in default_environment().items()})


def _lines(*texts: str) -> list[reqfile.Line]:
    return [reqfile.Line(t, None) for t in texts]


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
def test_constraints_narrow_what_satisfies(env: Environment, constraints: list[str], satisfied_: bool) -> None:
    answer = satisfied(_lines("lib-b"), env, "/", _lines(*constraints))
    assert (answer is not None) == satisfied_
    if answer is not None:  # pip's lines do not change with constraints
        assert answer == satisfied(_lines("lib-b"), env, "/")


def test_a_constraint_with_extras_or_a_url_goes_to_pip(env: Environment) -> None:
    for text in ("lib-a[x]<2", "lib-a @ https://example.org/lib_a-1.0-py3-none-any.whl"):
        with pytest.raises(Fallback):
            satisfied(_lines("lib-b"), env, "/", _lines(text))


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


SPECS = ("", ">=1.0", ">=1.5", "<2.0", "==1.0", "!=1.5", "<1.5", ">1.0")


MARKERS = ("", '; python_version >= "3"', '; sys_platform == "nope"')


constraint = st.builds(lambda i, spec, marker: f"q{i}{spec}{marker}", st.integers(0, 4), st.sampled_from(SPECS[1:]),
                       st.sampled_from(MARKERS))
