"""Each fact-gatherer reports what it read (``Context.reads``), and the memo signs exactly
that: changing such a file makes a remembered answer stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import SYSTEM_PYTHON, SYSTEM_VERSION, SYSTEM_XY, count_opens
from safepip.facts import gather as gather_module
from safepip.facts.gather import gather
from safepip.facts.interpreter import Interp
from safepip.facts.pipargs import scan
from safepip.paths import Dirs


def _environ(tmp_path: Path, path: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "PATH": path, "SAFEPIP_CACHE_DIR": str(tmp_path / "cache"),
            "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"), "SAFEPIP_NO_PROBE_CACHE": "1"}


def _project_with_env(base: Path, pyproject: str) -> Path:
    """``base/home/project`` with ``pyproject`` as its pyproject.toml and a ``.venv`` of the
    system's python."""
    project = base / "home" / "project"
    env = project / ".venv"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / "bin" / "python").symlink_to(SYSTEM_PYTHON)
    (project / "pyproject.toml").write_text(pyproject)
    return project


def test_a_named_venv_is_decided_without_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / "v"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / "bin" / "python").symlink_to(SYSTEM_PYTHON)
    (tmp_path / "home").mkdir(exist_ok=True)
    monkeypatch.chdir(tmp_path / "home")
    environ = {**_environ(tmp_path, ""), "VIRTUAL_ENV": str(env)}
    ctx = gather(scan(["install", "x"]), environ, {}, cwd=str(tmp_path / "home"), dirs=Dirs(environ))
    assert ctx.reads.owned == ()  # no walk: no directory's owner counts
    assert str(env / "bin" / "python") in ctx.reads.paths and str(tmp_path / "home") not in ctx.reads.paths


def test_gathering_resolves_each_path_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import collections
    import os

    from safepip.facts import interpreter

    base = tmp_path.resolve()
    project = _project_with_env(base, "[project]\nname = 'p'\n")
    monkeypatch.chdir(project)
    environ = _environ(base, "/usr/bin:/bin")
    resolved: collections.Counter[str] = collections.Counter()
    real_realpath = os.path.realpath

    def counted(path: str) -> str:
        resolved[path] += 1
        return real_realpath(path)

    monkeypatch.setattr(os.path, "realpath", counted)
    system = Interp(
        path=SYSTEM_PYTHON, how="PATH", version=SYSTEM_VERSION, implementation="cpython", prefix="/usr",
        base_prefix="/usr", in_venv=False, conda=False, stdlib=f"/usr/lib/python{SYSTEM_XY}", purelib="", platlib="",
        scripts="", marker=f"/usr/lib/python{SYSTEM_XY}/EXTERNALLY-MANAGED", marker_message="use apt",
        marker_problem=None, distributor="Debian", has_pip=True, managed=True,
    )
    monkeypatch.setattr(gather_module, "probe", lambda path, how, environ, dirs: system.replace_(path=path, how=how))
    ctx = gather(scan(["install", "x"]), environ, {}, cwd=str(project), dirs=Dirs(environ))
    assert ctx.project is not None and ctx.project.root == str(project)
    # The walk, the trust rules and the tools' files all ask for the project (and the
    # environment, /usr/bin...): each is resolved once.
    assert resolved[str(project)] >= 1 and max(resolved.values()) == 1, resolved
    # Only while gathering: afterwards every question resolves again.
    interpreter.realpath(str(project))
    interpreter.realpath(str(project))
    assert resolved[str(project)] == 3


def test_gathering_reads_the_projects_pyproject_toml_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path.resolve()
    # Read by the walk's settings ([tool.safepip] venv, subproject), the configuration and the
    # tools' detection ([tool.uv]).
    project = _project_with_env(base, "[project]\nname = 'p'\n[tool.uv]\n[tool.safepip]\npolicy = 'always'\n")
    pyproject = project / "pyproject.toml"
    monkeypatch.chdir(project)
    environ = _environ(base, "/usr/bin:/bin")
    opened = count_opens(monkeypatch)
    monkeypatch.setattr(gather_module, "probe", lambda path, how, environ, dirs: _system().replace_(path=path, how=how))
    ctx = gather(scan(["install", "x"]), environ, {}, cwd=str(project), dirs=Dirs(environ))
    assert ctx.project is not None and ctx.config.policy == "always"
    assert opened[str(pyproject)] == 1, opened  # was 4
    # Only while gathering: afterwards each reader reads it again.
    from safepip.facts.config import project_layer

    assert project_layer(str(pyproject))["policy"] == "always" and opened[str(pyproject)] == 2


def test_a_configuration_file_too_large_is_named_with_its_size(tmp_path: Path) -> None:
    from safepip.errors import ConfigError
    from safepip.facts.config import MAX_CONFIG, project_layer

    big = tmp_path / "pyproject.toml"
    big.write_bytes(b"# safepip\n" + b"#" * (MAX_CONFIG * 2))
    with pytest.raises(ConfigError, match=r"8 MB is too large for a configuration file \(safepip reads at most 4 MB\)"):
        project_layer(str(big))
    # Whether it can hold [tool.safepip] is told by all of it, as before: a mention past the first 4 MB counts.
    big.write_bytes(b"#" * (MAX_CONFIG * 2) + b"\n# safepip\n")
    with pytest.raises(ConfigError, match=r"8 MB is too large"):
        project_layer(str(big))
    big.write_bytes(b"#" * (MAX_CONFIG * 2))
    assert project_layer(str(big)) == {}


def _system() -> Interp:
    return Interp(
        path=SYSTEM_PYTHON, how="PATH", version=SYSTEM_VERSION, implementation="cpython", prefix="/usr",
        base_prefix="/usr", in_venv=False, conda=False, stdlib=f"/usr/lib/python{SYSTEM_XY}", purelib="", platlib="",
        scripts="", marker=f"/usr/lib/python{SYSTEM_XY}/EXTERNALLY-MANAGED", marker_message="use apt",
        marker_problem=None, distributor="Debian", has_pip=True, managed=True,
    )
