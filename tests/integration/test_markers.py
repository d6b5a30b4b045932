"""Every externally managed Python of the field (tests/markers_corpus.py), emulated on a real CPython:
detected as pip detects it, its message shown as pip shows it, and the right route.

pip itself is the oracle: its own ``check_externally_managed`` runs in the emulated interpreter on
the same file, in the same locale, and its own rendering of the error gives the lines it prints.
The pip is pip 26.3's wheel when it is at hand ($SAFEPIP_TEST_PIPS or .tools/pips/; the ``network``
test fetches it) and otherwise the pip pyenv's CPython came with (the reading is the same since pip 23).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import ROOT, installed, offline, run_safepip, safepip_env
from markers_corpus import LAYOUTS, Layout, emulate, pyenv_python
from users import make_project
from wheels import make_wheel

pytestmark = [
    pytest.mark.skipif(pyenv_python() is None, reason="pyenv's CPython 3.12 is not on this machine"),
    pytest.mark.slow,
]

PIP_VERSION = "26.3"
ORACLE = r"""
import io, json, locale, sys
sys.path.insert(0, sys.argv[1])
try:
    locale.setlocale(locale.LC_ALL, "")  # as pip's main() does
except locale.Error:
    pass
from pip._internal.exceptions import ExternallyManagedEnvironment
from pip._internal.utils.misc import check_externally_managed
import pip
out = {"pip": pip.__version__, "managed": False}
try:
    check_externally_managed()
except ExternallyManagedEnvironment as exc:
    from pip._vendor.rich.console import Console
    sink = io.StringIO()
    Console(file=sink, width=10000, no_color=True, force_terminal=False, highlight=False).print(exc)
    out.update(managed=True, context=str(exc.context), rendered=sink.getvalue())
print(json.dumps(out))
"""


def _layout(name: str) -> Layout:
    return next(layout for layout in LAYOUTS if layout.name == name)


def _machine(name: str, tmp_path: Path) -> Path:
    """The layout ``name`` emulated at ``tmp_path/machine``: its python."""
    return emulate(_layout(name), tmp_path / "machine")


def pip_path() -> str:
    """pip 26.3's wheel when it is at hand, else the site-packages of pyenv's CPython (its own pip)."""
    cache = Path(os.environ.get("SAFEPIP_TEST_PIPS") or ROOT / ".tools" / "pips")
    wheel = cache / f"pip-{PIP_VERSION}-py3-none-any.whl"
    if wheel.is_file():
        return str(wheel)
    source = pyenv_python()
    assert source is not None
    return str(source / "lib" / "python3.12" / "site-packages")


def pip_says(python: Path, env: dict[str, str], pip: str | None = None) -> dict[str, object]:
    """What pip makes of ``python``'s marker: managed, its message, the lines it prints under "╰─>"."""
    clean = {k: v for k, v in env.items() if not k.startswith(("PIP_", "PYTHON"))}
    done = subprocess.run([str(python), "-c", ORACLE, pip or pip_path()], env=clean, capture_output=True, text=True,
                          check=True)
    data: dict[str, object] = json.loads(done.stdout)
    if data["managed"]:
        lines = str(data["rendered"]).splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("╰─>"))
        end = next(i for i, line in enumerate(lines) if line.startswith("note: "))
        # "╰─> " then "    " before each line; a blank line before the note.
        data["lines"] = [line[4:].rstrip() for line in lines[start:end - 1]]
    return data


def doctor(python: Path, cwd: Path, env: dict[str, str]) -> tuple[dict[str, object], list[str]]:
    """safepip doctor's JSON and the message lines of its text, for the python3 first on PATH."""
    data = run_safepip("doctor", "--json", cwd=cwd, env=env)
    assert data.returncode in (0, 1), data.stderr
    text = run_safepip("doctor", cwd=cwd, env=env)
    lines = text.stdout.splitlines()
    shown: list[str] = []
    if any(line.startswith("managed      yes") for line in lines):
        start = next(i for i, line in enumerate(lines) if line.startswith("managed      yes")) + 1
        for line in lines[start:]:
            if not line.startswith("             |"):
                break
            shown.append(line[len("             | "):])
    return json.loads(data.stdout), shown


def env_for(python: Path, **extra: str) -> dict[str, str]:
    return safepip_env(PATH=f"{python.parent}:/usr/bin:/bin", **extra)


