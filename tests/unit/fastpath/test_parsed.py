"""The fast path's memo of what it read out of requirement, version and marker strings
(safepip.fastpath.parsed): what it answers from the memo is what it answers without it, a
distribution whose METADATA changed is read as it is now (same size, same second, same
inode), marker results belong to the interpreter they were evaluated for, and a warm memo
answers without packaging.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import default_environment

from safepip.fastpath import parsed
from safepip.fastpath.environment import Environment
from safepip.fastpath.parsed import Parsed, bare_name
from safepip.fastpath.satisfied import Line, satisfied

MARKERS = {k: str(v) for k, v in default_environment().items()}


def _dist(site: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    (info / "RECORD").write_text("")
    return info


def _env(prefix: Path, markers: dict[str, str] | None = None) -> Environment:
    (prefix / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    return Environment(str(prefix), [str(prefix / "site")], markers or MARKERS)


def _memo(tmp_path: Path, markers: dict[str, str] | None = None) -> Parsed:
    root = tmp_path / "cache"
    root.mkdir(mode=0o700, exist_ok=True)
    return Parsed(markers or MARKERS, str(root / "fastpath" / "parsed.marshal"), str(root))


def _check(tmp_path: Path, text: str, markers: dict[str, str] | None = None) -> tuple[list[str], list[str]] | None:
    """One call's check of ``text``, through the memo kept in ``tmp_path`` (saved, as the fast path saves it)."""
    memo = _memo(tmp_path, markers)
    try:
        return satisfied([Line(text, None)], _env(tmp_path / "env", markers), "/", (), memo)
    finally:
        memo.save()


