"""Local projects for offline tests: a pyproject.toml and an in-tree PEP 517 backend
(``backend-path``, no build requirements), so that ``pip install [-e] PATH`` works with
``--no-index`` and nothing from outside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping

BACKEND = '''
"""A tiny PEP 517/660 backend for tests: metadata from pyproject.toml, a module from src/."""
import base64, hashlib, os, sys, zipfile
if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

def _meta():
    with open("pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)["project"]
    name, version = project["name"], project["version"]
    lines = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version]
    lines += ["Requires-Dist: " + r for r in project.get("dependencies", [])]
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines.append("Provides-Extra: " + extra)
        lines += ["Requires-Dist: %s ; extra == \\"%s\\"" % (r, extra) for r in reqs]
    return name.replace("-", "_"), version, "\\n".join(lines) + "\\n"

def _wheel(directory, files):
    dist, version, metadata = _meta()
    info = "%s-%s.dist-info" % (dist, version)
    files = dict(files)
    files[info + "/METADATA"] = metadata.encode()
    files[info + "/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    record = []
    for member, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (member, digest, len(data)))
    record.append(info + "/RECORD,,")
    files[info + "/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = "%s-%s-py3-none-any.whl" % (dist, version)
    with zipfile.ZipFile(os.path.join(directory, name), "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return name

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist = _meta()[0]
    return _wheel(wheel_directory, {dist + ".py": open(os.path.join("src", dist + ".py"), "rb").read()})

def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    dist = _meta()[0]
    return _wheel(wheel_directory, {"_%s_editable.pth" % dist: (os.path.abspath("src") + "\\n").encode()})

def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError
'''


def make_project(
    root: Path,
    name: str,
    version: str = "0.1",
    *,
    dependencies: Iterable[str] = (),
    optional: Mapping[str, Iterable[str]] | None = None,
    groups: Mapping[str, Iterable[object]] | None = None,
    tool: str = "",
) -> Path:
    """Write a project at ``root`` (pyproject.toml, the backend, src/<module>.py)."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_")
    (root / "src" / f"{dist}.py").write_text(f"VERSION = {version!r}\n")
    (root / "_backend.py").write_text(BACKEND)
    lines = [
        "[build-system]", "requires = []", 'build-backend = "_backend"', 'backend-path = ["."]', "",
        "[project]", f"name = {json.dumps(name)}", f"version = {json.dumps(version)}",
        f"dependencies = {json.dumps(list(dependencies))}",
    ]
    if optional:
        lines += ["", "[project.optional-dependencies]"]
        lines += [f"{k} = {json.dumps(list(v))}" for k, v in optional.items()]
    if groups:
        lines += ["", "[dependency-groups]"]
        for key, items in groups.items():
            rendered = ", ".join(
                json.dumps(i) if isinstance(i, str) else f"{{include-group = {json.dumps(i['include-group'])}}}"  # type: ignore[index]
                for i in items
            )
            lines.append(f"{key} = [{rendered}]")
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n" + tool)
    return root