@pytest.fixture(scope="session")
def locales(tmp_path_factory: pytest.TempPathFactory) -> str | None:
    """A LOCPATH holding de_DE.UTF-8 and fr_FR.UTF-8, compiled for the tests (None: no localedef)."""
    where = tmp_path_factory.mktemp("locales")
    for name in ("de_DE", "fr_FR"):
        done = subprocess.run(["localedef", "-i", name, "-f", "UTF-8", str(where / f"{name}.UTF-8")],
                              capture_output=True, check=False)
        if done.returncode not in (0, 1):  # 1: warnings only
            return None
    return str(where)


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.name for layout in LAYOUTS])
def test_detected_and_shown_as_pip_does(layout: Layout, tmp_path: Path) -> None:
    python = emulate(layout, tmp_path / "machine")
    project = make_project(tmp_path / "project")
    env = env_for(python, LANG="C.UTF-8")
    pip = pip_says(python, env)
    assert pip["managed"] is layout.managed
    data, shown = doctor(python, project, env)
    managed = data["managed"]
    assert isinstance(managed, dict)
    assert managed["managed"] is layout.managed
    if layout.managed:
        assert managed["message"] == pip["context"]
        assert shown == pip["lines"], "\n".join(shown)
        assert managed["problem"] is None
        assert managed["distributor"] == layout.distributor
        if layout.symlink:
            assert os.path.islink(str(managed["marker"]))
        assert Path(str(managed["marker"])).parent.name == "python3.12"
        assert Path(str(managed["marker"])).parent.parent.name == layout.libdir
    explained = run_safepip("explain", "--json", "install", "lib-a", cwd=project, env=env)
    assert explained.returncode == 0, explained.stderr
    decision = json.loads(explained.stdout)
    assert decision["decision"] == ("project-venv" if layout.managed else "passthrough"), decision["why"]
    if layout.managed and layout.distributor:
        assert f"externally managed ({layout.distributor})" in decision["why"]


@pytest.mark.parametrize("lang", ["de_DE.UTF-8", "fr_FR.UTF-8", "C.UTF-8"])
def test_the_message_in_the_users_language_as_pip_picks_it(lang: str, tmp_path: Path, locales: str | None) -> None:
    if locales is None:
        pytest.skip("localedef cannot compile locales here")
    python = _machine("debian-localized", tmp_path)
    env = env_for(python, LOCPATH=locales, LANG=lang, LC_ALL="")
    pip = pip_says(python, env)
    data, shown = doctor(python, tmp_path, env)
    managed = data["managed"]
    assert isinstance(managed, dict)
    assert managed["message"] == pip["context"]
    assert shown == pip["lines"]
    first = str(pip["context"]).splitlines()[0]
    assert first.startswith({"de_DE.UTF-8": "Um Python", "fr_FR.UTF-8": "Pour installer", "C.UTF-8": "To install"}[lang])


def test_a_changed_marker_or_language_is_read_again(tmp_path: Path, locales: str | None) -> None:
    """The probe is cached; the marker's message is not: a distribution upgrade that rewrites the
    marker, or another LANG, shows the new message."""
    python = _machine("debian-localized", tmp_path)
    env = env_for(python, LANG="C.UTF-8")
    first, _ = doctor(python, tmp_path, env)
    assert str(first["managed"]["message"]).startswith("To install")  # type: ignore[index]
    marker = python.parent.parent / "lib" / "python3.12" / "EXTERNALLY-MANAGED"
    marker.write_bytes(b"[externally-managed]\nError=Upgraded: use a venv.\n")
    again, _ = doctor(python, tmp_path, env)
    assert again["managed"]["message"] == "Upgraded: use a venv."  # type: ignore[index]
    if locales is not None:
        marker.write_bytes(b"[externally-managed]\nError=english\nError-de=deutsch\n")
        doctor(python, tmp_path, env)
        german, _ = doctor(python, tmp_path, env_for(python, LANG="de_DE.UTF-8", LOCPATH=locales))
        assert german["managed"]["message"] == "deutsch"  # type: ignore[index]


@pytest.mark.parametrize("name", ["uv", "gentoo", "opensuse", "alpine"])
def test_installs_go_to_a_venv_made_from_it_and_it_stays_untouched(name: str, tmp_path: Path) -> None:
    """uv's Pythons (and every managed one): environments are created from them, never installed into."""
    python = _machine(name, tmp_path)
    house = tmp_path / "house"
    make_wheel(house, "lib-a", "1.0")
    project = make_project(tmp_path / "project")
    site = python.parent.parent / "lib" / "python3.12" / "site-packages"
    # (the byte code of openSUSE's emulating sitecustomize.py is the interpreter's own doing)
    before = sorted(p.name for p in site.iterdir() if p.name != "__pycache__")
    done = run_safepip("install", *offline(house), "lib-a", cwd=project, env=env_for(python))
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(project / ".venv")
    cfg = (project / ".venv" / "pyvenv.cfg").read_text()
    assert f"home = {python.parent}" in cfg.splitlines()
    assert sorted(p.name for p in site.iterdir() if p.name != "__pycache__") == before


