"""The variables that say where the tools (uv, Poetry, PDM, Hatch, pipenv) keep a project's
environment (:mod:`safepip.facts.toolenv`): remembered answers and the python shims' memo
depend on them. Nothing else here: the front door imports it.
"""

from __future__ import annotations

VARIABLES = (
    "UV_PROJECT_ENVIRONMENT",
    "POETRY_VIRTUALENVS_IN_PROJECT", "POETRY_VIRTUALENVS_PATH", "POETRY_VIRTUALENVS_CREATE", "POETRY_CACHE_DIR",
    "POETRY_CONFIG_DIR",
    "PDM_PYTHON", "PDM_IGNORE_SAVED_PYTHON", "PDM_VENV_IN_PROJECT", "PDM_CONFIG_FILE",
    "HATCH_ENV_TYPE_VIRTUAL_PATH", "HATCH_DATA_DIR", "HATCH_CONFIG",
    "PIPENV_VENV_IN_PROJECT", "PIPENV_NO_VENV_IN_PROJECT", "PIPENV_CUSTOM_VENV_NAME", "PIPENV_PYTHON", "WORKON_HOME",
    "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
)
