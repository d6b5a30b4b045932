"""Build dist/safepip.pyz: safepip and its dependencies in one file, runnable with only the stdlib.

The inputs are the source tree and a directory of wheels (the dependencies); the output is
the same bytes for the same inputs: entries sorted, fixed timestamps and permissions, and
byte code (for the building interpreter's version only) compiled with a fixed hash seed as
PEP 552 hash-based .pyc files. The inputs are therefore: the source, the wheels, and the
building Python's version. Which wheels go in follows ``[project].dependencies`` in pyproject.toml (with their
own dependencies, markers evaluated for the oldest Python the archive supports), except pip,
which cannot run from inside a zip: the archive carries the newest pip wheel as a file,
``safepip/_wheels/pip-*.whl`` (from ``<wheels>/seed``), that new environments are seeded with
and that runs as safepip's own pip (``safepip.venv.seedpip``, ``safepip.venv.ownpip``); virtualenv's
embedded pip wheels serve the Pythons that one does not support.

Where the wheels come from:

* ``--fetch``: ``pip download`` them from the index, resolved for the oldest supported Python
  (``requires-python`` in pyproject.toml). ``nox -s zipapp`` does this: the release build.
* ``--from-installed``: repack the distributions installed beside this script's interpreter
  into wheels (their RECORD hashes are checked first). Offline; the archive then supports
  this interpreter's version and newer. The test suite does this.

Usage: python tools/build_zipapp.py (--fetch | --from-installed | --wheels-only) [--wheels DIR]
       [--floor X.Y] [-o dist/safepip.pyz]
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Iterable, Iterator

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
#: Not bundled as a package: the archive carries pip as a wheel file (SEED_DIR) instead.
EXCLUDED = {"pip"}
#: Under the wheel directory: the pip wheel the archive carries as a file.
SEED_DIR = "seed"
#: Every entry gets this timestamp (the zip format's earliest), unless SOURCE_DATE_EPOCH says otherwise.
EPOCH = (1980, 1, 1, 0, 0, 0)
SHEBANG = b"#!/usr/bin/env python3\n"

MAIN = '''\
"""safepip.pyz: run safepip from this archive (built by tools/build_zipapp.py)."""
import sys

if sys.version_info < {floor!r}:
    sys.stderr.write(
        "safepip: error: this safepip.pyz needs Python {floor_text} or newer; %s is Python %d.%d\\n"
        % (sys.executable, sys.version_info[0], sys.version_info[1])
    )
    raise SystemExit(69)

from safepip.cli import main

raise SystemExit(main())
'''


class BuildError(Exception):
    """The inputs cannot make an archive (a missing or unusable wheel)."""


class MissingWheel(BuildError):
    """No wheel for a requirement the archive needs."""

    def __init__(self, message: str, requirement: Requirement) -> None:
        super().__init__(message)
        self.requirement = requirement


@dataclass(frozen=True)
class Wheel:
    """One input wheel: its name, version, metadata and path."""

    name: str
    version: Version
    path: Path
    requires: tuple[Requirement, ...]
    requires_python: SpecifierSet


def _project() -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    assert isinstance(project, dict)
    return project


def floor_of(project: dict[str, object]) -> tuple[int, int]:
    """The oldest Python ``requires-python`` admits, as (major, minor)."""
    match = re.search(r">=\s*(\d+)\.(\d+)", str(project.get("requires-python", "")))
    if not match:
        raise BuildError("pyproject.toml: requires-python must give a lower bound (>=3.X)")
    return int(match.group(1)), int(match.group(2))


def top_requirements(project: dict[str, object]) -> list[Requirement]:
    """pyproject's dependencies, without the excluded ones."""
    deps = project.get("dependencies", [])
    assert isinstance(deps, list)
    reqs = [Requirement(str(d)) for d in deps]
    return [r for r in reqs if canonicalize_name(r.name) not in EXCLUDED]


def marker_env(floor: tuple[int, int]) -> dict[str, str]:
    env = dict(default_environment())
    env.update(python_version=f"{floor[0]}.{floor[1]}", python_full_version=f"{floor[0]}.{floor[1]}.0")
    return env


