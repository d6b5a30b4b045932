"""safepip audit: on throwaway interpreter trees made here, and read-only on the real system Python."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import pytest

from helpers import SAFEPIP, SYSTEM_PYTHON, SYSTEM_SITE_DIRS, SYSTEM_XY, needs_managed, safepip_env
from inprocess import Cli
from safepip.cli import main
from safepip.commands.audit import audit
from safepip.facts.installed import scan
from safepip.facts.interpreter import run_probe


def dist_info(site: Path, name: str, version: str, *, installer: str | None = "pip", modules: Sequence[str] = (),
              scripts: Sequence[str] = ()) -> Path:
    """A dist-info directory as pip (or a distribution) leaves it, with the modules it installs."""
    meta = site / f"{name.replace('-', '_')}-{version}.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if installer is not None:
        (meta / "INSTALLER").write_text(installer + "\n")
    record = [f"{meta.name}/METADATA,,"]
    for module in modules:
        (site / module).mkdir(exist_ok=True)
        (site / module / "__init__.py").write_text("")
        record.append(f"{module}/__init__.py,,")
    record.append(f"../../../bin/{name},,")  # a script outside site-packages is not a module
    (meta / "RECORD").write_text("\n".join(record) + "\n")
    if scripts:
        (meta / "entry_points.txt").write_text("[console_scripts]\n" + "".join(f"{s} = {s}:main\n" for s in scripts))
    return meta


def egg_info(site: Path, name: str, version: str, modules: Sequence[str]) -> Path:
    """A Debian-style egg-info directory (what python3-* packages often ship)."""
    meta = site / f"{name}-{version}.egg-info"
    meta.mkdir(parents=True)
    (meta / "PKG-INFO").write_text(f"Metadata-Version: 1.2\nName: {name}\nVersion: {version}\n")
    (meta / "top_level.txt").write_text("".join(f"{m}\n" for m in modules))
    for module in modules:
        (site / module).mkdir(exist_ok=True)
    return meta


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """A system interpreter's site directories, in sys.path order: user site, /usr/local, /usr/lib."""
    root = tmp_path / "sysroot"
    sites = {
        "user": root / "home" / ".local" / "lib" / f"python{SYSTEM_XY}" / "site-packages",
        "local": root / "usr" / "local" / "lib" / f"python{SYSTEM_XY}" / "dist-packages",
        "dist": root / "usr" / "lib" / "python3" / "dist-packages",
    }
    for site in sites.values():
        site.mkdir(parents=True)
    # Distribution-owned packages.
    egg_info(sites["dist"], "requests", "2.28.1", ["requests"])
    egg_info(sites["dist"], "PyJWT", "2.6.0", ["jwt"])
    dist_info(sites["dist"], "distro", "1.8.0", installer=None, modules=["distro"])
    dist_info(sites["dist"], "wheel", "0.38.4", installer="pip", modules=["wheel"])  # owned despite INSTALLER
    # What sudo pip and pip --user --break-system-packages left behind.
    dist_info(sites["local"], "requests", "2.31.0", modules=["requests"])
    dist_info(sites["local"], "jwt", "1.3.1", modules=["jwt"])
    dist_info(sites["local"], "six", "1.16.0", modules=["six"])
    dist_info(sites["user"], "httpie", "3.2.2", modules=["httpie"], scripts=["http", "https"])
    dist_info(sites["local"], "uv-made", "1.0", installer="uv", modules=["uv_made"])  # not pip's
    return sites


def owned_by(*paths: Path) -> dict[str, str]:
    return {str(p): f"python3-{p.name.split('-')[0].lower()}" for p in paths}


def oracle_for(sites: dict[str, Path]) -> dict[str, str]:
    dist = sites["dist"]
    return owned_by(*(p for p in dist.iterdir() if p.name.endswith((".egg-info", ".dist-info"))))


def test_finds_pip_installs_and_what_they_shadow(tree: dict[str, Path]) -> None:
    owners = oracle_for(tree)
    dirs = [str(tree[k]) for k in ("user", "local", "dist")]
    findings = audit(dirs, lambda paths: {p: owners[p] for p in paths if p in owners}, "/usr/bin/python3", True,
                     str(tree["user"]))
    by_name = {f.dist.name: f for f in findings}
    assert set(by_name) == {"requests", "jwt", "six", "httpie"}  # not the owned wheel, not uv's

    (same,) = by_name["requests"].conflicts
    assert (same.relation, same.kind, same.name, same.version) == ("shadows", "same name", "requests", "2.28.1")
    assert same.owner == "python3-requests"

    (modules,) = by_name["jwt"].conflicts
    assert (modules.kind, modules.name, modules.modules) == ("same modules", "PyJWT", ("jwt",))
    assert by_name["six"].conflicts == ()

    assert by_name["requests"].commands == (
        "safepip install requests==2.31.0  # in each project that uses it",
        "/usr/bin/python3 -m pip uninstall --break-system-packages requests"
        if os.access(tree["local"], os.W_OK) else
        "sudo /usr/bin/python3 -m pip uninstall --break-system-packages requests",
    )
    httpie = by_name["httpie"].commands
    assert httpie[0].startswith("pipx install httpie==3.2.2")
    assert httpie[1] == "/usr/bin/python3 -m pip uninstall --break-system-packages httpie"  # the user site: no sudo


