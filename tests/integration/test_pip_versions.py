"""Every stored option table against its own pip, and a corpus of real command lines read by
each pip version's parser and by safepip's scanner with that version's table.

The pips come from PyPI (tests marked ``network``), each wheel downloaded once into
.tools/pips/ (the wheel is put on the path of a fresh interpreter: no environment is made).
The installed pip (this test run's own) is checked offline.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from helpers import ROOT, TESTS
from safepip.facts import _pipoptions
from safepip.facts.pipargs import PipCall, scan, table_version
from safepip.facts.piptables import tables

CORPUS = TESTS / "data" / "pip_corpus.tsv"
ORACLE = TESTS / "pip_oracle.py"
#: Lines that exercise the differences between versions (not from the corpus: made here).
EDGES = [
    ["install", "--g", "x"], ["install", "--b"], ["wheel", "--b", "x", "y"], ["install", "--group", "dev"],
    ["install", "--python", "/x", "y"], ["--python", "/x", "install", "y"], ["install", "-C", "k=v", "."],
    ["install", "-C", "novalue", "."], ["install", "--config-settings=a=b", "."], ["install", "--global-option=x", "."],
["install", "--upgrade-strategy=to-satisfy-only", "x"],
    ["install", "--use-feature=2020-resolver", "x"], ["install", "--progress-bar=foo", "x"],
    ["install", "--progress-bar=raw", "x"], ["--timeout", "x", "install", "y"], ["--retries", "0x10", "list"],
    ["--retries", "09", "list"], ["install", "--python-version", "3.x", "--target", "t", "y"],
    ["install", "--python-version", "311", "--target", "t", "y"], ["download", "--python-version", "3.1.2.4", "x"],
    ["lock", "."], ["install", "--keyring-provider", "import", "x"], ["install", "--build-constraint", "c.txt", "."],
    ["install", "-h"], ["--version"], ["install", "--version"], ["help"], ["help", "install"], ["-h", "install"],
    ["install", "--exists-action", "q", "x"], ["list", "--format", "json"], ["list", "--format", "yaml"],
    ["install", "--root-user-action=ignore", "x"], ["install", "--break-system-packages", "x"],
    ["uninstall", "--break", "x"], ["install", "--dry-run", "--report", "-", "x"], ["index", "versions", "pip", "--json"],
]


def corpus() -> list[tuple[str, list[str]]]:
    """The corpus: (source, argv) pairs."""
    out = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        repo, path, argv = line.split("\t")
        out.append((f"{repo}/{path}", shlex.split(argv)))
    return out


def gen() -> ModuleType:
    """tools/gen_pipoptions.py as a module."""
    spec = importlib.util.spec_from_file_location("gen_pipoptions", ROOT / "tools" / "gen_pipoptions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_pipoptions"] = module
    spec.loader.exec_module(module)
    return module


def pip_reading(argvs: list[list[str]], pip_path: str | None) -> list[dict[str, Any]]:
    """What a pip's parser makes of each argv (``pip_path``: a wheel to import pip from; None: the installed pip)."""
    env = gen().isolated_environ(pip_path)
    out = subprocess.run(
        [sys.executable, *(["-S"] if pip_path else []), str(ORACLE)], input=json.dumps(argvs),
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    result: list[dict[str, Any]] = json.loads(out)
    return result


def our_reading(call: PipCall) -> dict[str, Any]:
    """safepip's reading of a call, in the oracle's terms."""
    if call.error is not None:
        return {"kind": "error"}
    names = [o.name for o in call.options]
    if "--help" in names or (call.command is None and "--version" not in names) or (call.command == "help" and not call.positionals):
        return {"kind": "help"}
    if call.command is None:
        return {"kind": "version"}
    return {
        "kind": "ok", "command": call.command, "positionals": list(call.positionals),
        "options": [[o.name, o.value] for o in call.options],
    }


def theirs(result: dict[str, Any]) -> dict[str, Any]:
    if result["kind"] != "ok":
        return {"kind": result["kind"]}
    return {k: result[k] for k in ("kind", "command", "positionals", "options")}


def disagreements(version: str, pip_path: str | None) -> tuple[int, list[str]]:
    lines = corpus() + [("edge cases", argv) for argv in EDGES]
    readings = pip_reading([argv for _, argv in lines], pip_path)
    wrong = []
    for (source, argv), result in zip(lines, readings):
        ours = our_reading(scan(argv, version))
        if ours != theirs(result):
            wrong.append(f"{shlex.join(argv)} ({source}): pip {theirs(result)}, safepip {ours}")
    return len(lines), wrong


def test_corpus_is_large_and_sourced() -> None:
    lines = corpus()
    assert len(lines) >= 500
    assert len({source.split("/")[0] + "/" + source.split("/")[1] for source, _ in lines}) >= 10
    assert all(argv for _, argv in lines)


def _installed_pip() -> str:
    import pip

    return pip.__version__


def test_installed_pip_table_matches_its_parser() -> None:
    """A new or changed pip option must not silently confuse the scanner: add the version to
    tools/gen_pipoptions.py and regenerate when this fails."""
    version = _installed_pip()
    assert version in _pipoptions.VERSIONS, f"pip {version} has no stored table: add it to tools/gen_pipoptions.py"
    data = gen().collect()
    main, commands = tables(version)
    assert data["global"] == main, f"pip {version}'s global options changed"
    assert data["commands"] == commands, f"pip {version}'s command options changed"
    assert data["python_after_command"] == (version in _pipoptions.LATE_PYTHON)
    assert data["command_version"] == (version in _pipoptions.COMMAND_VERSION)


def test_corpus_reads_as_the_installed_pip() -> None:
    version = _installed_pip()
    count, wrong = disagreements(table_version(version), None)
    assert not wrong, f"{len(wrong)} of {count} lines read differently from pip {version}:\n" + "\n".join(wrong[:20])


@pytest.fixture(scope="session")
def pip_wheels() -> dict[str, str]:
    """Every stored version's pip wheel (downloaded once into .tools/pips/, or $SAFEPIP_TEST_PIPS)."""
    cache = Path(os.environ.get("SAFEPIP_TEST_PIPS") or ROOT / ".tools" / "pips")
    module = gen()
    return {v: str(module.wheel(v, cache)) for v in _pipoptions.VERSIONS}


@pytest.mark.network
@pytest.mark.parametrize("version", _pipoptions.VERSIONS)
def test_stored_table_matches_that_pips_parser(version: str, pip_wheels: dict[str, str]) -> None:
    data = gen().collect_from(Path(pip_wheels[version]))
    assert data["version"] == version
    main, commands = tables(version)
    assert data["global"] == main
    assert data["commands"] == commands
    assert data["python_after_command"] == (version in _pipoptions.LATE_PYTHON)
    assert data["command_version"] == (version in _pipoptions.COMMAND_VERSION)


@pytest.mark.network
@pytest.mark.parametrize("version", _pipoptions.VERSIONS)
def test_corpus_reads_as_each_pip_does(version: str, pip_wheels: dict[str, str]) -> None:
    count, wrong = disagreements(version, pip_wheels[version])
    assert not wrong, f"{len(wrong)} of {count} lines read differently from pip {version}:\n" + "\n".join(wrong[:20])


def test_explain_of_every_corpus_line_is_one_json_object_and_creates_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from safepip.cli import main

    with monkeypatch.context() as patch:  # undone before the hermetic fixture checks the environment
        patch.chdir(project)
        patch.setenv("PATH", "/usr/bin:/bin")
        before = sorted(p.name for p in project.iterdir())
        bad = []
        for source, argv in corpus():
            code = main(["explain", "--json", *argv])
            out, _ = capsys.readouterr()
            if code == 0:
                try:
                    data = json.loads(out)
                except ValueError:
                    bad.append(f"{shlex.join(argv)} ({source}): not one JSON object")
                    continue
                if data["argv"] != argv:
                    bad.append(f"{shlex.join(argv)} ({source}): explained {data['argv']}")
            elif not 64 <= code <= 78:  # safepip's documented codes (a --python that names nothing here)
                bad.append(f"{shlex.join(argv)} ({source}): exit {code}")
    assert not bad, "\n".join(bad[:20])
    assert sorted(p.name for p in project.iterdir()) == before
