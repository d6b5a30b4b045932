"""The application-or-library rule against real distributions' metadata.

tests/data/distributions.json holds 170 real distributions: 71 recorded from PyPI (the newest
wheel of each, read with range requests) and, among the most downloaded that ship commands
(``rank``: their download rank among PyPI's 15,000 most downloaded), 99 more read from copies of
their PyPI wheels (``range_bytes``: what safepip's range requests read of it) or of an installed
copy (``wheel`` says which). Each holds what the rule reads: console and GUI scripts, the modules
they live in, files installed as scripts, top-level names, the Framework, Environment, Intended
Audience, Topic and (for the new ones) Typing classifiers. ``expected`` is the reviewed answer
for a person who types ``pip install NAME`` outside a project (application: pipx; library: the
per-user environment), with ``doubt`` saying why for the arguable ones (docs/outside.md).
"""

from __future__ import annotations

import json

import pytest

from helpers import TESTS
from safepip.facts.apprule import APP, LIBRARY, judge
from safepip.facts.wheelmeta import Meta

RECORDED = json.loads((TESTS / "data" / "distributions.json").read_text())
WITH_COMMANDS = sorted(n for n, d in RECORDED.items() if d["console"] or d["gui"] or d["data_scripts"])

#: The rule's errors on the table, as reviewed (docs/outside.md): a change that adds one fails.
#: Applications the rule keeps in the per-user environment (cheap: their commands are linked).
APPS_TO_USER_ENV = ["awscli", "build", "cfn-lint", "cmake", "glances", "mkdocs", "ninja", "nodeenv", "py-spy",
                    "pyright", "speedtest-cli", "sphinx-autobuild", "tox", "twine", "virtualenv"]
#: Libraries the rule sends to pipx (expensive: they cannot be imported there).
LIBS_TO_PIPX = ["alembic", "celery", "coverage", "cyclopts", "debugpy", "docutils", "dulwich", "faker",
                "findpython", "fonttools", "jsonpatch", "jsonpointer", "jsonschema", "numba", "py-cpuinfo", "ray",
                "send2trash", "vcs-versioning", "watchfiles"]


def meta(name: str) -> Meta:
    data = RECORDED[name]
    return Meta(name, data["version"], tuple(data["console"]), tuple(data["gui"]), tuple(data["classifiers"]),
                tuple(data["top_level"]), "", tuple(data["data_scripts"]), bool(data.get("typed")),
                tuple(data["entry_modules"]), tuple(data.get("groups", ())))


def matrix() -> dict[tuple[str, str], list[str]]:
    """(expected, routed) -> names, over the distributions that ship commands."""
    found: dict[tuple[str, str], list[str]] = {(e, r): [] for e in (APP, LIBRARY) for r in ("pipx", "user-env")}
    for name in WITH_COMMANDS:
        routed = "pipx" if judge(meta(name)).kind == APP else "user-env"
        found[(RECORDED[name]["expected"], routed)].append(name)
    return found


def test_the_table_is_wide_and_reviewed() -> None:
    assert len(WITH_COMMANDS) >= 150
    assert {d["expected"] for d in RECORDED.values()} == {APP, LIBRARY}


def test_the_confusion_matrix_holds() -> None:
    found = matrix()
    assert found[(APP, "user-env")] == APPS_TO_USER_ENV
    assert found[(LIBRARY, "pipx")] == LIBS_TO_PIPX
    assert (len(found[(APP, "pipx")]), len(found[(LIBRARY, "user-env")])) == (21, 107)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_each_verdict_is_the_reviewed_one_or_a_listed_error(name: str) -> None:
    verdict = judge(meta(name))
    wrong = name in APPS_TO_USER_ENV or name in LIBS_TO_PIPX
    assert (verdict.kind == RECORDED[name]["expected"]) != wrong, verdict.why


@pytest.mark.parametrize(("name", "evidence"), [
    ("numpy", "not named after it"),
    ("flask", "application framework"),
    ("pytest", "outside its import package pytest"),
    ("tqdm", "plugs into IPython"),
    ("uvicorn", "Web Environment"),
    ("transformers", "science and research"),
    ("pip", "environment's own tools"),
    ("requests", "no commands"),
    ("distro", "a library, not a console program"),
    ("tabulate", "a library, not a console program"),
    ("trove-classifiers", "Typing :: Typed"),
    ("keyring", "for developers, with no console program and no topic"),
])
def test_each_kind_of_evidence_is_said(name: str, evidence: str) -> None:
    assert evidence in judge(meta(name)).why


def test_files_installed_as_scripts_are_commands() -> None:
    ruff = meta("ruff")
    assert ruff.console == ()
    assert judge(ruff).kind == APP
    assert "ruff" in judge(ruff).why


def test_a_distributions_own_framework_classifier_is_not_library_evidence() -> None:
    tox = meta("tox")
    assert "Framework :: tox" in tox.classifiers
    assert "plugs into" not in judge(tox).why  # a library for its classifiers' words, not for this one


@pytest.mark.parametrize(("name", "groups", "classifiers", "apps", "expected"), [
    ("poetry-plugin-export", ("poetry.application.plugin",), (), {"poetry": "poetry"}, "poetry"),
    ("pdm-backend-x", ("pdm",), (), {"pdm": "pdm"}, "pdm"),
    ("pytest-randomly", ("pytest11",), ("Framework :: Pytest",), {"pytest": "pytest"}, "pytest"),
    ("pytest-randomly", ("pytest11",), ("Framework :: Pytest",), {"black": "black"}, None),  # pytest is no pipx app
    ("mkdocs-material", (), ("Framework :: MkDocs",), {"mkdocs": "mkdocs"}, "mkdocs"),
    ("tqdm", (), ("Framework :: IPython",), {"ipython": "ipython"}, None),  # a library that mentions IPython
    ("poetry", ("poetry.application.plugin",), (), {"poetry": "poetry"}, None),  # its own groups
])
def test_plugins_name_the_application_they_plug_into(name: str, groups: tuple[str, ...], classifiers: tuple[str, ...],
                                                      apps: dict[str, str], expected: str | None) -> None:
    from safepip.facts.apprule import plugin_of

    assert plugin_of(Meta(name, "1", classifiers=classifiers, groups=groups), apps) == expected
