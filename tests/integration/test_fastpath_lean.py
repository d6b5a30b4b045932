"""The fast path's own check after a change imports nothing it does not use: right after an
install (site-packages changed a moment ago, the racy window) a no-op that a remembered
decision sends to the fast path reads the environment's metadata and answers without
packaging (a bare name needs none; the readings of requirement and marker strings are
remembered: safepip.fastpath.parsed), dataclasses, typing, re, json or hashlib. The calls run
with no pip configuration file (``PIP_CONFIG_FILE`` is os.devnull), or with one as machines
carry it (a global constraint file): a plain one is read without configparser or re.

What was imported is read from ``-X importtime``, never from timings.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers import age_tree, install_and_age, needs_managed, offline, run_importtime, safepip_env
from wheels import make_wheel

#: What the lean check must not import (each costs ms; together more than the check itself).
HEAVY = ("packaging.requirements", "packaging.markers", "packaging.specifiers", "packaging.version", "dataclasses",
         "typing", "re", "json", "hashlib", "inspect", "configparser")


def _safepip(*args: str, cwd: Path, config: str = os.devnull) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run safepip with -X importtime (and ``config`` as pip's configuration file): the result and every module it imported."""
    return run_importtime(*args, cwd=cwd, env=safepip_env(PIP_CONFIG_FILE=config))


def _touch_sites(project: Path) -> None:
    """What an install leaves: a site-packages changed just now."""
    for site in (project / ".venv" / "lib").glob("python*/site-packages"):
        os.utime(site)


@pytest.fixture
def changed(project: Path, wheelhouse: Path) -> Path:
    """A project whose environment holds lib-b (lib-a>=1.0 behind a marker, and a bare
    lib-a), with the install decision remembered; then site-packages changed just now.
    """
    make_wheel(wheelhouse, "lib-d", "1.0", requires=['lib-a>=1.0,!=0.5; python_version >= "3"', "lib-b"])
    install_and_age(project, *offline(wheelhouse), "lib-d", env=safepip_env(PIP_CONFIG_FILE=os.devnull))
    done, imported = _safepip("install", *offline(wheelhouse), "lib-a", cwd=project)  # the full path: remembers
    assert done.returncode == 0, done.stderr
    assert "safepip.facts.gather" in imported
    _touch_sites(project)
    return project


@needs_managed
@pytest.mark.slow
def test_a_bare_name_no_op_after_a_change_imports_nothing_heavy(changed: Path, wheelhouse: Path) -> None:
    done, imported = _safepip("install", *offline(wheelhouse), "lib-b", cwd=changed)
    assert done.returncode == 0, done.stderr
    assert "Requirement already satisfied: lib-b" in done.stdout
    assert "Requirement already satisfied: lib-a>=1.0" in done.stdout
    assert "safepip.facts.gather" not in imported, "the remembered decision answers"
    assert "safepip.fastpath.satisfied" in imported, "the fast path's own check ran"
    assert sorted(m for m in HEAVY if m in imported) == []
    # The decision keeps what the probe said (under the interpreter's signature); bare names
    # need neither the local-project rules, the requirement-file reader nor packaging, and
    # nothing is said but the answer.
    unused = ("safepip.facts.interpreter", "safepip.fastpath.sources", "safepip.fastpath.reqfile", "packaging",
              "safepip.session")
    assert sorted(m for m in unused if m in imported) == []


@needs_managed
@pytest.mark.slow
def test_the_full_path_remembers_a_no_op_without_openssl(project: Path, wheelhouse: Path) -> None:
    """A no-op with nothing remembered (the full path; the fast path answers) remembers its
    decision, which names the environment's lock file: that name's SHA-256 is CPython's own,
    not hashlib's, which loads OpenSSL (a few ms, more than the rest of the remembering).
    """
    make_wheel(wheelhouse, "lib-d", "1.0", requires=["lib-a>=1.0", "lib-b"])
    install_and_age(project, *offline(wheelhouse), "lib-d", env=safepip_env(PIP_CONFIG_FILE=os.devnull))
    done, imported = _safepip("install", *offline(wheelhouse), "lib-a", cwd=project)  # the full path: remembers
    assert done.returncode == 0, done.stderr
    assert "Requirement already satisfied: lib-a" in done.stdout
    assert "safepip.facts.gather" in imported and "safepip.venv.lock" in imported
    assert sorted(m for m in ("hashlib", "_hashlib", "hmac") if m in imported) == []
    _touch_sites(project)
    _, imported = _safepip("install", *offline(wheelhouse), "lib-b", cwd=project)
    assert "safepip.facts.gather" not in imported, "the decision was remembered"


