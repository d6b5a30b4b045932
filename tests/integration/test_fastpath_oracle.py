"""The fast path's answer against pip's, over generated pip configurations, markers and extras.

Hypothesis writes pip configuration files (sections ``[global]``, ``[install]``, ``[:env:]``,
another command's, a misspelt one; keys the fast path models and keys it does not) into the
files pip reads (``PIP_CONFIG_FILE``, the user's, the machine's, the environment's own),
sets ``PIP_*`` variables, and picks requirements with extras and markers on small local
wheels. The same call is then answered by the fast path (in-process) and by the real pip of
a real environment (``install --dry-run --report``): the oracle says the call is a no-op
when pip succeeds and its report installs nothing. The fast path may stand aside whenever it
likes; when it answers "satisfied" pip must install nothing, and when it answers "something
to install" pip must install something or fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from helpers import SYSTEM_PYTHON, needs_managed, offline, venv_python
from safepip.facts.pipargs import scan
from safepip.fastpath.answer import attempt
from wheels import make_wheel

pytestmark = [needs_managed, pytest.mark.slow]

#: Sections: the three install applies and another command's (modelled), names pip does not
#: apply (not modelled: the fast path stands aside).
SECTIONS = (":env:", "install", "global", "freeze")
ODD_SECTIONS = ("Install", "install.x", "weird")
#: Keys the fast path models (``{c}``: a constraints file, ``{h}``: the wheels) and keys it must
#: leave to pip.
KEYS = (
    "no-index = yes", "quiet = 1", "constraint = {c}", "find_links = {h}", "require-hashes = yes", "timeout =",
    "no_index = yes",  # with no-index, a duplicate key for newer pips
)
ODD_KEYS = (
    "upgrade = true", "--upgrade = on", "upgrade = false", "force_reinstall = 1", "no-deps = yes",
    "ignore-installed = yes", "upgrade =", "nonsense = 1",
)
#: The files pip reads, by where they are (see _place).
PLACES = ("env", "user", "old-user", "machine", "site")
VARIABLES = (
    ("PIP_QUIET", "1"), ("PIP_VERSION", "1"), ("PIP_CONSTRAINT", "{c}"), ("PIP_NO_INDEX", "1"),
    ("PIP_REQUIRE_HASHES", "1"), ("PIP_UPGRADE", "1"), ("PIP_NO_DEPS", "yes"), ("PIP_UPGRADE", ""),
)
REQUIREMENTS = (
    "cc[foo]", "cc", "aa", "cc[bar]", "aa<2", "bb", "cc[foo,bar]", 'dd; python_version < "3"', "ee[foo]", "aa==1.0",
)
#: The environments: (how made, what installed). "partial" lacks bb and dd.
STATES = {
    "partial-new": ("virtualenv", ["--no-deps", "aa==1.0", "cc", "ee"]),
    "full-old": ("venv", ["aa==1.0", "cc[bar]", "bb", "ee"]),
    "full-new": ("virtualenv", ["aa==1.0", "cc[bar]", "bb", "ee"]),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Path]]]:
    """The wheels and one environment per state: two with the newest pip virtualenv seeds,
    one with Debian's own (pip 23.0.1, which reads extras in markers as written)."""
    base = tmp_path_factory.mktemp("oracle")
    house = base / "house"
    make_wheel(house, "aa", "1.0")
    make_wheel(house, "aa", "2.0")
    make_wheel(house, "bb", "1.0")
    make_wheel(house, "dd", "1.0")
    make_wheel(house, "cc", "1.0", requires=["aa>=1", 'bb; extra != "foo"'], extras={"foo": [], "bar": ["dd"]})
    make_wheel(house, "ee", "1.0", requires=['dd; extra == "Foo"'], extras={"foo": []})  # read as written by old pips
    (house / "constraints.txt").write_text("aa<2\n")
    quiet = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    quiet.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    envs = {}
    for name, (how, installs) in STATES.items():
        env_dir = base / name
        make = [SYSTEM_PYTHON, "-m", "venv"] if how == "venv" else [sys.executable, "-m", "virtualenv", "-q",
                                                                    "--no-periodic-update"]
        subprocess.run([*make, str(env_dir)], check=True, env=quiet, capture_output=True)
        subprocess.run([venv_python(env_dir), "-m", "pip", "install", "-q", *offline(house), *installs],
                       check=True, env=quiet)
        envs[name] = env_dir
    yield house, envs


