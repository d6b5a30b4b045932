"""The application rule on wheels read as safepip reads them: small wheels built here with the
metadata shape of well-known distributions (their commands, the modules those live in, their
top-level packages and classifiers, as recorded in tests/data/distributions.json), opened with
:func:`safepip.facts.wheelmeta.from_file`. Libraries that ship commands stay libraries; real
applications go to pipx."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import TESTS
from safepip.facts.apprule import APP, LIBRARY, judge
from safepip.facts.wheelmeta import from_file
from wheels import make_wheel

RECORDED = json.loads((TESTS / "data" / "distributions.json").read_text())

LIBRARIES = ["numpy", "flask", "pytest", "tqdm", "django", "torch", "sphinx", "distro", "gunicorn", "uvicorn",
             "transformers", "ipython"]
APPLICATIONS = ["black", "httpie", "poetry", "ruff", "cowsay", "yt-dlp"]


def _wheel(directory: Path, name: str) -> Path:
    data = RECORDED[name]
    home = data["entry_modules"][0] if data["entry_modules"] else data["top_level"][0]
    files = {f"{top}/__init__.py": b"" for top in data["top_level"]}
    files.update({f"{home}/__init__.py": b"def main():\n    return 0\n"})
    files.update({f"{name.replace('-', '_')}-{data['version']}.data/scripts/{s}": b"#!/bin/sh\n"
                  for s in data["data_scripts"]})
    return make_wheel(directory, name, data["version"], module=False, files=files,
                      classifiers=data["classifiers"],
                      scripts=dict.fromkeys(data["console"], f"{home}:main"),
                      gui_scripts=dict.fromkeys(data["gui"], f"{home}:main") or None)


@pytest.mark.parametrize(("name", "kind"), [(n, LIBRARY) for n in LIBRARIES] + [(n, APP) for n in APPLICATIONS])
def test_well_known_distributions_from_their_wheels(tmp_path: Path, name: str, kind: str) -> None:
    meta = from_file(str(_wheel(tmp_path, name)))
    assert meta is not None
    assert tuple(meta.classifiers) == tuple(RECORDED[name]["classifiers"])
    verdict = judge(meta)
    assert verdict.kind == kind, verdict.why
