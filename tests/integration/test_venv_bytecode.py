"""The byte code cache for seeded pip (bytecode.py): what new environments get, and that
nothing from the cache is used unless it is the user's own, unchanged and whole."""

from __future__ import annotations

import glob
import os
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers import system_base
from safepip.paths import cache_dir
from safepip.venv import bytecode, clonefile
from safepip.venv import ensure as envs


def quiet(_: str) -> None:
    pass


def pycs(env_dir: Path) -> dict[str, bytes]:
    """The environment's pip byte code: path relative to the pip package -> content."""
    (package,) = glob.glob(str(env_dir / "lib" / "python*" / "site-packages" / "pip"))
    found = {}
    for path in glob.glob(os.path.join(package, "**", "__pycache__", "*.pyc"), recursive=True):
        found[os.path.relpath(path, package)] = Path(path).read_bytes()
    return found


def entries() -> list[Path]:
    return sorted(Path(cache_dir(os.environ), "bytecode").glob("*/pip-*"))


def create(path: Path) -> Path:
    assert envs.ensure(str(path), system_base(), dict(os.environ), quiet).created
    return path


def run_pip(env_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "list"], env=env,
                          capture_output=True, text=True, check=True)


@pytest.fixture
def first(tmp_path: Path) -> Iterator[Path]:
    """An environment made with an empty cache: it compiled pip and filled the entry."""
    yield create(tmp_path / "first" / ".venv")


