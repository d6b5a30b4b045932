"""The real ``sys.path`` of an environment whose ``.pth`` files run code (coverage's, some
editable finders...): asked of its interpreter once per signature of those files.
"""

from __future__ import annotations

import os

from safepip.fastpath.options import Fallback

_ASK_PATH = "import json, sys; sys.stdout.write(json.dumps(sys.path[1:]))"


def real_path(prefix: str, sites: list[str], coded: list[str]) -> list[str]:
    """The directories pip would search for distributions in an environment whose .pth
    files run code (coverage's, some editable finders...): its interpreter's own sys.path
    (less the script directory, which ``python -m pip`` removes too), run once and kept
    in the cache under the signatures of the site-packages directories and of every .pth
    file, and the values of the variables those files name. Only directories of the
    environment (under ``prefix`` or added by its .pth files) and of its base Python's
    standard library are on it; a .pth that reads anything else is beyond this rule.
    """
    import json
    import re
    import zlib

    from safepip.paths import linux_cache_dir, read, write
    from safepip.remembered.store import signature
    from safepip.venv.layout import bin_python

    texts = []
    for pth in coded:
        try:
            with open(pth, encoding="utf-8") as handle:
                texts.append(handle.read())
        except (OSError, UnicodeDecodeError):
            raise Fallback(f"cannot read {pth}") from None
    names = sorted(set(re.findall(r"[A-Z][A-Z0-9_]{2,}", "".join(texts))))
    python = bin_python(prefix)
    key = repr((python, signature(python), [(s, signature(s)) for s in sites],
                [(p, signature(p)) for p in coded], [(n, os.environ.get(n)) for n in names]))
    base = linux_cache_dir(os.environ)
    cached = None if base is None else os.path.join(base, "syspath", "%08x.json" % zlib.crc32(key.encode("utf-8", "surrogateescape")))  # noqa: UP031
    if cached is not None and base is not None:
        raw = read(cached, base)  # a private file of the user's own, or nothing
        try:
            stored = json.loads(raw) if raw is not None else None
        except ValueError:
            stored = None
        if isinstance(stored, dict) and stored.get("key") == key and isinstance(stored.get("path"), list):
            return [str(p) for p in stored["path"]]
    import subprocess

    from safepip.runner import capture

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    try:
        done = capture([python, "-c", _ASK_PATH], env, cwd=prefix, timeout=30)
        found = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, ValueError, subprocess.SubprocessError):
        found = None
    if not isinstance(found, list):
        raise Fallback(f"cannot read the sys.path of {python}")
    path = list(dict.fromkeys(p for p in found if isinstance(p, str) and os.path.isdir(p)))
    if cached is not None and base is not None:
        write(cached, json.dumps({"key": key, "path": path}).encode("utf-8"), base)
    return path
