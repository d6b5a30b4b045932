"""The application-or-library rule against real distributions' metadata.

tests/data/distributions.json was recorded by hand from PyPI (the newest wheel of each, read
with range requests: console and GUI scripts, the modules they live in, files installed as
scripts, top-level names, and the Framework/Environment/Intended Audience/Topic classifiers).
The expected answers are the ones docs/outside.md tables and argues for.
"""

from __future__ import annotations

import json

import pytest

from helpers import TESTS
from safepip.facts.apprule import APP, LIBRARY, judge
from safepip.facts.wheelmeta import Meta

RECORDED = json.loads((TESTS / "data" / "distributions.json").read_text())

#: What the issue requires (the first two groups) and the rest of the table.
LIBRARIES = ["numpy", "flask", "pytest", "django", "tqdm", "torch", "sphinx",
             "requests", "pandas", "scipy", "matplotlib", "jupyterlab", "ipython", "uvicorn", "fastapi", "typer",
             "click", "rich", "pygments", "babel", "build", "awscli", "mkdocs", "glances", "speedtest-cli",
             "sqlalchemy", "transformers", "huggingface-hub", "setuptools", "wheel", "pip", "markdown", "nltk",
             "scrapy", "streamlit", "dask", "chardet", "charset-normalizer", "pyserial", "sphinx-autobuild",
             "jupyter-core", "tensorboard",
             # they call themselves libraries for developers, and no console program
             "distro", "gunicorn", "virtualenv", "tox"]
APPLICATIONS = ["black", "httpie", "ruff", "yt-dlp", "poetry", "cowsay", "pre-commit",
                "celery", "alembic", "mypy", "flake8", "pylint", "isort", "coverage", "twine",
                "nox", "pipenv", "ansible-core", "cookiecutter", "docutils", "uv", "hatch", "pdm",
                "jsonschema", "faker"]


def meta(name: str) -> Meta:
    data = RECORDED[name]
    return Meta(name, data["version"], tuple(data["console"]), tuple(data["gui"]), tuple(data["classifiers"]),
                tuple(data["top_level"]), "", tuple(data["data_scripts"]), False, tuple(data["entry_modules"]))


def test_the_table_covers_every_recorded_distribution() -> None:
    assert sorted(LIBRARIES + APPLICATIONS) == sorted(RECORDED)
    assert len(RECORDED) >= 40


@pytest.mark.parametrize("name", LIBRARIES)
def test_libraries(name: str) -> None:
    verdict = judge(meta(name))
    assert verdict.kind == LIBRARY, verdict.why


@pytest.mark.parametrize("name", APPLICATIONS)
def test_applications(name: str) -> None:
    verdict = judge(meta(name))
    assert verdict.kind == APP, verdict.why


@pytest.mark.parametrize(("name", "evidence"), [
    ("numpy", "not named after it"),
    ("flask", "application framework"),
    ("pytest", "outside its import package pytest"),
    ("tqdm", "plugs into IPython"),
    ("uvicorn", "Web Environment"),
    ("transformers", "science and research"),
    ("pip", "environment's own tools"),
    ("requests", "no commands"),
    ("distro", "a library for developers, not a console program"),
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