def test_homebrew_pip_conf_as_its_message_suggests(tmp_path: Path, hermetic: dict[str, str]) -> None:
    """Homebrew's text tells users to put ``break-system-packages = true`` and ``user = true`` in
    pip.conf: that is their explicit choice (pip as asked, with a warning); ``user = true`` alone
    never sends a redirected install into the user site."""
    python = _machine("homebrew", tmp_path)
    project = make_project(tmp_path / "project")
    conf = Path(hermetic["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[global]\nbreak-system-packages = true\nuser = true\n")
    env = env_for(python)
    both = json.loads(run_safepip("explain", "--json", "install", "lib-a", cwd=project, env=env).stdout)
    assert both["decision"] == "passthrough"
    assert any("break-system-packages" in w and str(python) in w for w in both["warnings"]), (both["why"], both["warnings"])
    conf.write_text("[global]\nuser = true\n")
    house = tmp_path / "house"
    make_wheel(house, "lib-a", "1.0")
    done = run_safepip("install", *offline(house), "lib-a", cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(project / ".venv")
    assert not any(Path(hermetic["HOME"]).rglob("lib_a*"))  # nothing in the user site


def test_rpi_os_extra_index_is_honoured_in_the_redirect(tmp_path: Path, hermetic: dict[str, str]) -> None:
    """Raspberry Pi OS ships a machine-wide pip.conf with an extra index (piwheels): the project
    environment's pip reads it too."""
    python = _machine("rpi-os", tmp_path)
    piwheels = tmp_path / "piwheels"
    make_wheel(piwheels, "only-on-piwheels", "1.0")
    machine_conf = Path(hermetic["XDG_CONFIG_DIRS"]) / "pip" / "pip.conf"
    machine_conf.parent.mkdir(parents=True)
    machine_conf.write_text(f"[global]\nfind-links = {piwheels}\nno-index = true\n")
    project = make_project(tmp_path / "project")
    done = run_safepip("install", "only-on-piwheels", cwd=project, env=env_for(python))
    assert done.returncode == 0, done.stderr
    assert "only-on-piwheels" in installed(project / ".venv")


@pytest.mark.network
def test_pip_26_reads_every_marker_as_safepip_does(tmp_path: Path) -> None:
    """The same comparison with pip 26.3 itself, fetched once from PyPI."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("gen_pipoptions", ROOT / "tools" / "gen_pipoptions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_pipoptions"] = module
    spec.loader.exec_module(module)
    wheel = str(module.wheel(PIP_VERSION, Path(os.environ.get("SAFEPIP_TEST_PIPS") or ROOT / ".tools" / "pips")))
    for layout in LAYOUTS:
        python = emulate(layout, tmp_path / layout.name)
        env = env_for(python, LANG="C.UTF-8")
        pip = pip_says(python, env, wheel)
        assert pip["pip"] == PIP_VERSION
        data, shown = doctor(python, tmp_path, env)
        assert data["managed"]["managed"] is pip["managed"] is layout.managed  # type: ignore[index]
        if layout.managed:
            assert data["managed"]["message"] == pip["context"], layout.name  # type: ignore[index]
            assert shown == pip["lines"], layout.name


@pytest.mark.parametrize("ci", [None, "true"])
def test_msys2_under_ci_is_redirected_as_anywhere(ci: str | None, tmp_path: Path) -> None:
    """MSYS2 patches its pip to only warn about its marker when ``CI`` is set (and to refuse
    otherwise): with ``CI=true`` MSYS2's pip would install into the MSYS2 Python. safepip does not
    copy that patch: the marker says who manages that Python, so a CI job's install goes to the
    project's environment as a developer's does (``--break-system-packages``, which MSYS2's warning
    names, stays the explicit way into the MSYS2 Python)."""
    python = _machine("msys2-mingw", tmp_path)
    house = tmp_path / "house"
    make_wheel(house, "lib-a", "1.0")
    project = make_project(tmp_path / "project")
    env = env_for(python)
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    # The pip here is upstream pip: it refuses whether CI is set or not (MSYS2's patch is not in it).
    assert pip_says(python, env)["managed"] is True
    plan = json.loads(run_safepip("explain", "--json", "install", "lib-a", cwd=project, env=env).stdout)
    assert plan["decision"] == "project-venv", plan["why"]
    site = python.parent.parent / "lib" / "python3.12" / "site-packages"
    done = run_safepip("install", *offline(house), "lib-a", cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert "lib-a" in installed(project / ".venv")
    assert [p.name for p in site.iterdir() if p.name != "__pycache__"] == []
    chosen = json.loads(run_safepip("explain", "--json", "install", "--break-system-packages", "lib-a", cwd=project,
                                    env=env).stdout)
    assert chosen["decision"] == "passthrough", chosen["why"]


def _read_only_store(where: Path, marked: bool) -> Path:
    """A copy of pyenv's CPython 3.12 as a nixpkgs store path (its marker as the corpus writes it,
    or none), made read-only as the Nix store is; returns its ``bin/python3``. A real copy, not
    links: pyenv's tree is root's (unreadable to another user), and a chmod of a hard link would
    change pyenv's own files."""
    import shutil

    source = pyenv_python()
    assert source is not None
    store = where / "nix" / "store" / "0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-python3-3.12.1"
    (store / "bin").mkdir(parents=True)
    shutil.copy2(source / "bin" / "python3.12", store / "bin" / "python3.12")
    (store / "bin" / "python3").symlink_to("python3.12")
    (store / "lib").mkdir()
    shutil.copy2(source / "lib" / "libpython3.12.so.1.0", store / "lib" / "libpython3.12.so.1.0")
    skip = shutil.ignore_patterns("test", "idlelib", "tkinter", "turtledemo", "__pycache__", "site-packages",
                                  "EXTERNALLY-MANAGED")
    shutil.copytree(source / "lib" / "python3.12", store / "lib" / "python3.12", ignore=skip, symlinks=True)
    (store / "lib" / "python3.12" / "site-packages").mkdir()
    for data in (store / "lib" / "python3.12").glob("_sysconfigdata_*.py"):
        # The build's own paths (LIBDIR: virtualenv looks for libpython there) point into the store, as Nix's do.
        data.write_text(data.read_text().replace(str(source), str(store)))
    marker = _layout("nixos").marker
    if marked and marker is not None:
        (store / "lib" / "python3.12" / "EXTERNALLY-MANAGED").write_bytes(marker)
    for path in [store, *store.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o555 if path.is_dir() or os.access(path, os.X_OK) else 0o444)
    return store / "bin" / "python3"


def _tree(top: Path) -> dict[str, tuple[int, int, int]]:
    return {str(p): (p.lstat().st_mode, p.lstat().st_size, p.lstat().st_mtime_ns) for p in [top, *top.rglob("*")]}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="plays an ordinary user (a real second user): root ignores the store's modes")
