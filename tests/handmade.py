"""Hand-made environments for the fast path's tests: ``.dist-info`` directories written by
hand into a site-packages, no pip involved. Shared by the in-process tests
(``tests/unit/fastpath/``) and their twins that run pip (``tests/integration/test_fastpath_*``).

The fixtures are registered for every test by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.markers import default_environment

from safepip.fastpath.environment import Environment
from safepip.fastpath.satisfied import Line


def write_dist(site: Path, name: str, version: str, requires: tuple[str, ...] = (),
               extras: tuple[str, ...] = ()) -> None:
    """An installed distribution in ``site``: METADATA and a RECORD, nothing else."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Provides-Extra: {e}" for e in extras]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n\nA description.\n")
    (info / "RECORD").write_text(f"{info.name}/METADATA,,\n{info.name}/RECORD,,\n")


def _site_packages(tmp_path: Path) -> Path:
    prefix = tmp_path / "env"
    path = prefix / "lib" / "site-packages"
    path.mkdir(parents=True)
    (prefix / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    return path


def env_of(site: Path) -> Environment:
    """The environment whose only site-packages is ``site``, with this interpreter's markers."""
    return Environment(str(site.parent.parent), [str(site)], {k: str(v) for k, v in default_environment().items()})


def req_lines(*texts: str) -> list[Line]:
    """Requirement lines as given on the command line (from no file)."""
    return [Line(t, None) for t in texts]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site-packages: lib-a 1.0; lib-b 2.0 (needs lib-a, and lib-c with its extra ``fast``); lib-c 1.5."""
    path = _site_packages(tmp_path)
    write_dist(path, "lib-a", "1.0")
    write_dist(path, "lib-b", "2.0", ("lib-a>=1.0", 'lib-c; extra == "fast"', 'never-there; sys_platform == "nope"'),
               ("fast",))
    write_dist(path, "lib-c", "1.5")
    return path


@pytest.fixture
def small_env(tmp_path: Path) -> Environment:
    """An environment holding lib-a 1.0 and lib-b 2.0 (needs lib-a)."""
    path = _site_packages(tmp_path)
    write_dist(path, "lib-a", "1.0")
    write_dist(path, "lib-b", "2.0", ("lib-a",))
    return env_of(path)