@needs_managed
@pytest.mark.slow
def test_markers_and_specifiers_read_once_are_not_read_again(changed: Path, wheelhouse: Path) -> None:
    first, imported = _safepip("install", *offline(wheelhouse), "lib-d>=0.5", cwd=changed)
    assert first.returncode == 0, first.stderr
    assert "packaging.markers" in imported  # lib-d's marker and specifiers, never read before
    _touch_sites(changed)
    again, imported = _safepip("install", *offline(wheelhouse), "lib-d>=0.5", "lib-a", cwd=changed)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(first.stdout.splitlines()[0])
    assert "Requirement already satisfied: lib-a in" in again.stdout
    assert "safepip.fastpath.satisfied" in imported and "safepip.facts.gather" not in imported
    assert sorted(m for m in HEAVY if m in imported) == []


@needs_managed
@pytest.mark.slow
def test_a_machine_constraint_file_is_read_without_re(project: Path, wheelhouse: Path, tmp_path: Path) -> None:
    """A pip configuration as machines carry one (a global ``constraint`` whose file has comments
    and caps on names the call does not reach): honoured, and read without re or configparser.
    """
    caps = tmp_path / "caps.txt"
    caps.write_text("# machine-wide caps\ntorch<=2.14.1  # the cluster's CUDA\n\ntorchvision<=0.29.1\nlib-a<=1.0\n")
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nconstraint = {caps}\ntimeout = 60\n[install]\nno-warn-script-location = true\n")
    done, _ = _safepip("install", *offline(wheelhouse), "lib-b", cwd=project, config=str(conf))
    assert done.returncode == 0, done.stderr
    age_tree(project)
    age_tree(tmp_path)
    done, imported = _safepip("install", *offline(wheelhouse), "lib-a", cwd=project, config=str(conf))  # remembers
    assert "safepip.facts.gather" in imported
    _touch_sites(project)
    done, imported = _safepip("install", *offline(wheelhouse), "lib-b", cwd=project, config=str(conf))
    assert done.returncode == 0, done.stderr
    assert "Requirement already satisfied: lib-b" in done.stdout
    assert "safepip.facts.gather" not in imported and "safepip.fastpath.satisfied" in imported
    assert sorted(m for m in HEAVY if m in imported) == []
    # The caps are read: one the environment breaks sends the call to pip.
    caps.write_text("# machine-wide caps\nlib-a<1.0\n")
    _touch_sites(project)
    done, imported = _safepip("install", *offline(wheelhouse), "lib-b", cwd=project, config=str(conf))
    assert done.returncode != 0 and "ResolutionImpossible" in done.stdout + done.stderr, done.stderr


@needs_managed
@pytest.mark.slow
def test_a_new_command_line_is_checked_without_the_scanner(project: Path, wheelhouse: Path, tmp_path: Path) -> None:
    """A no-op for a command line never seen (another installed distribution, a requirement
    file), sent to the fast path by the remembered decision, with a pip configuration as
    machines carry one: the fast path reads the call as the decision's lean scan read it,
    without the scanner or pip's option tables (about 0.5 ms of imports, on a path that costs
    about 8 ms over the interpreter start).
    """
    caps = tmp_path / "caps.txt"
    caps.write_text("# machine-wide caps\ntorch<=2.14.1\n")
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nconstraint = {caps}\ntimeout = 60\n")
    (project / "req.txt").write_text("lib-b\n")
    make_wheel(wheelhouse, "lib-d", "1.0", requires=["lib-a>=1.0", "lib-b"])
    install_and_age(project, *offline(wheelhouse), "lib-d", env=safepip_env(PIP_CONFIG_FILE=str(conf)))
    age_tree(tmp_path)
    done, imported = _safepip("install", *offline(wheelhouse), "lib-d", cwd=project, config=str(conf))  # remembers
    assert done.returncode == 0 and "safepip.facts.gather" in imported, done.stderr
    scanner = ("safepip.facts.pipargs", "safepip.facts._pipoptions", "safepip.facts.piptables")
    for args, first in ((["lib-a"], "lib-a in"), (["-r", "req.txt"], "lib-b in")):  # command lines never seen
        done, imported = _safepip("install", *offline(wheelhouse), *args, cwd=project, config=str(conf))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"Requirement already satisfied: {first}"), done.stdout
        assert "safepip.facts.gather" not in imported and "safepip.fastpath.satisfied" in imported
        assert sorted(m for m in scanner if m in imported) == []