def _place(where: str, env_dir: Path) -> Path:
    """The file pip reads at ``where`` (the hermetic fixture's directories)."""
    return {
        "env": Path(os.environ["PIP_CONFIG_FILE"]),
        "user": Path(os.environ["XDG_CONFIG_HOME"]) / "pip" / "pip.conf",
        "old-user": Path(os.environ["HOME"]) / ".pip" / "pip.conf",
        "machine": Path(os.environ["XDG_CONFIG_DIRS"]) / "pip" / "pip.conf",
        "site": env_dir / "pip.conf",
    }[where]


# Two in three sections and keys modelled, so that the fast path often answers.
section = st.one_of(st.sampled_from(SECTIONS), st.sampled_from(SECTIONS), st.sampled_from(ODD_SECTIONS))
key = st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS), st.sampled_from(ODD_KEYS))
configuration = st.lists(
    st.tuples(st.sampled_from(PLACES), section, st.lists(key, min_size=1, max_size=2, unique=True)), max_size=2
)


def _fast_path(argv: list[str], python: str, environ: dict[str, str], cwd: Path) -> tuple[str, str]:
    """What the fast path does: "satisfied", "install" or "pip" (stands aside), and why."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        answer = attempt(scan(argv), python, environ, str(cwd), debug=True)
    said = err.getvalue()
    if answer == 0:
        return "satisfied", said
    if "something is to be installed" in said:
        return "install", said
    # the reason, without the paths and names that make every one different
    return "pip", " ".join(w for w in said.split("; running pip")[0].split() if "/" not in w and "'" not in w)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    state=st.sampled_from(sorted(STATES)),
    files=configuration,
    variables=st.lists(st.sampled_from(VARIABLES), max_size=2, unique_by=lambda v: v[0]),
    reqs=st.lists(st.sampled_from(REQUIREMENTS), min_size=1, max_size=3, unique=True),
)
# The two findings: pip upgrades under a file's [:env:] section, and installs bb for cc[foo].
@example(state="full-new", files=[("env", ":env:", ["upgrade = true"])], variables=[], reqs=["aa"])
@example(state="full-old", files=[("site", ":env:", ["upgrade = true"])], variables=[], reqs=["cc", "aa"])
@example(state="partial-new", files=[], variables=[], reqs=["cc[foo]"])
@example(state="full-old", files=[("user", "global", ["require-hashes = yes"])], variables=[], reqs=["aa==1.0"])
@example(state="full-new", files=[("machine", "global", ["no-index = yes", "no_index = yes"])], variables=[], reqs=["aa"])
def test_the_fast_path_answers_only_what_pip_would_not_do(
    world: tuple[Path, dict[str, Path]], tmp_path: Path, state: str, files: list[tuple[str, str, list[str]]],
    variables: list[tuple[str, str]], reqs: list[str],
) -> None:
    house, envs = world
    env_dir = envs[state]
    constraints = str(house / "constraints.txt")
    texts: dict[Path, str] = {}
    for where, section, keys in files:
        path = _place(where, env_dir)
        lines = "".join(k.format(c=constraints, h=house) + "\n" for k in keys)
        texts[path] = texts.get(path, "") + f"[{section}]\n" + lines
    written: list[Path] = []
    try:
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
        environ = {**os.environ, **{k: v.format(c=constraints) for k, v in variables}}
        argv = ["install", *offline(house), *reqs]
        fast, why = _fast_path(argv, venv_python(env_dir), environ, tmp_path)
        event(f"fast path: {fast}")
        if fast == "pip":
            event(f"stood aside: {why}")
        if fast == "pip":
            return  # pip decides: nothing to hold against it
        report = tmp_path / "report.json"
        report.unlink(missing_ok=True)
        done = subprocess.run(
            [venv_python(env_dir), "-m", "pip", "install", "--dry-run", "--report", str(report), *argv[1:]],
            capture_output=True, text=True, check=False, env=environ, cwd=tmp_path,
        )
        would_install = (
            [item["metadata"]["name"] for item in json.loads(report.read_text())["install"]]
            if done.returncode == 0 else None
        )
        context = f"{state}: {reqs} with {texts} and {variables}: pip would install {would_install}"
        if fast == "satisfied":
            assert would_install == [], f"{context}\n{done.stderr}"
        else:
            assert would_install != [], context
    finally:
        for path in written:
            path.unlink()
