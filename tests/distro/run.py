"""safepip.pyz end to end in a minimal Debian: ``nox -s distro -- trixie`` runs this (as root).

For each suite and each variant (``bare``: python3 alone, as a fresh Debian has it; ``pip``:
python3-pip and python3-venv added; ``pipx``: Debian's own pipx added too, 1.1.0 on Debian 12) it

1. makes the base root file system once, with ``debootstrap --variant=minbase``, from the
   mirror the host's own apt sources name (read here, at run time), into
   ``.cache/distro/<suite>-<variant>/``: built in a temporary directory and renamed when done,
   so a killed build leaves nothing that looks complete; the .deb files are kept in
   ``.cache/distro/debs/`` for the other variant and for rebuilds;
2. runs tests/distro/e2e.py in the chroot: the base stays pristine under an overlay whose
   upper layer is thrown away afterwards, in a private mount namespace (``unshare --mount``:
   /proc, /dev and the overlay are mounted there, so nothing is left mounted on the host) and
   a network namespace of its own (``--net``: the chroot has no network, pip reads the wheels
   copied in);
3. checks, from outside, that the run wrote nothing into the chroot's /usr or /opt (the
   overlay's upper layer holds every file the run wrote), byte code caches aside;
4. with ``--deb``, for the bare base, does it all again in a fresh overlay with safepip from the Debian package:
   e2e.py installs it with ``apt install ./safepip_*.deb`` first and removes it and its
   dependencies last, which must leave nothing (the dependencies, Debian's own packages, are
   fetched before the run).

Usage: python tests/distro/run.py --pyz safepip.pyz [--deb safepip_V_all.deb] [--cache DIR] [--variants bare,pip,pipx] SUITE...
The last line says which suites passed; the exit code is 1 when any check failed, 69 when
this machine cannot run it (not root, no debootstrap).
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from wheels import make_wheel  # noqa: E402 - the suite's own wheel maker

#: The packages each variant adds to debootstrap's minbase.
VARIANTS = {"bare": ["python3"], "pip": ["python3", "python3-pip", "python3-venv"],
            "pipx": ["python3", "python3-pip", "python3-venv", "pipx"]}
#: Written into a base when debootstrap has finished; a base without it is rebuilt.
COMPLETE = ".safepip-distro-complete"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Runs in the private mount (and network) namespace: the overlay, /proc and /dev exist only there.
INSIDE = r"""
set -eu
base=$1 upper=$2 work=$3 root=$4 payload=$5
shift 5
mount -t overlay overlay -o "lowerdir=$base,upperdir=$upper,workdir=$work" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mkdir "$root/srv/e2e"
cp -R "$payload/." "$root/srv/e2e/"
exec chroot "$root" /usr/bin/env -i PATH="$PATH_IN" HOME=/root LANG=C.UTF-8 TERM=dumb \
    /usr/bin/python3 -I /srv/e2e/tests/distro/e2e.py "$@"