def _rewrite(metadata: Path, old: str, new: str) -> None:
    """Another content written into the same file (same inode), at the same size, with the same
    mtime to the nanosecond: nothing about the file's identity tells the change, only its content.
    """
    assert len(old) == len(new)
    before = os.stat(metadata)
    text = metadata.read_text()
    with open(metadata, "r+") as handle:
        handle.write(text.replace(old, new))
    os.utime(metadata, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(metadata)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert metadata.read_text() != text


def test_a_requirement_rewritten_in_place_at_the_same_size_and_time_is_read_as_it_is_now(tmp_path: Path) -> None:
    site = tmp_path / "env" / "site"
    info = _dist(site, "aa", "1.0", ("bb>=2.0",))
    _dist(site, "bb", "2.0")
    first = _check(tmp_path, "aa")
    assert first is not None and first[1][1].endswith("(from aa) (2.0)")
    _rewrite(info / "METADATA", "bb>=2.0", "bb>=3.0")
    assert _check(tmp_path, "aa") is None  # bb 2.0 is outside >=3.0: pip has work to do


def test_a_marker_rewritten_in_place_at_the_same_size_and_time_is_read_as_it_is_now(tmp_path: Path) -> None:
    site = tmp_path / "env" / "site"
    info = _dist(site, "aa", "1.0", ('cc; python_version < "3"',))
    assert _check(tmp_path, "aa") is not None
    _rewrite(info / "METADATA", 'python_version < "3"', 'python_version > "3"')
    assert _check(tmp_path, "aa") is None  # cc is wanted now, and missing


def test_marker_results_belong_to_the_interpreter_they_were_read_for(tmp_path: Path) -> None:
    site = tmp_path / "env" / "site"
    _dist(site, "aa", "1.0", ('missing; python_full_version == "3.99.1"',))
    other = {**MARKERS, "python_full_version": "3.99.1", "python_version": "3.99"}
    assert _check(tmp_path, "aa") is not None  # this interpreter: the marker does not match
    assert _check(tmp_path, "aa", other) is None  # another one, same memo: it does, and missing is missing
    assert _check(tmp_path, "aa") is not None
    assert _check(tmp_path, 'aa; python_version == "3.99"', other) is None
    answer = _check(tmp_path, 'aa; python_version == "3.99"')
    assert answer is not None and answer[0] == ["Ignoring aa: markers 'python_version == \"3.99\"' don't match your environment"]


def test_a_warm_memo_answers_without_packaging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "env" / "site"
    _dist(site, "aa", "1.0", ('bb[x]>=1.0,!=1.1; python_version >= "3"', 'cc; sys_platform == "nowhere"'))
    (_dist(site, "bb", "1.2") / "METADATA").write_text("Metadata-Version: 2.1\nName: bb\nVersion: 1.2\nProvides-Extra: x\n")
    cold = _check(tmp_path, "aa==1.0")
    assert cold is not None

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("packaging was asked")

    import packaging.markers
    import packaging.requirements
    import packaging.specifiers
    import packaging.version

    monkeypatch.setattr(packaging.requirements, "Requirement", refused)
    monkeypatch.setattr(packaging.markers, "Marker", refused)
    monkeypatch.setattr(packaging.specifiers, "SpecifierSet", refused)
    monkeypatch.setattr(packaging.version, "Version", refused)
    assert _check(tmp_path, "aa==1.0") == cold


def test_bare_names_are_read_without_packaging(monkeypatch: pytest.MonkeyPatch) -> None:
    import packaging.requirements

    for text in ("a", "Foo_Bar.baz-2", "x1"):
        assert bare_name(text)
        assert packaging.requirements.Requirement(text).name == text  # what packaging reads there
    for text in ("", "-a", "a-", "a b", "a[x]", "a==1", "é", "a;b", "a@b"):
        assert not bare_name(text)
    with monkeypatch.context() as patch:
        patch.setattr(packaging.requirements, "Requirement", None)
        assert Parsed(MARKERS).requirement("Foo_Bar.baz-2") == ("Foo_Bar.baz-2", (), "", None)


def test_a_memo_of_another_packaging_or_unreadable_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    memo = _memo(tmp_path)
    assert memo.version("1.0.0post1") == ("1.0.0.post1", False)
    memo.save()
    path = tmp_path / "cache" / "fastpath" / "parsed.marshal"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert _memo(tmp_path)._vers == {"1.0.0post1": ("1.0.0.post1", False)}
    with monkeypatch.context() as patch:
        patch.setattr(parsed, "_versions", lambda: ("0", "0"))
        assert _memo(tmp_path)._vers == {}
    path.write_bytes(b"\x00not marshal")
    assert _memo(tmp_path)._vers == {}


_RELEASES = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(lambda r: ".".join(map(str, r)))


@settings(max_examples=600, deadline=None)
@given(name=st.sampled_from(["a", "Foo_Bar.baz-2"]), op=st.sampled_from(["===", "~=", "==", "!=", "<=", ">=", "<", ">"]),
       spec=_RELEASES | st.sampled_from(["1.0.*", "1.0a1", "1.0.post1", "1!2.0", "01.00", "1.0+local", " 1.0"]),
       have=_RELEASES | st.sampled_from(["1.0a1", "1.0.post1", "01.00", "1.0+local", "1!2.0", "1.0.dev0"]))
def test_simple_pins_are_read_as_packaging_reads_them(name: str, op: str, spec: str, have: str) -> None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    text = f"{name}{op}{spec}"
    simple = parsed.simple_requirement(text)
    if simple is not None:
        req = Requirement(text)  # never one packaging refuses
        assert simple == (req.name, tuple(sorted(req.extras)), str(req.specifier), None)
        found = parsed.simple_contains(simple[2], have)
        if found is not None:
            assert found == SpecifierSet(simple[2]).contains(Version(have), prereleases=True), (text, have)
            assert Parsed(MARKERS).version(have) == (str(Version(have)), False)
    else:
        try:
            Requirement(text)
        except InvalidRequirement:
            return
        assert not parsed._release(spec) or op == "===" or (op == "~=" and "." not in spec)
