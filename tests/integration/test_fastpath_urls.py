"""The fast path on direct URL requirements (``name @ git+...@COMMIT``, ``name @ URL``),
checked against pip's own ``install --dry-run --report``, offline: a local git repository
(``git+file://``) and local wheel files (``file://``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers import ISOLATED_PIP, offline, venv_python
from localproj import make_project
from safepip.facts.pipargs import scan
from safepip.fastpath.answer import Answered, attempt
from wheels import make_wheel

QUIET = {**{k: v for k, v in os.environ.items() if not k.startswith("PIP_")}, **ISOLATED_PIP}
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _pip(env_dir: Path, *args: str) -> None:
    subprocess.run([venv_python(env_dir), "-m", "pip", *args], capture_output=True, text=True, check=True, env=QUIET)


def _report(env_dir: Path, house: Path, *args: str) -> list[dict[str, Any]]:
    """What pip itself would install (its dry-run report)."""
    report = env_dir.parent / "report.json"
    report.unlink(missing_ok=True)
    done = subprocess.run(
        [venv_python(env_dir), "-m", "pip", "install", "--dry-run", "-q", *offline(house), "--report", str(report), *args],
        capture_output=True, text=True, check=False, env=QUIET,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(report.read_text())["install"])


def _answer(env_dir: Path, *args: str) -> bool:
    """Whether the fast path answers ``install ARGS`` itself."""
    return attempt(scan(["install", *args]), venv_python(env_dir), QUIET, str(env_dir.parent), Answered()) == 0


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    base = tmp_path_factory.mktemp("urls")
    house = base / "house"
    make_wheel(house, "dep-a", "1.0")
    make_wheel(house, "dep-b", "1.0")
    env_dir = base / "env"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-periodic-update", str(env_dir)], check=True, env=QUIET)
    yield house, env_dir


@needs_git
@pytest.mark.slow
def test_vcs_urls_agree_with_pip(world: tuple[Path, Path], tmp_path: Path) -> None:
    house, env_dir = world
    repo = make_project(tmp_path / "repo", "vcsproj", dependencies=["dep-a"])
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "one")
    first = _git(repo, "rev-parse", "HEAD")
    branch = _git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    url = f"git+file://{repo}"
    _pip(env_dir, "install", "-q", *offline(house), f"vcsproj @ {url}@{first}")

    # The same commit: answered, and pip would install nothing.
    assert _answer(env_dir, f"vcsproj @ {url}@{first}")
    assert _report(env_dir, house, f"vcsproj @ {url}@{first}") == []
    # A branch or no revision may have moved: pip decides.
    assert not _answer(env_dir, f"vcsproj @ {url}@{branch}")
    assert not _answer(env_dir, f"vcsproj @ {url}")
    # Another commit, with a new version and a new dependency: pip installs, the fast path stands aside.
    text = (repo / "pyproject.toml").read_text().replace('"0.1"', '"0.2"').replace('"dep-a"', '"dep-a", "dep-b"')
    (repo / "pyproject.toml").write_text(text)
    _git(repo, "commit", "-qam", "two")
    second = _git(repo, "rev-parse", "HEAD")
    assert not _answer(env_dir, f"vcsproj @ {url}@{second}")
    assert {r["metadata"]["name"] for r in _report(env_dir, house, f"vcsproj @ {url}@{second}")} == {"vcsproj", "dep-b"}
    # A dependency of the installed commit went missing: pip installs it again.
    _pip(env_dir, "uninstall", "-y", "-q", "dep-a")
    assert not _answer(env_dir, f"vcsproj @ {url}@{first}")
    assert [r["metadata"]["name"] for r in _report(env_dir, house, f"vcsproj @ {url}@{first}")] == ["dep-a"]
    _pip(env_dir, "uninstall", "-y", "-q", "vcsproj")


@pytest.mark.slow
def test_wheel_urls_agree_with_pip(world: tuple[Path, Path], tmp_path: Path) -> None:
    house, env_dir = world
    wheel = make_wheel(tmp_path / "dl", "urlpkg", "1.0", requires=["dep-a"])
    url = wheel.as_uri()
    _pip(env_dir, "install", "-q", *offline(house), f"urlpkg @ {url}")
    assert _answer(env_dir, f"urlpkg @ {url}")
    assert _answer(env_dir, f"urlpkg[x] @ {url}") is False  # an extra it does not provide: pip says so
    assert _report(env_dir, house, f"urlpkg @ {url}") == []
    # The same file name with other contents (now needing dep-b): pip installs dep-b.
    make_wheel(tmp_path / "dl", "urlpkg", "1.0", requires=["dep-a", "dep-b"])
    assert not _answer(env_dir, f"urlpkg @ {url}")
    assert [r["metadata"]["name"] for r in _report(env_dir, house, f"urlpkg @ {url}")] == ["dep-b"]
    # Installed from an index, asked from a URL: pip builds it to compare, the fast path stands aside.
    _pip(env_dir, "uninstall", "-y", "-q", "urlpkg")
    make_wheel(house, "idxpkg", "1.0")
    _pip(env_dir, "install", "-q", *offline(house), "idxpkg")
    assert not _answer(env_dir, f"idxpkg @ {(house / 'idxpkg-1.0-py3-none-any.whl').as_uri()}")
    _pip(env_dir, "uninstall", "-y", "-q", "idxpkg")