def _read_wheel(path: Path) -> Wheel:
    name, version, _, tags = parse_wheel_filename(path.name)
    if not all(t.abi == "none" and t.platform == "any" for t in tags):
        raise BuildError(f"{path.name} is not a pure-Python wheel; the archive must run on any platform")
    with zipfile.ZipFile(path) as archive:
        meta_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        headers = HeaderParser().parsestr(archive.read(meta_name).decode("utf-8"))
    return Wheel(
        name=str(name),
        version=version,
        path=path,
        requires=tuple(Requirement(r) for r in headers.get_all("Requires-Dist") or []),
        requires_python=SpecifierSet(headers.get("Requires-Python") or ""),
    )


def select(wheel_dir: Path, reqs: Iterable[Requirement], floor: tuple[int, int]) -> list[Wheel]:
    """The wheels the requirements need, transitively, for Python ``floor``; checked for versions."""
    available: dict[str, Wheel] = {}
    for path in sorted(wheel_dir.glob("*.whl")):
        wheel = _read_wheel(path)
        if wheel.name in available:
            raise BuildError(f"{wheel_dir} holds two wheels of {wheel.name}; keep one")
        available[wheel.name] = wheel
    env = marker_env(floor)
    floor_version = f"{floor[0]}.{floor[1]}"
    chosen: dict[str, Wheel] = {}
    pending = [(r, "pyproject.toml") for r in reqs]
    while pending:
        req, wanted_by = pending.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name in EXCLUDED:
            continue
        wheel = available.get(name)
        if wheel is None:
            raise MissingWheel(f"no wheel of {req.name} in {wheel_dir} (needed by {wanted_by})", req)
        if not req.specifier.contains(wheel.version, prereleases=True):
            raise BuildError(f"{wheel.path.name} does not satisfy {req} (needed by {wanted_by})")
        if not wheel.requires_python.contains(floor_version, prereleases=True):
            raise BuildError(
                f"{wheel.path.name} needs Python {wheel.requires_python}; the archive supports {floor_version}+"
            )
        if name not in chosen:
            chosen[name] = wheel
            pending.extend((r, f"{wheel.name} {wheel.version}") for r in wheel.requires)
    return sorted(chosen.values(), key=lambda w: w.name)


def _wheel_members(wheel: Wheel) -> Iterator[tuple[str, bytes]]:
    """The files a wheel puts into site-packages, with their archive names."""
    with zipfile.ZipFile(wheel.path) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or name.endswith(".pyc") or "/__pycache__/" in f"/{name}":
                continue
            top, _, rest = name.partition("/")
            if top.endswith(".data"):
                kind, _, inner = rest.partition("/")
                if kind not in ("purelib", "platlib"):
                    continue  # scripts, headers, data: nothing an importer reads
                name = inner
            yield name, archive.read(info)


def seed_wheel(wheel_dir: Path) -> Path | None:
    """The newest pip wheel in ``<wheel_dir>/seed``, if any."""
    found = [(parse_wheel_filename(p.name)[1], p) for p in (wheel_dir / SEED_DIR).glob("pip-*.whl")]
    return max(found)[1] if found else None


def _safepip_files(
    version: str, wheels: list[Wheel], floor: tuple[int, int], seed: Path | None
) -> Iterator[tuple[str, bytes]]:
    src = ROOT / "src" / "safepip"
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield f"safepip/{path.relative_to(src).as_posix()}", path.read_bytes()
    if seed is not None:
        yield f"safepip/_wheels/{seed.name}", seed.read_bytes()
    bundle = {
        "floor": list(floor),
        "bundled": {w.name: str(w.version) for w in wheels},
        "seed_pip": str(parse_wheel_filename(seed.name)[1]) if seed is not None else None,
    }
    yield "safepip/_bundle.json", (json.dumps(bundle, indent=1, sort_keys=True) + "\n").encode()
    info = f"safepip-{version}.dist-info"
    meta = [
        "Metadata-Version: 2.1",
        "Name: safepip",
        f"Version: {version}",
        f"Requires-Python: >={floor[0]}.{floor[1]}",
    ]
    meta += [f"Requires-Dist: {w.name}=={w.version}" for w in wheels]
    yield f"{info}/METADATA", ("\n".join(meta) + "\n").encode()
    yield f"{info}/entry_points.txt", b"[console_scripts]\nsafepip = safepip.cli:main\n"


