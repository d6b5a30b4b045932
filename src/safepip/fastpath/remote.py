"""Direct URL requirements on the command line (``name @ https://...``, ``name @ git+...``):
satisfied when the environment holds ``name`` installed from that very URL.

pip itself downloads (or clones) and builds such a requirement on every call, then keeps the
installed distribution when the built version equals it. The fast path answers without the
download when the installed distribution's ``direct_url.json`` shows that the same bytes
were installed:

* **VCS URLs** (``git+``, ``hg+``, ``svn+``, ``bzr+``): the same VCS, repository URL and
  subdirectory, and a revision that is a full commit id equal to the recorded ``commit_id``.
  A branch, a tag or no revision goes to pip (it may have moved).
* **Archive URLs**: the same URL, and either a hash in it (``#sha256=...``) equal to the
  recorded one, or a wheel whose file name names the installed version (pip checks that a
  wheel's metadata agrees with its name). A local wheel (``name @ file:///...whl``) must
  hash as recorded: pip keeps an installed version equal to the wheel's, but reads the
  dependencies from the wheel as it is now.

The installed distribution's dependencies are then checked as for a name. Limits: an
archive served under the same wheel name with other dependencies is not seen (add its hash
to the URL); editable VCS requirements (``-e git+...``) and URLs in requirement files go to pip.
"""

from __future__ import annotations

import os
import re

from safepip.fastpath.options import Fallback
from safepip.fastpath.satisfied import Line

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.fastpath.environment import Environment

VCS = ("git", "hg", "svn", "bzr")
#: A full commit id (git's SHA-1 or SHA-256, hg's node id).
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _fragment(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its ``#...`` fragment, and the fragment's ``key=value`` pairs."""
    base, _, fragment = url.partition("#")
    pairs = dict(p.split("=", 1) for p in fragment.split("&") if "=" in p)
    return base, pairs


def recorded(path: str) -> dict[str, object] | None:
    """A distribution's direct_url.json (None: there is none); Fallback when it cannot be read."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise Fallback(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise Fallback(f"{path}: not a direct URL record")
    return data


def _same_vcs(url: str, data: dict[str, object], text: str) -> bool:
    vcs, _, rest = url.partition("+")
    base, pairs = _fragment(rest)
    if "://" not in base:
        raise Fallback(f"{text!r}: not a URL safepip can read")
    scheme, _, tail = base.partition("://")
    repo, at, revision = tail.rpartition("@")
    if not at or "/" in revision:
        raise Fallback(f"{text!r}: no revision given (pip fetches the default branch)")
    if not _COMMIT.fullmatch(revision):
        raise Fallback(f"{text!r}: {revision!r} is not a full commit id (pip fetches it)")
    info = data.get("vcs_info")
    if not isinstance(info, dict):
        return False
    return (
        info.get("vcs") == vcs
        and data.get("url") == f"{scheme}://{repo}"
        and info.get("commit_id") == revision
        and data.get("subdirectory") == pairs.get("subdirectory")
    )


def _same_archive(url: str, data: dict[str, object], version: str) -> bool:
    base, pairs = _fragment(url)
    recorded, _ = _fragment(str(data.get("url")))
    info = data.get("archive_info")
    if recorded != base or not isinstance(info, dict) or data.get("subdirectory") != pairs.get("subdirectory"):
        return False
    hashes = dict(info.get("hashes") or {})
    if isinstance(info.get("hash"), str):
        algorithm, _, value = str(info["hash"]).partition("=")
        hashes.setdefault(algorithm, value)
    asked = {k: v for k, v in pairs.items() if k in ("sha256", "sha384", "sha512", "md5", "sha1", "sha224")}
    if asked:
        return all(hashes.get(k) == v for k, v in asked.items())
    if base.startswith("file://"):
        return "sha256" in hashes and _sha256(base) == hashes["sha256"]
    name = os.path.basename(base)
    if not name.endswith(".whl"):
        raise Fallback(f"{url}: an archive without a hash (pip downloads it to read its version)")
    parts = name[: -len(".whl")].split("-")
    return len(parts) >= 5 and parts[1] == version  # name-version(-build)-python-abi-platform


def _sha256(url: str) -> str | None:
    """The sha256 of a local file URL's file (pip installs whatever it holds now)."""
    import hashlib
    from urllib.parse import unquote

    digest = hashlib.sha256()
    try:
        with open(unquote(url[len("file://") :]), "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def check_remote(name: str, extras: tuple[str, ...], url: str, text: str, env: Environment, files: list[str]) -> Line | None:
    """The line to check for ``name @ url`` like a name (its extras included) when the
    installed distribution came from that very URL (see above); None when pip has something
    to do. The files read are added to ``files``.
    """
    dist = env.get(name)
    if dist is None:
        return None
    direct = os.path.join(env.info_dir(name), "direct_url.json")
    files.append(direct)
    if url.startswith("file://"):
        from urllib.parse import unquote

        files.append(unquote(url.split("#", 1)[0][len("file://") :]))  # its bytes are what pip would install
    data = recorded(direct)
    if data is None:
        return None  # installed from an index: pip builds the URL's to compare versions
    if "dir_info" in data:
        return None  # installed from a local directory, asked from a URL
    if url.split("+", 1)[0] in VCS and "+" in url.split("://", 1)[0]:
        if not _same_vcs(url, data, text):
            return None
        how = "same commit as installed"
    else:
        if not _same_archive(url, data, dist.version):
            return None
        how = "same archive as installed"
    shown = f"{name}[{','.join(extras)}]" if extras else name
    return Line(shown, None, f"{shown} from {url} ({how})")
