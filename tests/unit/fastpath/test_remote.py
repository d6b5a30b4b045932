"""The fast path on direct URL requirements (``name @ git+...@COMMIT``, ``name @ URL``),
checked against pip's own ``install --dry-run --report``, offline: a local git repository
(``git+file://``) and local wheel files (``file://``)."""

from __future__ import annotations

import pytest

from safepip.fastpath import remote
from safepip.fastpath.options import Fallback


def _vcs(url: str, commit: str, subdirectory: str | None = None) -> dict[str, object]:
    data: dict[str, object] = {"url": url, "vcs_info": {"vcs": "git", "commit_id": commit}}
    if subdirectory:
        data["subdirectory"] = subdirectory
    return data


SHA = "a" * 40


@pytest.mark.parametrize(
    ("asked", "recorded", "same"),
    [
        (f"git+https://example.org/r.git@{SHA}", _vcs("https://example.org/r.git", SHA), True),
        (f"git+ssh://git@example.org/r.git@{SHA}", _vcs("ssh://git@example.org/r.git", SHA), True),
        (f"git+https://example.org/r.git@{SHA}", _vcs("https://example.org/r.git", "b" * 40), False),
        (f"git+https://example.org/r.git@{SHA}", _vcs("https://example.org/other.git", SHA), False),
        (f"hg+https://example.org/r@{SHA}", _vcs("https://example.org/r", SHA), False),  # recorded as git
        (f"git+https://example.org/r.git@{SHA}#subdirectory=sub", _vcs("https://example.org/r.git", SHA, "sub"), True),
        (f"git+https://example.org/r.git@{SHA}#subdirectory=sub", _vcs("https://example.org/r.git", SHA), False),
    ],
)
def test_vcs_rule(asked: str, recorded: dict[str, object], same: bool) -> None:
    assert remote._same_vcs(asked, recorded, asked) is same


@pytest.mark.parametrize("asked", ["git+https://example.org/r.git", "git+https://example.org/r.git@main",
                                   "git+https://example.org/r.git@v1.0", "git+https://example.org/r.git@abc123"])
def test_a_vcs_revision_that_may_move_goes_to_pip(asked: str) -> None:
    with pytest.raises(Fallback):
        remote._same_vcs(asked, _vcs("https://example.org/r.git", SHA), asked)


HASH = "0" * 64


@pytest.mark.parametrize(
    ("asked", "recorded", "version", "same"),
    [
        ("https://h/x-1.0.tar.gz#sha256=" + HASH, {"url": "https://h/x-1.0.tar.gz", "archive_info": {"hash": "sha256=" + HASH}}, "1.0", True),
        ("https://h/x-1.0.tar.gz#sha256=" + "1" * 64, {"url": "https://h/x-1.0.tar.gz", "archive_info": {"hashes": {"sha256": HASH}}}, "1.0", False),
        ("https://h/x-1.0-py3-none-any.whl", {"url": "https://h/x-1.0-py3-none-any.whl", "archive_info": {}}, "1.0", True),
        ("https://h/x-1.0-py3-none-any.whl", {"url": "https://h/x-1.0-py3-none-any.whl", "archive_info": {}}, "1.1", False),
        ("https://h/x-1.0-py3-none-any.whl", {"url": "https://mirror/x-1.0-py3-none-any.whl", "archive_info": {}}, "1.0", False),
    ],
)
def test_archive_rule(asked: str, recorded: dict[str, object], version: str, same: bool) -> None:
    assert remote._same_archive(asked, recorded, version) is same


def test_an_unhashed_sdist_url_goes_to_pip() -> None:
    with pytest.raises(Fallback):
        remote._same_archive("https://h/x-1.0.tar.gz", {"url": "https://h/x-1.0.tar.gz", "archive_info": {}}, "1.0")