def _version() -> str:
    text = (ROOT / "src" / "safepip" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if not match:
        raise BuildError("src/safepip/__init__.py: no __version__")
    return match.group(1)


def _date_time() -> tuple[int, int, int, int, int, int]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return EPOCH
    import time

    stamp = time.gmtime(max(int(epoch), 315532800))  # the zip format starts in 1980
    return (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec)


def _entry(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.create_system = 3  # Unix, so that the permission bits below are read
    if name.endswith("/"):
        info.external_attr = (0o40755 << 16) | 0x10
    else:
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
    return info


_COMPILER = """
import importlib.util, json, marshal, sys
sources = json.load(sys.stdin)
out = {}
for name, text in sources.items():
    try:
        code = compile(text, name, "exec", dont_inherit=True)
    except SyntaxError:
        continue  # a module meant for another Python version: it stays source only
    # PEP 552 unchecked hash-based pyc: no timestamp; the archive never changes under it.
    source_hash = importlib.util.source_hash(text.encode("utf-8", "surrogateescape"))
    data = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + source_hash + marshal.dumps(code)
    out[name] = data.hex()
json.dump(out, sys.stdout)
"""


def compile_all(files: dict[str, bytes]) -> dict[str, bytes]:
    """Byte code for every module, beside its source (where zipimport looks), made by this
    interpreter with a fixed hash seed so that the bytes are reproducible. Other Python
    versions see a foreign magic number and read the source instead."""
    sources = {n: d.decode("utf-8", "surrogateescape") for n, d in files.items() if n.endswith(".py")}
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-I", "-c", _COMPILER],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return {name + "c": bytes.fromhex(data) for name, data in json.loads(done.stdout).items()}


def build(
    wheel_dir: Path, output: Path, floor: tuple[int, int] | None = None, *, byte_code: bool = True
) -> list[Wheel]:
    """Write the archive to ``output`` from the wheels in ``wheel_dir``; return the wheels used."""
    project = _project()
    floor = floor or floor_of(project)
    wheels = select(wheel_dir, top_requirements(project), floor)
    files: dict[str, bytes] = {}
    sources = [
        *((w.path.name, _wheel_members(w)) for w in wheels),
        ("src/safepip", _safepip_files(_version(), wheels, floor, seed_wheel(wheel_dir))),
    ]
    for origin, members in sources:
        for name, data in members:
            if name in files and files[name] != data:
                raise BuildError(f"{origin} and another input both provide {name}")
            files[name] = data
    files["__main__.py"] = MAIN.format(floor=floor, floor_text=f"{floor[0]}.{floor[1]}").encode()
    if byte_code:
        files.update(compile_all({n: d for n, d in files.items() if n != "__main__.py"}))
    dirs = {name.rsplit("/", i)[0] + "/" for name in files for i in range(1, name.count("/") + 1)}
    when = _date_time()
    buffer = io.BytesIO()
    buffer.write(SHEBANG)
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted({*files, *dirs}):
            archive.writestr(_entry(name, when), files.get(name, b""), compresslevel=9)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.chmod(0o755)
    os.replace(tmp, output)
    return wheels


def fetch(wheel_dir: Path) -> None:
    """Download the dependencies' wheels for the oldest supported Python (needs the index)."""
    project = _project()
    floor = floor_of(project)
    env = marker_env(floor)
    top = top_requirements(project)
    reqs = [r for r in top if r.marker is None or r.marker.evaluate({**env, "extra": ""})]
    wheel_dir.mkdir(parents=True, exist_ok=True)
    for old in wheel_dir.glob("*.whl"):
        old.unlink()  # a wheel left from an earlier fetch would be a second version of its project
    for _ in range(50):
        for req in reqs:
            req.marker = None  # pip judges markers for the interpreter it runs in, not for the floor
        argv = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary=:all:",
            "--implementation",
            "py",
            "--abi",
            "none",
            "--platform",
            "any",
            "--python-version",
            f"{floor[0]}.{floor[1]}",
            "--dest",
            str(wheel_dir),
            *map(str, reqs),
        ]
        subprocess.run(argv, check=True)
        try:
            select(wheel_dir, top, floor)
            break
        except MissingWheel as missing:  # a dependency whose marker pip judged for its own Python
            reqs = [missing.requirement]
    else:
        raise BuildError("the wheels' dependencies did not settle after 50 downloads")
    seed = wheel_dir / SEED_DIR
    seed.mkdir(exist_ok=True)
    for old in seed.glob("*.whl"):
        old.unlink()
    # The newest pip (for the building Python): new environments get it wherever it runs.
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--dest", str(seed), "pip"], check=True)


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def repack_installed(wheel_dir: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Write the installed distributions the project needs (for this interpreter) back into wheels.

    Each file is checked against the distribution's RECORD, so a changed installation cannot
    slip into the archive. Files outside site-packages (scripts) are left out.
    """
    from importlib import metadata

    project = _project()
    floor = sys.version_info[:2]
    env = marker_env(floor)
    pending = [str(r) for r in top_requirements(project)] if names is None else list(names)
    seen: set[str] = set()
    written = []
    wheel_dir.mkdir(parents=True, exist_ok=True)
    for old in wheel_dir.glob("*.whl"):
        old.unlink()
    while pending:
        req = Requirement(pending.pop())
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name in seen or name in EXCLUDED:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            raise BuildError(f"{req.name} is not installed beside {sys.executable}") from None
        written.append(_repack(dist, wheel_dir))
        pending.extend(dist.requires or [])
    seed = wheel_dir / SEED_DIR
    seed.mkdir(exist_ok=True)
    for old in seed.glob("*.whl"):
        old.unlink()
    if names is None:
        try:
            written.append(_repack(metadata.distribution("pip"), seed))
        except metadata.PackageNotFoundError:
            pass
    return written


def _repack(dist: object, wheel_dir: Path) -> Path:
    from importlib import metadata

    assert isinstance(dist, metadata.Distribution)
    name = str(dist.metadata["Name"])
    version = dist.version
    base = Path(str(dist.locate_file("")))
    record_text = dist.read_text("RECORD")
    if record_text is None:
        raise BuildError(f"{name} {version} has no RECORD; reinstall it with pip")
    files: dict[str, bytes] = {}
    info_dir = ""
    for row in csv.reader(record_text.splitlines()):
        if not row:
            continue
        rel, digest = row[0], row[1] if len(row) > 1 else ""
        if rel.startswith("..") or rel.startswith("/") or rel.endswith(".pyc") or "__pycache__" in rel:
            continue
        top = rel.split("/", 1)[0]
        if top.endswith(".dist-info"):
            info_dir = top
            if rel.rsplit("/", 1)[-1] in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
                continue
        data = (base / rel).read_bytes()
        if digest and _record_hash(data) != digest:
            raise BuildError(f"{base / rel} differs from its RECORD: {name} {version} was changed after install")
        files[rel] = data
    if not info_dir:
        raise BuildError(f"{name} {version}: its RECORD lists no .dist-info directory")
    files[f"{info_dir}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: safepip-build-zipapp\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [f"{n},{_record_hash(d)},{len(d)}" for n, d in sorted(files.items())] + [f"{info_dir}/RECORD,,"]
    files[f"{info_dir}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = wheel_dir / f"{canonicalize_name(name).replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member in sorted(files):
            archive.writestr(_entry(member, EPOCH), files[member])
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--fetch", action="store_true", help="download the wheels (release build)")
    source.add_argument(
        "--from-installed", action="store_true", help="repack this interpreter's installed distributions"
    )
    source.add_argument("--wheels-only", action="store_true", help="use the wheels already in --wheels")
    parser.add_argument("--wheels", type=Path, default=ROOT / "build" / "zipapp-wheels", help="the wheel directory")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "dist" / "safepip.pyz")
    parser.add_argument("--no-byte-code", action="store_true", help="leave out the .pyc files (smaller, slower start)")
    parser.add_argument("--floor", help="the oldest Python to support, X.Y (default: requires-python)")
    args = parser.parse_args(argv)
    floor = tuple(int(p) for p in args.floor.split(".")[:2]) if args.floor else None
    try:
        if args.fetch:
            fetch(args.wheels)
        elif args.from_installed:
            repack_installed(args.wheels)
            floor = floor or (sys.version_info[0], sys.version_info[1])
        wheels = build(args.wheels, args.output, floor, byte_code=not args.no_byte_code)  # type: ignore[arg-type]
    except BuildError as exc:
        print(f"build_zipapp: {exc}", file=sys.stderr)
        return 65
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    print(f"{args.output}: {args.output.stat().st_size} bytes, sha256 {digest}")
    print("bundled: " + ", ".join(f"{w.name} {w.version}" for w in wheels))
    seed = seed_wheel(args.wheels)
    print(f"seed pip: {seed.name if seed else 'none (virtualenv embedded)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
