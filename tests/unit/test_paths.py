"""paths.Dirs: safepip's own directories for one environment, each worked out once and only
when first asked; paths.replace_file, the one atomic write; and paths.on_path."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

import pytest

from safepip import paths
from safepip.paths import on_path, replace_file


def test_each_directory_is_worked_out_once_and_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    real = paths.cache_dir

    def counted(environ: dict[str, str]) -> str:
        asked.append("cache")
        return real(environ)

    monkeypatch.setattr(paths, "cache_dir", counted)
    environ = {"SAFEPIP_CACHE_DIR": str(tmp_path / "cache"), "SAFEPIP_CONFIG_DIR": str(tmp_path / "config")}
    dirs = paths.Dirs(environ)
    assert dirs.config_file == str(tmp_path / "config" / "config.toml")
    assert asked == []  # a call that needs no cache works out none
    assert dirs.cache == dirs.cache == str(tmp_path / "cache")
    assert dirs.linux_cache == str(tmp_path / "cache")  # named: known without platformdirs
    assert asked == ["cache"]


@pytest.fixture
def here(tmp_path: Path) -> Path:
    """An empty directory of the test's own."""
    (tmp_path / "d").mkdir()
    return tmp_path / "d"


def test_replaces_whole_with_the_mode_asked(here: Path) -> None:
    target = here / "f"
    target.write_text("old")
    old_umask = os.umask(0o077)
    try:
        replace_file(str(target), b"new", mode=0o755, exact_mode=True)
        exact = stat.S_IMODE(target.stat().st_mode)
        replace_file(str(target), b"newer", mode=0o644)
        masked = stat.S_IMODE(target.stat().st_mode)
    finally:
        os.umask(old_umask)
    assert (exact, masked) == (0o755, 0o600)
    assert target.read_bytes() == b"newer"
    assert os.listdir(here) == ["f"]


def test_a_planted_link_is_replaced_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    target = tmp_path / "f"
    target.symlink_to(victim)
    # A link planted where the temporary file goes: removed first, never written through.
    (tmp_path / f"f.{os.getpid()}.tmp").symlink_to(victim)
    replace_file(str(target), b"mine")
    assert victim.read_text() == "keep"
    assert not target.is_symlink() and target.read_bytes() == b"mine"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(here: Path) -> None:
    target = here / "f"
    target.write_text("old")

    def broken(handle: BinaryIO) -> None:
        handle.write(b"half")
        raise ValueError("checked and refused")

    with pytest.raises(ValueError, match="refused"):
        replace_file(str(target), broken)
    assert target.read_text() == "old"
    assert os.listdir(here) == ["f"]


def test_bytes_are_written_with_one_call_per_step_and_no_file_object(
    here: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    for name in ("unlink", "fdopen", "open", "write", "fchmod", "replace", "close"):
        real = getattr(os, name)

        def counted(*args: object, _real: object = real, _name: str = name, **kw: object) -> object:
            calls.append(_name)
            return _real(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(os, name, counted)
    target = here / "f"
    replace_file(str(target), b"data", mode=0o600, exact_mode=True)
    # Nothing left by a killed process: nothing to remove first; the bytes go straight to the descriptor.
    assert calls == ["open", "fchmod", "write", "close", "replace"]
    assert target.read_bytes() == b"data" and os.listdir(here) == ["f"]


def test_the_levels_of_a_directory_are_told_without_relpath(monkeypatch: pytest.MonkeyPatch) -> None:
    def relpath(*args: object) -> str:
        raise AssertionError("relpath")

    monkeypatch.setattr(os.path, "relpath", relpath)
    assert paths._levels("/c/safepip", "/c/safepip") == ["/c/safepip"]
    assert paths._levels("/c/safepip/noop/x", "/c/safepip") == ["/c/safepip", "/c/safepip/noop", "/c/safepip/noop/x"]
    assert paths._levels("/a", "/") == ["/", "/a"]
    # Not below it (a sibling sharing the name's start, a parent), or a name starting
    # with "..", as relpath's answer was read: none.
    assert [paths._levels(p, "/c/safepip") for p in ("/c/safepipx", "/c", "/c/safepip/..x")] == [None] * 3


def _read_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes asked of os.read, in order."""
    asked: list[int] = []
    real = os.read

    def counted(fd: int, size: int) -> bytes:
        asked.append(size)
        return real(fd, size)

    monkeypatch.setattr(os, "read", counted)
    return asked


def test_a_small_private_file_is_read_without_asking_for_a_mebibyte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    target = root / "f"
    assert paths.write(str(target), b"x" * 5000, str(root))
    asked = _read_sizes(monkeypatch)
    # Its size and a byte more (a first read of a fixed 1 MiB allocates that much: ~0.1 ms cold).
    assert paths.read(str(target), str(root)) == b"x" * 5000 and asked == [5001, 5001]
    # A file bigger than its size said (grown since) is read to its end; a limit is kept.
    with open(target, "rb") as handle:
        assert paths.read_upto(handle.fileno(), 10) == b"x" * 5000
    with open(target, "rb") as handle:
        assert paths.read_upto(handle.fileno(), 5000, 4097) == b"x" * 4097


def test_on_path(tmp_path: Path) -> None:
    real = tmp_path / "bin"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert on_path(str(real), {"PATH": f"/usr/bin::{tmp_path / 'link'}"})
    assert not on_path(str(real), {"PATH": "/usr/bin:"})  # an empty entry is not the directory
    assert not on_path(str(real), {"PATH": "~/bin"})  # taken as written, as exec takes it
    assert on_path("/bin", {}) == ("/bin" in os.defpath.split(os.pathsep))