"""

# The Debian package's route, before the run (with the network, in a private mount namespace): apt's
# lists and the package's dependencies are fetched into the overlay, so the run (without network)
# installs it with ``apt install ./safepip_*.deb`` as a user would, resolving from those lists.
PREFETCH = r"""
set -eu
base=$1 upper=$2 work=$3 root=$4 deb=$5
mount -t overlay overlay -o "lowerdir=$base,upperdir=$upper,workdir=$work" "$root"
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/"
apt() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    apt-get -q -o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false "$@"; }
apt update >/dev/null
apt install -y --download-only "/tmp/${deb##*/}" >/dev/null
rm "$root/tmp/${deb##*/}"
"""

# Adds packages to a copy of the bare base (in a private mount namespace: /proc only there).
# Recommends stay out, as with debootstrap's --include; the package lists are not kept.
APT_INSTALL = r"""
set -eu
root=$1
shift
mount -t proc proc "$root/proc"
apt() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    apt-get -q -o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false "$@"; }
apt update
apt install -y "$@"
apt clean
rm -rf "$root"/var/lib/apt/lists/*
"""


class Unavailable(Exception):
    """This machine cannot run the distro checks (exit 69)."""


def _stanzas(text: str) -> list[dict[str, str]]:
    """deb822 paragraphs (apt's .sources files): field names lower-cased, continuations joined."""
    found: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                found.append(current)
            current, last = {}, ""
        elif line[0] in " \t" and last:
            current[last] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            last = key.strip().lower()
            current[last] = value.strip()
    return found


def _plain_suite(suites: list[str]) -> bool:
    """Whether a source serves a release itself (``bookworm``), not updates or security."""
    return any("-" not in s and "/" not in s for s in suites)


def host_mirror() -> tuple[str, str | None]:
    """The Debian mirror the host's apt uses (its URI, and the keyring it is signed with, if named).

    ``SAFEPIP_DISTRO_MIRROR`` overrides it. Read at run time: no host name lives in the repository.
    """
    override = os.environ.get("SAFEPIP_DISTRO_MIRROR")
    if override:
        return override, None
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in _stanzas(Path(path).read_text(encoding="utf-8", errors="replace")):
            if stanza.get("enabled", "yes").lower() == "no" or "deb" not in stanza.get("types", "").split():
                continue
            uris = stanza.get("uris", "").split()
            if uris and _plain_suite(stanza.get("suites", "").split()):
                keyring = stanza.get("signed-by")
                return uris[0], keyring if keyring and os.path.isfile(keyring) else None
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if not os.path.isfile(path):
            continue
        for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
            words = line.split("#", 1)[0].split()
            if words[:1] != ["deb"]:
                continue
            words = words[1:]
            if words and words[0].startswith("["):
                while words and not words[0].endswith("]"):
                    words.pop(0)
                words = words[1:]
            if len(words) >= 2 and _plain_suite([words[1]]):
                return words[0], None
    raise Unavailable("no Debian mirror in the host's apt sources (/etc/apt/sources.list.d/*.sources, "
                      "/etc/apt/sources.list); set SAFEPIP_DISTRO_MIRROR to one")


def _mount_points() -> list[str]:
    points: list[str] = []
    with open("/proc/self/mountinfo", encoding="utf-8") as info:
        for line in info:
            raw = line.split()[4]
            points.append(raw.encode().decode("unicode_escape"))
    return points


def remove(path: Path) -> None:
    """Delete a directory this script made; never one with anything mounted below it."""
    inside = [p for p in _mount_points() if p == str(path) or p.startswith(f"{path}/")]
    if inside:
        raise Unavailable(f"{path} has mounts below it ({', '.join(inside)}); unmount them, then run again")
    shutil.rmtree(path)


def ensure_base(cache: Path, suite: str, variant: str, mirror: tuple[str, str | None]) -> tuple[Path, float | None]:
    """The cached base for ``suite``/``variant``, built if missing or incomplete; and the build's seconds."""
    final = cache / f"{suite}-{variant}"
    if (final / COMPLETE).is_file():
        return final, None
    if final.exists():
        print(f"distro: {final} is incomplete: building it again", flush=True)
        remove(final)
    for stale in cache.glob(f".build-{suite}-{variant}-*"):
        remove(stale)
    start = time.monotonic()
    if variant == "bare":
        building = Path(tempfile.mkdtemp(prefix=f".build-{suite}-{variant}-", dir=cache))
        debs = cache / "debs"
        debs.mkdir(parents=True, exist_ok=True)
        uri, keyring = mirror
        argv = ["unshare", "--mount", "--propagation", "private", "debootstrap", "--variant=minbase",
                f"--include={','.join(VARIANTS[variant])}", f"--cache-dir={debs}",
                *([f"--keyring={keyring}"] if keyring else []), suite, str(building), uri]
        _build(argv, building, cache / f"{suite}-{variant}.log", f"debootstrap of {suite}/{variant}")
    else:
        # The bare base and apt: much faster than a second debootstrap (dpkg of a dozen packages,
        # not of the whole system). Debian's packages are the only network the chroot sees.
        bare, _ = ensure_base(cache, suite, "bare", mirror)
        building = Path(tempfile.mkdtemp(prefix=f".build-{suite}-{variant}-", dir=cache))
        subprocess.run(["cp", "-a", "--reflink=auto", f"{bare}/.", str(building)], check=True)
        (building / COMPLETE).unlink()
        extra = [p for p in VARIANTS[variant] if p not in VARIANTS["bare"]]
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", APT_INSTALL, "sh", str(building), *extra]
        _build(argv, building, cache / f"{suite}-{variant}.log", f"apt-get install {' '.join(extra)} in {suite}")
    took = time.monotonic() - start
    (building / COMPLETE).write_text(" ".join(VARIANTS[variant]) + "\n", encoding="utf-8")
    building.chmod(0o755)  # mkdtemp's 0700 would become the chroot's / and lock its users out
    os.rename(building, final)
    return final, took


def _build(argv: list[str], building: Path, log: Path, what: str) -> None:
    print(f"distro: {what} (log: {log})", flush=True)
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        print("\n".join(f"  {line}" for line in tail))
        remove(building)
        raise Unavailable(f"{what} failed (exit code {done.returncode}); see {log}")


def make_payload(directory: Path, pyz: Path, deb: Path | None = None) -> Path:
    """What goes into the chroot's /srv/e2e: the archive, the Debian package, the wheels, the scripts, the schemas."""
    (directory / "tests" / "distro").mkdir(parents=True)
    (directory / "docs").mkdir()
    shutil.copy(pyz, directory / "safepip.pyz")
    if deb is not None:
        shutil.copy(deb, directory / deb.name)
    shutil.copy(ROOT / "tests" / "distro" / "e2e.py", directory / "tests" / "distro" / "e2e.py")
    shutil.copy(ROOT / "tests" / "jsonshape.py", directory / "tests" / "jsonshape.py")
    shutil.copy(ROOT / "docs" / "commands.md", directory / "docs" / "commands.md")
    wheels = directory / "wheels"
    make_wheel(wheels, "e2e-lib", "1.0")
    make_wheel(wheels, "e2e-dep", "1.0", requires=["e2e-lib>=1.0"])
    make_wheel(wheels, "e2e-app", "1.0", scripts={"e2e-app": "e2e_app:main"})
    # A library whose command is not named after it (numpy's f2py): per-user environment, command on PATH.
    make_wheel(wheels, "e2e-tool", "1.0", scripts={"e2e-f2py": "e2e_tool:main"})
    for root, dirs, files in os.walk(directory):
        for name in (*dirs, *files):
            os.chmod(os.path.join(root, name), 0o755 if name in dirs else 0o644)
    directory.chmod(0o755)
    return directory


def system_writes(upper: Path) -> list[str]:
    """Files the run wrote (or deleted: overlay whiteouts) under the chroot's /usr and /opt."""
    found: list[str] = []
    for top in ("usr", "opt"):
        for root, dirs, files in os.walk(upper / top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            found.extend("/" + os.path.relpath(os.path.join(root, f), upper) for f in files)
    return sorted(found)


def run_e2e(cache: Path, base: Path, payload: Path, suite: str, variant: str, deb: Path | None = None) -> bool:
    """tests/distro/e2e.py in a throwaway overlay of ``base``; True when every check passed.

    With ``deb``, the checks run safepip from the Debian package, which e2e.py installs first with
    ``apt install ./safepip_*.deb`` (its dependencies fetched beforehand: PREFETCH) and removes last.
    """
    for path in (base, payload):
        if any(c in str(path) for c in ",:\\"):
            raise Unavailable(f"{path}: overlayfs cannot take a path with ',', ':' or '\\'")
    scratch = Path(tempfile.mkdtemp(prefix=f".run-{suite}-{variant}-", dir=cache))
    try:
        upper, work, root = scratch / "upper", scratch / "work", scratch / "root"
        for d in (upper, work, root):
            d.mkdir()
        if deb is not None:
            fetch = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", PREFETCH, "sh",
                                    str(base), str(upper), str(work), str(root), str(deb)], check=False)
            if fetch.returncode != 0:
                print(f"FAIL apt could not fetch the Debian package's dependencies in {suite} (exit code "
                      f"{fetch.returncode})")
                return False
        argv = ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", INSIDE, "sh",
                str(base), str(upper), str(work), str(root), str(payload), variant, suite,
                *(["deb"] if deb is not None else [])]
        sys.stdout.flush()
        done = subprocess.run(argv, env={**os.environ, "PATH_IN": PATH}, check=False)
        writes = system_writes(upper)
        if writes:
            print(f"FAIL the run wrote into the chroot's system directories: {', '.join(writes[:20])}")
        else:
            print("ok   nothing was written into the chroot's /usr or /opt (seen from outside)")
        return done.returncode == 0 and not writes
    finally:
        remove(scratch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", default=["bookworm", "trixie"], help="Debian suites (default: both)")
    parser.add_argument("--pyz", required=True, type=Path, help="the safepip.pyz to test")
    parser.add_argument("--deb", type=Path, help="the safepip_*_all.deb to install with apt in each chroot")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("SAFEPIP_DISTRO_CACHE", ROOT / ".cache" / "distro")),
                        help="where the bases are kept (default: .cache/distro, or SAFEPIP_DISTRO_CACHE)")
    parser.add_argument("--variants", default="bare,pip,pipx", help="which bases: bare, pip, pipx (default: all)")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        parser.error(f"--variants: choose from {', '.join(VARIANTS)}")
    # debootstrap and chroot live in /usr/sbin, which a non-login PATH may lack.
    entries = os.environ.get("PATH", "").split(os.pathsep)
    os.environ["PATH"] = os.pathsep.join([*entries, *(d for d in ("/usr/sbin", "/sbin") if d not in entries)])
    try:
        if os.geteuid() != 0:
            raise Unavailable("needs root (debootstrap, chroot and mount namespaces)")
        missing = [t for t in ("debootstrap", "unshare", "chroot") if shutil.which(t) is None]
        if missing:
            raise Unavailable(f"{', '.join(missing)} not found; on Debian: apt-get install {' '.join(missing)}")
        cache = args.cache.resolve()
        cache.mkdir(parents=True, exist_ok=True)
        mirror = host_mirror()
        results: dict[str, bool] = {}
        with tempfile.TemporaryDirectory(prefix="safepip-distro-") as tmp:
            payload = make_payload(Path(tmp) / "payload", args.pyz.resolve(), args.deb.resolve() if args.deb else None)
            for suite in args.suites:
                for variant in variants:
                    base, built = ensure_base(cache, suite, variant, mirror)
                    print(f"distro: {suite}/{variant}: base " + (f"built in {built:.0f} s" if built is not None
                                                                  else "from the cache"), flush=True)
                    # safepip.pyz, then the Debian package (each in a fresh overlay of the base). The
                    # package brings what it needs (python3-venv, Debian's pipx): one run from the
                    # bare base, as a fresh Debian installs it, is that route's case.
                    packaged = [payload / args.deb.name] if args.deb and variant == "bare" else []
                    for deb in [None, *packaged]:
                        start = time.monotonic()
                        ok = run_e2e(cache, base, payload, suite, variant, deb)
                        label = f"{suite}/{variant}" + (" (the .deb)" if deb else "")
                        print(f"distro: {label} {'passed' if ok else 'FAILED'} in {time.monotonic() - start:.0f} s",
                              flush=True)
                        results[suite] = results.get(suite, True) and ok
    except Unavailable as exc:
        print(f"distro: error: {exc}", file=sys.stderr)
        return 69
    print("distro: " + ", ".join(f"{s} {'passed' if ok else 'FAILED'}" for s, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
