"""A cloned repository cannot speak for safepip: records it commits are ignored, never acted on.

Each test clones (with a real ``git clone``) a local repository that commits files named like
safepip's own records (an environment's ``.safepip.json``, a rebuild journal in a tree named
like an old environment) or links named like its environments, then runs safepip in the clone
as its user would. Nothing of the project may be deleted, and nothing the repository names
may be built or run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Mapping

import pytest

from helpers import SYSTEM_PYTHON, needs_managed, run_safepip
from users import committed_clone

pytestmark = [needs_managed]

OLD_TREE = ".venv.safepip-old-20260101-000000-1"
PYPROJECT = '[project]\nname = "cloned"\nversion = "0"\n'


def clone(tmp_path: Path, files: Mapping[str, str], links: Mapping[str, str] | None = None) -> Path:
    """A clone of a repository that commits ``files`` (path -> text) and ``links`` (path ->
    link target), and an uncommitted file of the user's (``notes.txt``)."""
    links = links or {}
    root = committed_clone(tmp_path / "upstream", tmp_path / "clone", files, links=links)
    for name, target in links.items():
        assert os.readlink(root / name) == target, name  # git made the link, as committed
    (root / "notes.txt").write_text("my uncommitted work\n")
    return root


def assert_untouched(root: Path) -> None:
    """The project is all there: its history, its files and the user's uncommitted one."""
    assert (root / ".git" / "HEAD").is_file()
    assert (root / "pyproject.toml").read_text() == PYPROJECT
    assert (root / "notes.txt").read_text() == "my uncommitted work\n"
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True)
    assert " D " not in status.stdout, status.stdout


@pytest.mark.slow
@pytest.mark.parametrize("verb", [["freeze"], ["install", "--no-index", "nothing-here"]])
def test_an_old_tree_that_links_to_the_project_with_a_trash_journal_deletes_nothing(
    tmp_path: Path, verb: list[str]
) -> None:
    root = clone(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT,
            ".safepip-rebuild.json": json.dumps({"kind": "trash", "at": 0}),  # read through the link below
            ".venv.safepip-old-20260101-000000-2/.safepip-rebuild.json": json.dumps({"kind": "trash", "at": 0}),
            ".venv.safepip-old-20260101-000000-2/data.txt": "the repository's data\n",
        },
        links={OLD_TREE: "."},
    )
    done = run_safepip(*verb, cwd=root)
    assert "Traceback" not in done.stderr
    assert_untouched(root)
    assert os.readlink(root / OLD_TREE) == "."  # never followed, never removed
    assert (root / ".venv.safepip-old-20260101-000000-2" / "data.txt").is_file()  # a journal safepip did not write
    assert done.returncode in (0, 1), done.stderr  # freeze works; install finds nothing to install


@pytest.mark.parametrize("state", [json.dumps({"state": "creating"}), "not json at all"])
def test_a_committed_venv_link_to_the_project_is_refused_and_nothing_is_deleted(tmp_path: Path, state: str) -> None:
    # The repository chose the place: its configuration's rule (exit 78) refuses it before anything runs.
    root = clone(tmp_path, {"pyproject.toml": PYPROJECT, ".safepip.json": state}, links={".venv": "."})
    for verb in (["freeze"], ["install", "--no-index", "x"], ["which", "python"], ["run", "true"], ["doctor"]):
        done = run_safepip(*verb, cwd=root)
        assert done.returncode == 78, (verb, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and ".venv is a link committed in git" in lines[0], (verb, done.stderr)
        assert_untouched(root)
    assert [p.name for p in tmp_path.iterdir() if ".safepip-old-" in p.name] == []


@pytest.mark.parametrize("state", [json.dumps({"state": "creating"}), "not json at all"])
def test_a_venv_link_to_the_project_is_refused_and_nothing_is_deleted(tmp_path: Path, state: str) -> None:
    # The same link made after the clone (not the repository's choice): the environment rule (exit 73).
    root = clone(tmp_path, {"pyproject.toml": PYPROJECT, ".safepip.json": state})
    (root / ".venv").symlink_to(".")
    for verb in (["freeze"], ["install", "--no-index", "x"], ["which", "python"], ["run", "true"]):
        done = run_safepip(*verb, cwd=root)
        assert done.returncode == 73, (verb, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and ".venv is a symbolic link to ., which holds" in lines[0], (verb, done.stderr)
        assert_untouched(root)
    report = run_safepip("doctor", cwd=root)  # a report: it names the problem, and exits 0
    assert report.returncode == 0, report.stderr
    assert ".venv is a symbolic link to ., which holds" in " ".join(report.stdout.split()), report.stdout
    assert_untouched(root)
    assert [p.name for p in tmp_path.iterdir() if ".safepip-old-" in p.name] == []


def test_a_venv_link_to_a_directory_of_files_is_refused(tmp_path: Path) -> None:
    root = clone(tmp_path, {"pyproject.toml": PYPROJECT, "docs/.safepip.json": json.dumps({"state": "creating"}),
                            "docs/index.md": "# docs\n"}, links={".venv": "docs"})
    done = run_safepip("freeze", cwd=root)
    assert done.returncode == 73, done.stderr
    assert "not a virtual environment (no pyvenv.cfg) and holds files" in done.stderr
    assert (root / "docs" / "index.md").is_file()
    assert_untouched(root)


@pytest.mark.slow
def test_a_committed_creating_state_does_not_make_the_users_venv_safepips(tmp_path: Path) -> None:
    root = clone(tmp_path, {"pyproject.toml": PYPROJECT, ".venv/.safepip.json": json.dumps({"state": "creating"})})
    # The user makes the environment by hand (venv keeps the committed file) and works in it.
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    (root / ".venv" / "src" / "x").mkdir(parents=True)
    (root / ".venv" / "src" / "x" / "work.py").write_text("mine = 1\n")
    done = run_safepip("freeze", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "rebuilt" not in done.stderr
    assert f"safepip: warning: ignoring {root / '.venv' / '.safepip.json'}: safepip did not write it" in done.stderr
    assert (root / ".venv" / "src" / "x" / "work.py").read_text() == "mine = 1\n"
    assert_untouched(root)


EVIL_BACKEND = """
import os
open({marker!r}, "w").write("the repository's code ran\\n")

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("evil")

build_sdist = build_editable = build_wheel
"""


@pytest.mark.slow
def test_a_committed_pending_journal_is_never_replayed(tmp_path: Path) -> None:
    marker = tmp_path / "evil-ran"
    journal = {
        "kind": "pending", "env": ".venv", "why": "its interpreter /usr/bin/python3.9 no longer exists",
        "dists": [{"name": "evil", "version": "1.0", "args": ["./tools/evil"], "source": "./tools/evil"}],
    }
    root = clone(tmp_path, {
        "pyproject.toml": PYPROJECT,
        f"{OLD_TREE}/.safepip-rebuild.json": json.dumps(journal),
        "tools/evil/pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "evil_backend"\nbackend-path = ["."]\n'
                                     '[project]\nname = "evil"\nversion = "1.0"\n',
        "tools/evil/evil_backend.py": EVIL_BACKEND.format(marker=str(marker)),
    })
    done = run_safepip("run", "true", cwd=root)
    assert not marker.exists(), done.stderr
    assert done.returncode == 0, done.stderr
    assert "rebuilt" not in done.stderr
    assert (root / OLD_TREE / ".safepip-rebuild.json").is_file()  # a journal safepip did not write: left alone
    assert_untouched(root)
