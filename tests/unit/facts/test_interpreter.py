"""Choosing the target interpreter, and the probe cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import count_opens
from safepip.errors import InterpreterError
from safepip.facts import interpreter
from safepip.facts.interpreter import find_target, probe


def exe(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_order_of_precedence(tmp_path: Path) -> None:
    onpath = exe(tmp_path / "bin" / "python3")
    venv = tmp_path / "venv"
    exe(venv / "bin" / "python")
    conda = tmp_path / "conda"
    exe(conda / "bin" / "python")
    named = exe(tmp_path / "named" / "python3.11")
    env = {"PATH": str(tmp_path / "bin"), "VIRTUAL_ENV": str(venv), "CONDA_PREFIX": str(conda)}
    assert find_target(str(named), {**env, "SAFEPIP_PYTHON": "x"}) == (str(named), "--python")
    assert find_target(None, {**env, "SAFEPIP_PYTHON": str(named)}) == (str(named), "SAFEPIP_PYTHON")
    assert find_target(None, env) == (str(venv / "bin" / "python"), "VIRTUAL_ENV")
    del env["VIRTUAL_ENV"]
    assert find_target(None, env) == (str(conda / "bin" / "python"), "CONDA_PREFIX")
    del env["CONDA_PREFIX"]
    assert find_target(None, env, (str(named), "config.toml")) == (str(named), "python (from config.toml)")
    assert find_target(None, env) == (str(onpath), "PATH")


def test_python_then_python3_fallback_to_python(tmp_path: Path) -> None:
    only = exe(tmp_path / "bin" / "python")
    assert find_target(None, {"PATH": str(tmp_path / "bin")}) == (str(only), "PATH")


def test_a_venv_directory_names_its_interpreter(tmp_path: Path) -> None:
    inner = exe(tmp_path / "v" / "bin" / "python")
    assert find_target(str(tmp_path / "v"), {"PATH": ""})[0] == str(inner)


def test_a_command_name_is_looked_up_on_path(tmp_path: Path) -> None:
    found = exe(tmp_path / "bin" / "python3.99")
    assert find_target("python3.99", {"PATH": str(tmp_path / "bin")})[0] == str(found)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("/nonexistent/python", "no such file"), ("nosuchpython", "no such command"), (".", "a directory without")],
)
def test_bad_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InterpreterError, match=message):
        find_target(spec, {"PATH": str(tmp_path)})


def test_nothing_on_path(tmp_path: Path) -> None:
    with pytest.raises(InterpreterError, match="no python3 or python on PATH"):
        find_target(None, {"PATH": str(tmp_path)})


def test_safepips_own_environment_is_never_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.prefix == sys.base_prefix:
        pytest.skip("the test suite runs outside a virtual environment")
    own = os.path.dirname(sys.executable)
    other = exe(tmp_path / "bin" / "python3")
    assert find_target(None, {"PATH": f"{own}{os.pathsep}{tmp_path / 'bin'}"}) == (str(other), "PATH")


def test_cache_is_invalidated_when_the_marker_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A copy of a real interpreter's probe result whose stdlib is a directory we control.
    stdlib = tmp_path / "stdlib"
    stdlib.mkdir()
    fake = {"version": [3, 11, 0], "executable": "x", "implementation": "cpython", "prefix": "/p", "base_prefix": "/p",
            "in_venv": False, "conda": False, "stdlib": str(stdlib), "purelib": "", "platlib": "", "scripts": "",
            "marker": None, "marker_message": None, "marker_problem": None, "distributor": None, "pip": True,
            "markers": {}}
    calls: list[str] = []

    def fake_probe(path: str) -> dict[str, object]:
        calls.append(path)
        has = (stdlib / "EXTERNALLY-MANAGED").exists()
        return {**fake, "marker": str(stdlib / "EXTERNALLY-MANAGED") if has else None}

    monkeypatch.setattr(interpreter, "run_probe", fake_probe)
    target = exe(tmp_path / "bin" / "python", "\x7fELF fake binary")
    env = dict(os.environ)
    assert not probe(str(target), "PATH", env).managed
    assert not probe(str(target), "PATH", env).managed
    assert len(calls) == 1
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\n")
    assert probe(str(target), "PATH", env).managed
    assert len(calls) == 2


def test_cached_reads_the_probe_cache_and_never_probes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stdlib = tmp_path / "stdlib"
    stdlib.mkdir()
    fake = {"version": [3, 11, 0], "executable": "x", "implementation": "cpython", "prefix": "/p", "base_prefix": "/p",
            "in_venv": True, "conda": False, "stdlib": str(stdlib), "purelib": "/p/lib", "platlib": "/p/lib",
            "scripts": "", "marker": None, "marker_message": None, "marker_problem": None, "distributor": None,
            "pip": True, "markers": {"os_name": "posix"}}
    calls: list[str] = []

    def fake_probe(path: str) -> dict[str, object]:
        calls.append(path)
        return fake

    monkeypatch.setattr(interpreter, "run_probe", fake_probe)
    target = str(exe(tmp_path / "bin" / "python", "\x7fELF fake binary"))
    env = dict(os.environ)
    assert interpreter.cached(target, "the fast path", env) is None and calls == []
    probed = probe(target, "PATH", env)
    assert interpreter.cached(target, "PATH", env) == probed and len(calls) == 1
    assert interpreter.cached(target, "PATH", {**env, "SAFEPIP_NO_PROBE_CACHE": "1"}) is None
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\n")  # the cached answer is stale now
    assert interpreter.cached(target, "PATH", env) is None and len(calls) == 1


@pytest.mark.parametrize(("marker", "in_venv", "managed"), [
    (None, False, False),
    ("/usr/lib/python3/EXTERNALLY-MANAGED", False, True),
    ("/usr/lib/python3/EXTERNALLY-MANAGED", True, False),  # a venv of a managed Python: pip installs there
])
def test_the_record_holds_whether_pip_would_refuse(marker: str | None, in_venv: bool, managed: bool) -> None:
    data = {"version": [3, 11, 0], "implementation": "cpython", "prefix": "/p", "base_prefix": "/usr",
            "in_venv": in_venv, "conda": False, "stdlib": "/usr/lib/python3", "purelib": "", "platlib": "",
            "scripts": "", "marker": marker, "marker_message": None, "marker_problem": None, "distributor": None,
            "pip": True, "markers": {}}
    assert interpreter._interp("/p/bin/python", "PATH", data).managed is managed


def test_the_probe_caches_key_opens_the_interpreter_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    exe = tmp_path / "python"
    exe.write_bytes(b"\x7fELF" + b"\0" * 60)
    script = tmp_path / "shim"
    script.write_text("#!/bin/sh\n")
    looks: list[str] = []
    with monkeypatch.context() as patched:
        for module, name in ((os, "stat"), (builtins, "open")):
            real = getattr(module, name)

            def counted(*args: object, _real: object = real, _name: str = name, **kw: object) -> object:
                looks.append(_name)
                return _real(*args, **kw)  # type: ignore[operator]

            patched.setattr(module, name, counted)
        key = interpreter.cache_key(str(exe))
        # The file opened is the one identified (fstat), read without a file object.
        assert key is not None and len(key) == 32 and looks == []
        assert interpreter.cache_key(str(script)) is None and interpreter.cache_key(str(tmp_path / "gone")) is None
        assert interpreter.cache_key(str(tmp_path)) is None  # a directory: nothing to read
    exe.write_bytes(b"\x7fELF" + b"\1" * 61)
    assert interpreter.cache_key(str(exe)) not in (None, key)  # another file, another key


def test_while_gathering_the_path_search_and_the_probe_caches_key_read_the_interpreter_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exe = tmp_path / "python3"
    exe.write_bytes(b"\x7fELF" + b"\0" * 60)
    exe.chmod(0o755)
    opened = count_opens(monkeypatch)
    was = interpreter.resolving(True)
    try:
        assert interpreter.without_shims("python3", {"PATH": str(tmp_path)}) == str(exe)  # is it a launcher of ours?
        key = interpreter.cache_key(str(exe))
    finally:
        interpreter.resolving(was)
    assert key is not None and opened[str(exe)] == 1  # was 2: the search's read and the key's
    assert interpreter.cache_key(str(exe)) == key and opened[str(exe)] == 2  # afterwards: read again
