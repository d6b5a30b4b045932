"""The environment's own records (safepip.venv.state): the state file safepip writes into the
environments it makes, why an environment cannot be used as it is, and the proof its records
carry: made with the user's own key, bound to their directory."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from safepip.venv import ensure as envs
from safepip.venv import rebuild
from safepip.venv import state as envstate
from safepip.venv.inventory import JOURNAL
from safepip.venv.layout import OLD_INFIX


def test_an_interpreter_now_another_minor_version_is_a_problem(tmp_path: Path) -> None:
    env_dir = tmp_path / ".venv"
    (env_dir / "bin").mkdir(parents=True)
    (tmp_path / "python3.12").write_text("")
    (env_dir / "bin" / "python").symlink_to(tmp_path / "python3.12")
    (env_dir / "pyvenv.cfg").write_text("home = /x\nversion_info = 3.11.7.final.0\n")
    assert envstate.problem(str(env_dir)) == "it was made with Python 3.11 and its interpreter is now Python 3.12"
    (env_dir / "pyvenv.cfg").write_text("home = /x\nversion = 3.12.1\n")
    assert envstate.problem(str(env_dir)) is None


def test_a_dangling_interpreter_is_named_by_the_path_that_is_gone(tmp_path: Path) -> None:
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /x\nversion = 3.11.2\n")
    gone = tmp_path / "python-1" / "bin" / "python3"
    (env / "bin" / "python3").symlink_to(gone)
    (env / "bin" / "python").symlink_to("python3")  # as python -m venv makes it: relative
    assert envstate.problem(str(env)) == f"its interpreter {gone} no longer exists"


def test_the_state_safepip_wrote_is_read_back_and_a_forged_one_is_not(tmp_path: Path) -> None:
    env_dir = str(tmp_path / ".venv")
    os.makedirs(env_dir)
    assert envstate.state(env_dir) is None
    envstate.write_state(env_dir, envstate.RESTORING, "/usr/bin/python3", old=env_dir + ".old")
    assert envstate.state(env_dir) == envstate.RESTORING
    assert envstate.restoring_from(env_dir) == env_dir + ".old"
    assert envstate.problem(env_dir) == "its rebuild was interrupted"
    envstate.write_state(env_dir, envstate.CREATING, "/usr/bin/python3")
    assert envstate.problem(env_dir) == "its creation was interrupted"
    assert envstate.own_files_only(env_dir)
    # What a repository commits is not safepip's, whatever it says.
    Path(env_dir, envstate.STATE_FILE).write_text('{"state": "complete", "python": "/usr/bin/python3"}')
    assert envstate.state(env_dir) is None
    Path(env_dir, "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert not envstate.own_files_only(env_dir)


def test_a_state_file_is_read_in_steps_of_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = str(tmp_path / ".venv")
    os.makedirs(env_dir)
    envstate.write_state(env_dir, envstate.COMPLETE, "/usr/bin/python3")
    size = os.path.getsize(os.path.join(env_dir, envstate.STATE_FILE))
    asked: list[int] = []
    real = os.read

    def counted(fd: int, want: int) -> bytes:
        asked.append(want)
        return real(fd, want)

    monkeypatch.setattr(os, "read", counted)
    # Not a fixed 1 MiB (allocated whole by the first read of a process); the key is read as a private file.
    assert envstate.state(env_dir) == envstate.COMPLETE and max(asked) == 4096 > size


@pytest.fixture(autouse=True)
def fresh_key_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envstate, "_loaded", {})


def key_file() -> Path:
    return Path(envstate.key_path()[0])


def test_the_key_is_made_private_on_the_first_write_and_never_by_a_read(tmp_path: Path) -> None:
    env = tmp_path / "env"
    env.mkdir()
    assert envstate.key() is None
    assert envstate.load(envstate.STATE, str(env), str(env / envstate.STATE_FILE)) is None
    assert envstate.state(str(env)) is None
    assert not key_file().exists()  # reading made nothing
    envstate.write_state(str(env), envstate.COMPLETE, "/usr/bin/python3")
    st = key_file().stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid()
    assert stat.S_IMODE(key_file().parent.stat().st_mode) & 0o022 == 0
    assert len(bytes.fromhex(key_file().read_text().strip())) == 32
    assert envstate.state(str(env)) == envstate.COMPLETE


def test_a_record_verifies_only_unchanged_and_in_its_own_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = tmp_path / "env"
    env.mkdir()
    envstate.write_state(str(env), envstate.CREATING, "/usr/bin/python3")
    assert envstate.state(str(env)) == envstate.CREATING
    written = json.loads((env / envstate.STATE_FILE).read_text())
    assert isinstance(written["mac"], str)
    # The same record copied into another directory (a repository that committed one) does not.
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy2(env / envstate.STATE_FILE, other / envstate.STATE_FILE)
    assert envstate.state(str(other)) is None
    # Nor one whose content was changed, nor one without a proof.
    (env / envstate.STATE_FILE).write_text(json.dumps({**written, "state": "restoring"}))
    assert envstate.state(str(env)) is None
    (env / envstate.STATE_FILE).write_text(json.dumps({"state": "creating"}))
    assert envstate.state(str(env)) is None
    err = capsys.readouterr().err
    assert f"safepip: warning: ignoring {other / envstate.STATE_FILE}: safepip did not write it\n" in err
    assert err.count(f"ignoring {env / envstate.STATE_FILE}") == 1  # said once


def test_an_environment_moved_elsewhere_is_no_longer_safepips(tmp_path: Path) -> None:
    env = tmp_path / "env"
    env.mkdir()
    envstate.write_state(str(env), envstate.CREATING, "/usr/bin/python3")
    moved = tmp_path / "moved"
    os.rename(env, moved)
    assert envstate.state(str(moved)) is None  # bound to where it was made: a plain environment now
    os.rename(moved, env)
    assert envstate.state(str(env)) == envstate.CREATING  # restored in place (a backup): safepip's again
    link = tmp_path / "link"
    link.symlink_to(env)
    assert envstate.state(str(link)) == envstate.CREATING  # an environment reached through a .venv link


def test_a_journal_is_signed_for_the_name_its_tree_is_moved_to_and_never_read_through_a_link(tmp_path: Path) -> None:
    work = tmp_path / ".venv"
    work.mkdir()
    old = tmp_path / f".venv{OLD_INFIX}20260101-000000-1"
    rebuild.write_journal(str(work), {"kind": "pending", "dists": []}, str(old))
    assert rebuild.read_journal(str(work)) is None  # signed for the name it is moved to
    os.rename(work, old)
    assert rebuild.read_journal(str(old)) == {"kind": "pending", "dists": []}
    assert envs.pending(str(work)) == [str(old)]
    link = tmp_path / f".venv{OLD_INFIX}20260101-000000-2"
    link.symlink_to(old)
    assert rebuild.read_journal(str(link)) is None
    assert rebuild.old_trees(str(work)) == [str(old)]
    # A state file is not a journal, even for the same directory.
    envstate.write_state(str(old), envstate.COMPLETE, "/usr/bin/python3")
    (old / JOURNAL).write_bytes((old / envstate.STATE_FILE).read_bytes())
    assert rebuild.read_journal(str(old)) is None


def test_trash_is_removed_only_when_its_journal_verifies(tmp_path: Path) -> None:
    tree = tmp_path / f".venv{OLD_INFIX}20260101-000000-1"
    (tree / "lib").mkdir(parents=True)
    (tree / JOURNAL).write_text(json.dumps({"kind": "trash"}))
    rebuild.remove_trash(str(tree))
    assert (tree / "lib").is_dir()
    rebuild.mark_trash(str(tree))
    rebuild.remove_trash(str(tree))
    assert not tree.exists()


def test_a_key_file_that_is_not_private_is_never_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = tmp_path / "env"
    env.mkdir()
    envstate.write_state(str(env), envstate.COMPLETE, "/usr/bin/python3")
    key_file().chmod(0o622)
    envstate._loaded.clear()
    assert envstate.state(str(env)) is None
    assert "is writable by other users" in capsys.readouterr().err
    envstate.write_state(str(env), envstate.COMPLETE, "/usr/bin/python3")  # not replaced, not used
    assert json.loads((env / envstate.STATE_FILE).read_text()).get("mac") is None
    assert stat.S_IMODE(key_file().stat().st_mode) == 0o622


def test_a_key_file_of_another_user_is_never_used(tmp_path: Path, other_user: tuple[str, int, int]) -> None:
    env = tmp_path / "env"
    env.mkdir()
    envstate.write_state(str(env), envstate.COMPLETE, "/usr/bin/python3")
    os.chown(key_file(), other_user[1], other_user[2])
    envstate._loaded.clear()
    assert envstate.state(str(env)) is None


def test_a_key_that_is_a_link_or_not_a_key_is_never_used(tmp_path: Path) -> None:
    env = tmp_path / "env"
    env.mkdir()
    envstate.write_state(str(env), envstate.COMPLETE, "/usr/bin/python3")
    real = key_file()
    moved = real.with_name("elsewhere")
    os.rename(real, moved)
    real.symlink_to(moved)
    envstate._loaded.clear()
    assert envstate.state(str(env)) is None
    real.unlink()
    real.write_text("short\n")
    real.chmod(0o600)
    envstate._loaded.clear()
    assert envstate.state(str(env)) is None


@pytest.mark.parametrize("size", [0, 1, 32, 64, 65, 200])
def test_the_proof_is_hmac_sha256(size: int) -> None:
    import hmac

    secret, message = os.urandom(size), os.urandom(3 * size + 1)
    assert envstate.hmac_sha256(secret, message) == hmac.new(secret, message, "sha256").hexdigest()
