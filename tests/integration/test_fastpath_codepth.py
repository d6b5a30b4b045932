"""An environment whose ``.pth`` files run code (coverage's ``a1_coverage.pth``, some
editable finders): the fast path asks its interpreter for the real ``sys.path`` once per
signature of those files, and keeps the answer in the cache, which it believes only when
the file is the user's own (another user's planted answer would make it say "satisfied"
for what is not installed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import needs_managed, offline, run_safepip, safepip_env
from wheels import make_wheel

pytestmark = needs_managed


def _dist(where: Path, name: str, version: str) -> None:
    info = where / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("")


def test_a_pth_that_runs_code_is_read_from_the_real_sys_path_and_its_cache_is_private(
    project: Path, tmp_path: Path, other_user: tuple[str, int, int],
) -> None:
    house = tmp_path / "house"
    make_wheel(house, "lib-a", "1.0")
    assert run_safepip("install", *offline(house), "lib-a", cwd=project).returncode == 0
    (site,) = (project / ".venv" / "lib").glob("python3*/site-packages")
    added = tmp_path / "added"
    _dist(added, "lib-z", "1.0")
    (site / "a1_coverage.pth").write_text(f"import sys; sys.path.append({str(added)!r})\n")
    env = safepip_env(SAFEPIP_DEBUG="1")

    done = run_safepip("install", *offline(house), "lib-z", cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert f"Requirement already satisfied: lib-z in {added} (1.0)" in done.stdout
    assert "-m pip" not in done.stderr, "the fast path should have answered without pip"
    (cached,) = (Path(os.environ["XDG_CACHE_HOME"]) / "safepip" / "syspath").glob("*.json")
    st = cached.stat()
    assert (st.st_uid, st.st_mode & 0o777) == (os.geteuid(), 0o600)
    assert json.loads(cached.read_text())["path"].count(str(added)) == 1

    # Another user's answer in its place, naming a directory of theirs that holds lib-y.
    theirs = tmp_path / "theirs"
    _dist(theirs, "lib-y", "1.0")
    forged = json.loads(cached.read_text())
    forged["path"].append(str(theirs))
    cached.write_text(json.dumps(forged))
    os.chown(cached, other_user[1], other_user[2])
    done = run_safepip("install", *offline(house), "lib-y", cwd=project, env=env)
    assert "Requirement already satisfied: lib-y" not in done.stdout, "an answer another user wrote was believed"
    assert f"warning: ignoring {cached}: it is owned by {other_user[0]}" in done.stderr
    assert done.returncode == 1  # pip itself: lib-y is in no index here