@pytest.mark.slow
def test_the_first_environment_compiles_and_the_next_copies(first: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = pycs(first)
    assert len(compiled) > 200
    # checked-hash pycs (PEP 552 flags 0b11): Python compares each with its source on import
    assert {int.from_bytes(data[4:8], "little") for data in compiled.values()} == {3}
    (entry,) = entries()
    assert os.stat(entry).st_mode & 0o777 == 0o700

    def no_compiling(*args: object) -> bool:
        raise AssertionError("the cached byte code should have been copied")

    monkeypatch.setattr(bytecode, "compile_package", no_compiling)
    second = create(tmp_path / "second" / ".venv")
    assert pycs(second) == compiled
    before = {p: os.stat(p).st_mtime_ns for p in glob.glob(f"{second}/lib/*/site-packages/pip/**/*.pyc", recursive=True)}
    run_pip(second)
    after = {p: os.stat(p).st_mtime_ns for p in glob.glob(f"{second}/lib/*/site-packages/pip/**/*.pyc", recursive=True)}
    assert after == before, "pip recompiled modules the copied byte code should have served"
    where = subprocess.run([str(second / "bin" / "python"), "-c", ("import pip._internal.cli.main as m; "
                            "print(m.main.__code__.co_filename)")], capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(second)), "tracebacks must name the environment's own files"
    assert not glob.glob(f"{second}/**/*.tmp", recursive=True)


@pytest.mark.slow
def test_a_changed_cache_file_is_never_copied(first: Path, tmp_path: Path) -> None:
    (entry,) = entries()
    victim = sorted(entry.glob("_internal/__pycache__/*.pyc"))[0]
    rel = str(victim.relative_to(entry))
    victim.write_bytes(victim.read_bytes()[:16] + b"not what was compiled")
    second = create(tmp_path / "second" / ".venv")
    copied = pycs(second)
    assert rel not in copied
    assert len(copied) == len(pycs(first)) - 1
    run_pip(second)  # pip compiles the one that is missing and runs


@pytest.mark.slow
@pytest.mark.parametrize("spoil", ["group-writable", "other-owner", "torn"])
def test_an_untrusted_entry_is_compiled_afresh_and_replaced(first: Path, tmp_path: Path, spoil: str,
                                                            other_user: tuple[str, int, int],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (entry,) = entries()
    planted = b"planted"
    victim = sorted(entry.glob("__pycache__/*.pyc"))[0]
    victim.write_bytes(victim.read_bytes()[:16] + planted)
    manifest = (entry / bytecode.MANIFEST)
    import hashlib
    import json

    data = json.loads(manifest.read_text())
    data[str(victim.relative_to(entry))] = hashlib.sha256(victim.read_bytes()).hexdigest()
    manifest.write_text(json.dumps(data))
    if spoil == "group-writable":
        os.chmod(entry, 0o770)
    elif spoil == "other-owner":
        os.chown(manifest, other_user[1], other_user[2])
    else:
        manifest.unlink()
    calls: list[Any] = []
    real = bytecode.compile_package

    def counted(*a: Any) -> bool:
        calls.append(a)
        return real(*a)

    monkeypatch.setattr(bytecode, "compile_package", counted)
    second = create(tmp_path / "second" / ".venv")
    assert calls, "an untrusted entry must not be used"
    assert not any(data.endswith(planted) for data in pycs(second).values())
    (replaced,) = entries()
    assert bytecode.trusted_manifest(str(replaced)) is not None
    assert not any(data.endswith(planted) for data in (p.read_bytes() for p in replaced.rglob("*.pyc")))


@pytest.mark.parametrize(("mode", "owner", "trusted"), [
    (0o755, "me", True),
    (0o1777, "me", True),  # /tmp: others cannot rename what is not theirs
    (0o777, "me", False),
    (0o775, "me", True),  # root's group is its own private group
    (0o775, "other-group", False),
    (0o755, "other-user", False),
])
def test_an_entry_below_a_directory_others_control_is_not_used(
    tmp_path: Path, other_user: tuple[str, int, int], mode: int, owner: str, trusted: bool,
) -> None:
    above = tmp_path / "above"
    entry = above / "bytecode" / "pip-1-abc"
    entry.mkdir(parents=True, mode=0o700)
    os.chmod(entry, 0o700)
    fd = os.open(entry / bytecode.MANIFEST, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"{}")
    os.close(fd)
    os.chmod(above, mode)
    if owner == "other-group":
        os.chown(above, -1, other_user[2])
    elif owner == "other-user":
        os.chown(above, other_user[1], -1)
    assert (bytecode.trusted_manifest(str(entry)) is not None) is trusted


def test_prune_keeps_one_build_and_what_live_processes_write(tmp_path: Path) -> None:
    parent = tmp_path / "1-cpython-3.11.2"
    for name in ["pip-1-aaa", "pip-2-bbb", f"pip-2-bbb.{os.getpid()}.tmp", "pip-2-bbb.999999999.tmp",
                 "pip-2-bbb.999999999.gone.tmp"]:
        (parent / name).mkdir(parents=True)
    bytecode.prune(str(parent), keep="pip-2-bbb")
    assert sorted(p.name for p in parent.iterdir()) == ["pip-2-bbb", f"pip-2-bbb.{os.getpid()}.tmp"]


@pytest.mark.slow
def test_no_file_is_shared_with_the_cache_or_another_environment(first: Path, tmp_path: Path) -> None:
    (entry,) = entries()
    second = create(tmp_path / "second" / ".venv")
    assert pycs(second) == pycs(first)
    cached = {os.stat(p).st_ino for p in entry.rglob("*.pyc")}
    for env in (first, second):
        for pyc in env.glob("lib/*/site-packages/pip/**/*.pyc"):
            st = os.stat(pyc)
            assert st.st_nlink == 1 and st.st_ino not in cached, pyc
            assert not st.st_mode & 0o022, pyc


@pytest.mark.slow
def test_a_copy_cut_short_leaves_whole_files_only(first: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    count = iter(range(10**6))

    def write_half_then_fail(fd: int, data: memoryview) -> int:
        if next(count) >= 50:  # the 51st file on: half of it, then a full disk
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(clonefile, "_write", write_half_then_fail)
    monkeypatch.setattr(clonefile, "_CLONES", [False])
    second = create(tmp_path / "second" / ".venv")
    monkeypatch.setattr(clonefile, "_write", real_write)
    copied = pycs(second)
    assert len(copied) == 50
    assert all(copied[rel] == data for rel, data in pycs(first).items() if rel in copied)
    assert not glob.glob(f"{second}/**/*.tmp", recursive=True)
    run_pip(second)


@pytest.mark.slow
def test_a_group_writable_umask_still_gives_a_trusted_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = os.umask(0o002)
    try:
        create(tmp_path / "first" / ".venv")
    finally:
        os.umask(old)
    (entry,) = entries()
    assert bytecode.trusted_manifest(str(entry)) is not None
    assert not [p for p in entry.rglob("*") if os.stat(p).st_mode & 0o022]