def test_without_a_package_manager_installer_is_the_evidence(tree: dict[str, Path]) -> None:
    dirs = [str(tree[k]) for k in ("user", "local", "dist")]
    findings = audit(dirs, lambda paths: None, "/opt/py/bin/python3", False)
    names = {f.dist.name for f in findings}
    assert names == {"requests", "jwt", "six", "httpie", "wheel"}  # wheel's INSTALLER says pip: nothing says otherwise
    requests = next(f for f in findings if f.dist.name == "requests")
    assert requests.conflicts[0].owner is None
    assert "safepip --python /opt/py/bin/python3 uninstall --break-system-packages requests" in requests.commands[1]


def test_pip_writing_over_an_owned_package_says_to_reinstall_it(tmp_path: Path) -> None:
    site = tmp_path / "dist-packages"
    owned = egg_info(site, "requests", "2.28.1", ["requests"])
    dist_info(site, "requests", "2.31.0", modules=["requests"])
    findings = audit([str(site)], lambda paths: {p: "python3-requests" for p in paths if p == str(owned)}, "py", True)
    (finding,) = findings
    assert finding.conflicts[0].relation == "overwrote files of"
    assert finding.commands[-1] == "sudo apt-get install --reinstall python3-requests"


def test_scan_reads_metadata_and_modules(tree: dict[str, Path]) -> None:
    found = scan([str(tree["local"]), str(tree["dist"])])
    assert [(d.name, d.version, d.position) for d in found if d.name == "requests"] == [
        ("requests", "2.31.0", 0), ("requests", "2.28.1", 1)]  # in sys.path order
    dists = {d.name: d for d in found}
    assert dists["requests"].modules == ("requests",)
    assert dists["PyJWT"].modules == ("jwt",)
    assert dists["uv-made"].installer == "uv"


@functools.lru_cache(maxsize=1)
def _real_probe() -> dict[str, object]:
    return run_probe(sys.executable)


def fake_python(tmp_path: Path, sites: Sequence[Path], user: Path | None = None) -> Path:
    """An 'interpreter' whose site probe reports ``sites``: the tests never audit a real one."""
    report = {**_real_probe(), "executable": "x", "in_venv": False, "site_dirs": [str(s) for s in sites],
              "pip": True, "user_site": str(user) if user else None}
    script = tmp_path / "bin" / "python3"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(report)}\nEOF\n")
    script.chmod(0o755)
    return script


def fake_dpkg(tmp_path: Path, owners: dict[str, str]) -> Path:
    """A dpkg that answers ``dpkg -S`` for the tree's paths the way the real one does."""
    lines = "".join(f"  {path}) echo '{pkg}: {path}' ;;\n" for path, pkg in owners.items())
    script = tmp_path / "fakebin" / "dpkg"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(
        "#!/bin/sh\n[ \"$1\" = -S ] || exit 2\nshift\nrc=0\nfor p in \"$@\"; do\n case \"$p\" in\n" + lines
        + "  *) echo \"dpkg-query: no path found matching pattern $p\" >&2; rc=1 ;;\n esac\ndone\nexit $rc\n"
    )
    script.chmod(0o755)
    return script.parent


def test_cli_text_and_json(tree: dict[str, Path], tmp_path: Path, live: Cli) -> None:
    python = fake_python(tmp_path, [tree["user"], tree["local"], tree["dist"]], tree["user"])
    env = safepip_env(PATH=f"{fake_dpkg(tmp_path, oracle_for(tree))}:/usr/bin:/bin")
    done = live("audit", "--python", str(python), cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr
    text = done.stdout
    assert f"{python}: 4 distribution(s) installed by pip" in text
    assert "dpkg does not own it" in text
    assert "shadows requests 2.28.1 (package python3-requests)" in text
    assert "same modules: jwt" in text

    done = live("audit", "--python", str(python), "--json", cwd=tmp_path, env=env)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["package_manager"] == "dpkg"
    assert {f["name"] for f in report["findings"]} == {"requests", "jwt", "six", "httpie"}


def test_cli_clean_tree_exits_zero(tmp_path: Path, live: Cli) -> None:
    site = tmp_path / "dist-packages"
    meta = egg_info(site, "requests", "2.28.1", ["requests"])
    python = fake_python(tmp_path, [site])
    env = safepip_env(PATH=f"{fake_dpkg(tmp_path, {str(meta): 'python3-requests'})}:/usr/bin:/bin")
    done = live("audit", "--python", str(python), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "no pip-installed distributions" in done.stdout


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho nope\n")
    broken.chmod(0o755)
    assert main(["audit", "--python", str(broken)]) == 69
    assert main(["audit", "--bogus"]) == 64
    err = capsys.readouterr().err
    assert "is not a working Python interpreter" in err
    assert "Traceback" not in err


@needs_managed
def test_real_system_python_read_only(tmp_path: Path) -> None:
    # The session fixture proves nothing under the system site-packages changed.
    done = subprocess.run([SAFEPIP, "audit", "--python", SYSTEM_PYTHON, "--json"], cwd=str(tmp_path),
                          env=safepip_env(), capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert set(SYSTEM_SITE_DIRS) & set(report["site_dirs"]), report["site_dirs"]
    assert (done.returncode == 1) == bool(report["findings"])
    for finding in report["findings"]:
        assert finding["installer"].lower() == "pip" and finding["owner"] is None