@pytest.mark.parametrize("marked", [True, False], ids=["marked", "unmarked"])
def test_nixos_read_only_store_is_never_written(marked: bool, traversable: Path, other_user: tuple[str, int, int],
                                                pyz: Path) -> None:
    """A nixpkgs interpreter whose store path is read-only, with its marker (no install hint) or
    without one: run by an ordinary user (safepip.pyz run by that interpreter itself), safepip
    writes nothing there; the project's environment is made from it (``policy = "always"`` for the
    unmarked one, which is otherwise pip's own business)."""
    import shutil

    from users import give

    python = _read_only_store(traversable / "machine", marked)
    store = python.parent.parent
    home = traversable / "home"
    project = make_project(home / "project")
    give(home, other_user)
    house = traversable / "house"
    make_wheel(house, "lib-a", "1.0")
    shutil.copy(pyz, traversable / "safepip.pyz")
    for path in [house, *house.rglob("*"), traversable / "safepip.pyz"]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    before = _tree(store)
    env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "LD_LIBRARY_PATH": str(store / "lib"), **({} if marked else {"SAFEPIP_POLICY": "always"})}

    def as_them(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), str(traversable / "safepip.pyz"), *args], cwd=project, env=env,
                              user=other_user[1], group=other_user[2], extra_groups=[], capture_output=True,
                              text=True, timeout=300, check=False)

    done = as_them("install", *offline(house), "lib-a")
    assert done.returncode == 0, done.stderr
    cfg = (project / ".venv" / "pyvenv.cfg").read_text()
    assert f"home = {python.parent}" in cfg.splitlines()
    assert any((project / ".venv" / "lib" / "python3.12" / "site-packages").glob("lib_a-1.0.dist-info"))
    doctor = as_them("doctor", "--json")
    assert doctor.returncode in (0, 1), doctor.stderr
    assert json.loads(doctor.stdout)["managed"]["managed"] is marked
    after = _tree(store)  # before anything runs as root here, which would write byte code into the store
    assert [p for p in before.keys() | after.keys() if before.get(p) != after.get(p)] == []
