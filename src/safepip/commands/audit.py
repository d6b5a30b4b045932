"""``safepip audit``: pip-installed packages in a system Python, and what they shadow.

Before PEP 668 (and since, with ``--break-system-packages`` or ``sudo pip``) pip wrote into
the system's own site-packages. The audit lists, for the target interpreter's non-venv
site-packages directories (the user site first, as on ``sys.path``), the distributions whose
``INSTALLER`` says ``pip`` and that the distribution's package manager does not own (on
Debian and Ubuntu: ``dpkg -S``; elsewhere the INSTALLER file is the only evidence), with
the distribution-owned packages each one shadows or conflicts with (the same project name,
or the same top-level modules), and the commands that would move it out. It never changes
anything. Exit 0: nothing found; 1: something found.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from dataclasses import asdict, dataclass, field
from typing import Callable, Mapping, Sequence

from safepip.facts.installed import Dist, scan
from safepip.runner import capture

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from safepip.session import Session

#: path -> owning package(s), for the paths that have an owner; None: no package manager here.
Owners = Callable[[Sequence[str]], "dict[str, str] | None"]

@dataclass(frozen=True)
class Conflict:
    """A distribution-owned package a pip-installed one collides with."""

    relation: str  # "shadows", "is shadowed by", "overwrote files of"
    kind: str  # "same name" or "same modules"
    name: str
    version: str
    path: str
    owner: str | None
    modules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A pip-installed distribution no package manager owns, with its conflicts and the way out."""

    dist: Dist
    conflicts: tuple[Conflict, ...]
    commands: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())


def dpkg_owners(environ: Mapping[str, str]) -> Owners:
    """The Debian/Ubuntu ownership oracle: one ``dpkg -S`` for all paths (None without dpkg)."""

    def owners(paths: Sequence[str]) -> dict[str, str] | None:
        dpkg = shutil.which("dpkg", path=environ.get("PATH", os.defpath))
        if dpkg is None:
            return None
        if not paths:
            return {}
        env = {**environ, "LC_ALL": "C"}
        done = capture([dpkg, "-S", *paths], env)
        found: dict[str, str] = {}
        for line in done.stdout.splitlines():
            if line.startswith("diversion ") or ": " not in line:
                continue
            packages, _, path = line.rpartition(": ")
            found[path.strip()] = packages.strip()
        return found

    return owners


def audit(
    site_dirs: Sequence[str], owners: Owners, python: str, has_pip: bool, user_site: str | None = None
) -> list[Finding]:
    """The pip-installed, unowned distributions in ``site_dirs`` and what they collide with."""
    dists = scan(site_dirs)
    owned = owners([d.path for d in dists])
    dists = [Dist(**{**asdict(d), "owner": owned.get(d.path)}) if owned else d for d in dists]
    by_pip = [d for d in dists if (d.installer or "").lower() == "pip" and d.owner is None]
    if owned is None:  # no package manager to ask: what pip did not install is the distribution's
        system = [d for d in dists if (d.installer or "").lower() != "pip"]
    else:
        system = [d for d in dists if d.owner is not None]
    findings = []
    for dist in by_pip:
        conflicts = []
        for other in system:
            same_name = other.key == dist.key
            shared = tuple(sorted(set(dist.modules) & set(other.modules)))
            if not same_name and not shared:
                continue
            if other.site_dir == dist.site_dir:
                relation = "overwrote files of"
            elif dist.position < other.position:
                relation = "shadows"
            else:
                relation = "is shadowed by"
            kind = "same name" if same_name else "same modules"
            conflicts.append(Conflict(relation, kind, other.name, other.version, other.path, other.owner, shared))
        findings.append(Finding(dist, tuple(conflicts), _commands(dist, conflicts, python, has_pip, user_site)))
    return findings


def _commands(
    dist: Dist, conflicts: Sequence[Conflict], python: str, has_pip: bool, user_site: str | None
) -> tuple[str, ...]:
    spec = shlex.quote(f"{dist.name}=={dist.version}")
    lines = []
    if dist.scripts:
        lines.append(f"pipx install {spec}  # an application: its own environment")
    else:
        lines.append(f"safepip install {spec}  # in each project that uses it")
    sudo = "" if dist.site_dir == user_site or os.access(dist.site_dir, os.W_OK) else "sudo "
    pip = f"{shlex.quote(python)} -m pip" if has_pip else f"safepip --python {shlex.quote(python)}"
    lines.append(f"{sudo}{pip} uninstall --break-system-packages {shlex.quote(dist.name)}")
    for conflict in conflicts:
        if conflict.relation == "overwrote files of" and conflict.owner:
            lines.append(f"sudo apt-get install --reinstall {conflict.owner.split(',')[0].split(':')[0]}")
    return tuple(lines)


def render(python: str, site_dirs: Sequence[str], findings: Sequence[Finding], oracle: bool) -> str:
    """The human report."""
    from safepip.session import shortpath

    if not findings:
        checked = f"{len(site_dirs)} directories checked"
        return f"{python}: no pip-installed distributions outside virtual environments ({checked})\n"
    how = "INSTALLER says pip, dpkg does not own it" if oracle else "INSTALLER says pip (no package manager to ask)"
    out = [f"{python}: {len(findings)} distribution(s) installed by pip outside any virtual environment ({how}):", ""]
    for finding in findings:
        dist = finding.dist
        out.append(f"  {dist.name} {dist.version}  in {shortpath(dist.site_dir)}")
        for c in finding.conflicts:
            who = f" (package {c.owner})" if c.owner else ""
            detail = f": {', '.join(c.modules)}" if c.kind == "same modules" else ""
            differs = ", another version" if c.kind == "same name" and c.version != dist.version else ""
            where = shortpath(os.path.dirname(c.path))
            out.append(f"    {c.relation} {c.name} {c.version}{who} in {where} ({c.kind}{detail}{differs})")
        out.append("    move it out:")
        out.extend(f"      {line}" for line in finding.commands)
        out.append("")
    return "\n".join(out)


def main(args: list[str], session: Session) -> int:
    """``safepip audit [--python PYTHON] [--json]``."""
    environ = session.environ
    from safepip.commands.args import given, parse, parser
    from safepip.facts.interpreter import find_target, probe

    cli = parser("audit", "List packages pip put into a system Python, and what they shadow. Changes nothing.")
    cli.add_argument("--python", type=given, help="the interpreter to audit (default: as for pip commands)")
    cli.add_argument("--json", action="store_true", help="print JSON")
    options = parse(cli, args)
    if isinstance(options, int):
        return options
    python, how = find_target(options.python, environ)
    interp = probe(python, how, environ)  # its site-packages directories outside any venv, user site first
    site_dirs = list(interp.site_dirs)
    owners = dpkg_owners(environ)
    oracle = owners([]) is not None
    findings = audit(site_dirs, owners, python, interp.has_pip and not interp.in_venv, interp.user_site)
    if options.json:
        report = {
            "python": python,
            "site_dirs": site_dirs,
            "package_manager": "dpkg" if oracle else None,
            "findings": [
                {**asdict(f.dist), "conflicts": [asdict(c) for c in f.conflicts], "commands": list(f.commands)}
                for f in findings
            ],
        }
        print(json.dumps(report, indent=2))
    else:
        print(render(python, site_dirs, findings, oracle), end="")
    return 1 if findings else 0
