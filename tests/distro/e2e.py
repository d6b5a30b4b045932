"""safepip.pyz end to end inside a fresh Debian: run by the chroot's own python3 (stdlib only).

tests/distro/run.py copies this file, safepip.pyz, the Debian package (when given), the test
wheels, tests/jsonshape.py and docs/commands.md into the chroot and runs ``python3 -I /srv/e2e/tests/distro/e2e.py VARIANT``
as root. Every check prints one line (``ok``/``FAIL``, and for a failure the command, its exit
code and its output); the exit code is 1 when any check failed. Nothing here reaches a
network: pip reads the wheels copied in (``--no-index --find-links``).

VARIANT says what the chroot should be: ``bare`` (python3 alone, as a fresh Debian has it: no
pip, no venv module), ``pip`` (python3-pip and python3-venv added, the common case; pipx is
safepip's own) or ``pipx`` (Debian's own pipx added too: 1.1.0 on Debian 12, without
``--global``); the first check proves it is. The ``pipx`` variant runs only the checks where
Debian's pipx and pip meet safepip (outside a project, as a user and as root): the rest is the
``pip`` variant's. ``python3 -I e2e.py VARIANT SUITE deb`` runs the same checks with
safepip from the Debian package instead: installed first with ``apt install ./safepip_*.deb``
(its dependencies, python3-venv among them, come with it), removed with its dependencies last,
which must leave nothing.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

PAYLOAD = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(PAYLOAD / "tests"))
import jsonshape  # noqa: E402 - it lives beside this file's parent, copied in with it

PYZ = str(PAYLOAD / "safepip.pyz")
#: How safepip is run: ``python3 safepip.pyz``, or the Debian package's command (main sets it).
SAFEPIP = ["/usr/bin/python3", PYZ]
DEB_COMMAND = "/usr/bin/safepip"
WHEELS = str(PAYLOAD / "wheels")
OFFLINE = ["--no-index", "--find-links", WHEELS]
PY = "/usr/bin/python3"
VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
USER = "e2e"
MANAGED = "import os, sysconfig; assert os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))"
#: What the system Python is made of: listed before and after, and compared.
SYSTEM_TREES = ("/usr/lib/python3", f"/usr/lib/python{VERSION}", "/usr/local", "/usr/bin", "/usr/share/python3",
                "/opt", "/etc/python3", f"/etc/python{VERSION}")


class Checks:
    """Counts and prints the checks; a failure shows what ran and what it printed."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.passed = 0
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, done: subprocess.CompletedProcess[str] | None = None,
              detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok   {name}", flush=True)
            return True
        self.failed.append(name)
        print(f"FAIL {name}", flush=True)
        if detail:
            print(f"     {detail}")
        if done is not None:
            print(f"     $ {' '.join(done.args)}  (exit code {done.returncode})")
            for label, text in (("stdout", done.stdout), ("stderr", done.stderr)):
                for line in text.splitlines()[-25:]:
                    print(f"     {label}: {line}")
        sys.stdout.flush()
        return False

    def summary(self) -> int:
        print(f"e2e {self.title}: {self.passed} checks passed, {len(self.failed)} failed"
              + (f" ({'; '.join(self.failed)})" if self.failed else ""), flush=True)
        return 1 if self.failed else 0


def environment(user: pwd.struct_passwd | None, **extra: str) -> dict[str, str]:
    """A login-like environment: nothing of the caller's leaks in."""
    home = user.pw_dir if user else "/root"
    env = {"PATH": PATH, "HOME": home, "LANG": "C.UTF-8", "USER": user.pw_name if user else "root",
           "LOGNAME": user.pw_name if user else "root", "TERM": "dumb"}
    env.update(extra)
    return env


def run(argv: Sequence[str], cwd: str, user: pwd.struct_passwd | None = None,
        **extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``cwd``, as ``user`` when given (else root); never raises for an exit code."""
    ids: dict[str, Any] = {}
    if user is not None:
        ids = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    try:
        return subprocess.run(list(argv), cwd=cwd, env=environment(user, **extra), capture_output=True, text=True,
                              check=False, **ids)
    except OSError as exc:
        return subprocess.CompletedProcess(list(argv), 127, "", f"cannot run {argv[0]}: {exc}")


def safepip(*args: str, cwd: str, user: pwd.struct_passwd | None = None,
            **extra: str) -> subprocess.CompletedProcess[str]:
    """``python3 safepip.pyz ARGS`` (or the Debian package's ``safepip ARGS``): how a user runs it."""
    return run([*SAFEPIP, *args], cwd, user, **extra)


def from_deb() -> bool:
    """Whether this run is the Debian package's."""
    return SAFEPIP == [DEB_COMMAND]


def has_venv(variant: str) -> bool:
    """Whether the chroot has python3-venv: the 'pip' variant, or the Debian package's dependencies."""
    return variant in ("pip", "pipx") or from_deb()


def listing() -> dict[str, tuple[int, int, int]]:
    """Every file, link and directory of the system Python's trees: path -> (mode, size, mtime).

    Byte code caches are left out: Python may write them for its own standard library.
    """
    found: dict[str, tuple[int, int, int]] = {}
    for top in SYSTEM_TREES:
        for root, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in (*dirs, *files):
                path = os.path.join(root, name)
                st = os.lstat(path)
                found[path] = (st.st_mode, st.st_size if not os.path.isdir(path) else 0, int(st.st_mtime))
    return found


def json_of(done: subprocess.CompletedProcess[str]) -> Any:
    try:
        return json.loads(done.stdout)
    except ValueError:
        return None


def json_verb(checks: Checks, label: str, verb: str, *args: str, cwd: str, user: pwd.struct_passwd | None = None,
              expect: Callable[[Any], str] | None = None) -> None:
    """``VERB --json ARGS``: exit code 0, valid JSON, the documented schema, then ``expect``
    (which returns what is wrong, or '')."""
    done = safepip(verb, "--json", *args, cwd=cwd, user=user)
    data = json_of(done)
    if not checks.check(f"{label}: {verb} --json exits 0 with JSON", done.returncode == 0 and data is not None, done):
        return
    problems = jsonshape.errors(data, jsonshape.documented_schema(verb))
    checks.check(f"{label}: {verb} --json matches its documented schema", not problems, done, "; ".join(problems))
    if expect is not None:
        wrong = expect(data)
        checks.check(f"{label}: {verb} --json says what it should", not wrong, done, wrong)


def installed(python: str) -> dict[str, str]:
    """name -> version of the distributions ``python`` sees (read by the stdlib)."""
    code = "import json, importlib.metadata as m; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    done = subprocess.run([python, "-c", code],
                          capture_output=True, text=True, check=False)
    return json.loads(done.stdout) if done.returncode == 0 else {}


def imports(python: str, *modules: str, user: pwd.struct_passwd | None = None) -> bool:
    return run([python, "-c", "import " + ", ".join(modules)], "/", user).returncode == 0


def check_variant(checks: Checks, variant: str) -> None:
    has_pip = imports(PY, "pip")
    venv = imports(PY, "ensurepip")
    has_pipx = os.path.exists("/usr/bin/pipx")
    checks.check(f"the chroot is the '{variant}' Debian (pip importable: {has_pip}, ensurepip: {venv}, "
                 f"Debian's pipx: {has_pipx})",
                 has_pip == (variant in ("pip", "pipx")) and venv == has_venv(variant)
                 and has_pipx == (variant == "pipx" or from_deb()))
    checks.check("the system python3 is externally managed",
                 run([PY, "-c", MANAGED], "/").returncode == 0)
    version = safepip("--version", cwd="/")
    where = "/usr/lib/python3/dist-packages/safepip" if from_deb() else PYZ
    checks.check(f"{' '.join(SAFEPIP)} --version", version.returncode == 0 and f"from {where}" in version.stdout,
                 version)


def in_a_project(checks: Checks, variant: str) -> None:
    project = "/srv/proj"
    os.makedirs(project)
    Path(project, "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    venv = f"{project}/.venv"
    vpy = f"{venv}/bin/python"

    done = safepip("install", *OFFLINE, "e2e-dep", cwd=project)
    checks.check("project: install creates .venv", done.returncode == 0 and os.path.isfile(f"{venv}/pyvenv.cfg")
                 and f"using {venv} (created)" in done.stderr, done)
    checks.check("project: the library and its dependency are in .venv",
                 installed(vpy).get("e2e-dep") == "1.0" and installed(vpy).get("e2e-lib") == "1.0"
                 and imports(vpy, "e2e_dep", "e2e_lib"), done, f"installed: {installed(vpy)}")
    checks.check("project: .venv has its own pip", os.path.isfile(f"{venv}/bin/pip") and imports(vpy, "pip"))
    checks.check("project: .venv is marked for git and backups",
                 Path(venv, ".gitignore").is_file() and Path(venv, "CACHEDIR.TAG").is_file())

    again = safepip("install", *OFFLINE, "e2e-dep", cwd=project)
    checks.check("project: the no-op is answered",
                 again.returncode == 0 and "Requirement already satisfied: e2e-dep" in again.stdout, again)
    debug = safepip("install", *OFFLINE, "e2e-dep", cwd=project, SAFEPIP_DEBUG="1")
    checks.check("project: the no-op is answered without starting pip",
                 debug.returncode == 0 and "pip not started" in debug.stderr, debug)

    listed = safepip("list", cwd=project)
    checks.check("project: list shows .venv's packages",
                 listed.returncode == 0 and "e2e-dep" in listed.stdout and "e2e-lib" in listed.stdout, listed)
    frozen = safepip("freeze", cwd=project)
    checks.check("project: freeze", frozen.returncode == 0
                 and {"e2e-dep==1.0", "e2e-lib==1.0"} <= set(frozen.stdout.split()), frozen)

    def project_venv(data: Any) -> str:
        if data["decision"] != "project-venv" or (data["environment"] or {}).get("path") != venv:
            return f"decision {data['decision']!r}, environment {data['environment']!r}"
        return ""

    json_verb(checks, "project", "explain", "install", "e2e-lib", cwd=project, expect=project_venv)

    def doctor_here(data: Any) -> str:
        wrong = []
        if not data["managed"]["managed"]:
            wrong.append("the system python3 is not reported as managed")
        if (data["project"] or {}).get("root") != project:
            wrong.append(f"project {data['project']!r}")
        if data["interpreter"]["pip"] != (variant == "pip"):
            wrong.append(f"interpreter.pip is {data['interpreter']['pip']}")
        return "; ".join(wrong)

    json_verb(checks, "project", "doctor", cwd=project, expect=doctor_here)

    gone = safepip("uninstall", "-y", "e2e-dep", cwd=project)
    left = installed(vpy)
    checks.check("project: uninstall", gone.returncode == 0 and "e2e-dep" not in left and "e2e-lib" in left,
                 gone, f"installed: {left}")
    bad = safepip("doctor", "--no-such-option", cwd=project)
    checks.check("project: a wrong verb option exits 64 in one line",
                 bad.returncode == 64 and len(bad.stderr.strip().splitlines()) == 1, bad)


def make_user() -> pwd.struct_passwd:
    done = subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"e2e: cannot create the user {USER}: {done.stderr.strip()}")
    return pwd.getpwnam(USER)


def pipx_home(home: str) -> str:
    """pipx's home for a user: ~/.local/share/pipx, or ~/.local/pipx where an older pipx made it
    (Debian 12's pipx 1.1.0, on PATH in the Debian package's run)."""
    old = f"{home}/.local/pipx"
    return old if os.path.isdir(old) else f"{home}/.local/share/pipx"


def outside_a_project(checks: Checks, variant: str, user: pwd.struct_passwd) -> None:
    home = user.pw_dir
    here = f"{home}/downloads"
    run(["mkdir", "-p", here], "/", user)
    user_env = f"{home}/.local/share/safepip/envs/py{VERSION}"
    upy = f"{user_env}/bin/python"
    app = f"{home}/.local/bin/e2e-app"

    done = safepip("install", *OFFLINE, "e2e-app", cwd=here, user=user)
    if has_venv(variant):
        checks.check("outside: an application goes to pipx",
                     done.returncode == 0 and "e2e-app -> pipx" in done.stderr
                     and os.path.isdir(f"{pipx_home(home)}/venvs/e2e-app"), done)
        cfg = Path(f"{pipx_home(home)}/venvs/e2e-app/pyvenv.cfg")
        checks.check("outside: pipx's environment for it is made from the system python3",
                     cfg.is_file() and "home = /usr/bin" in cfg.read_text())
    else:
        # No venv module, no ensurepip: pipx cannot make environments; the application goes
        # to the per-user environment, its command linked onto PATH.
        checks.check("outside: without python3-venv an application goes to the per-user environment, said why",
                     done.returncode == 0 and "e2e-app -> ~/.local/share/safepip/envs" in done.stderr
                     and "apt install python3-venv" in done.stderr and installed(upy).get("e2e-app") == "1.0"
                     and os.path.islink(app)
                     and not os.path.exists(f"{home}/.local/share/pipx/venvs/e2e-app"), done)
    ran = run([app], here, user)
    checks.check("outside: the application's command runs", ran.returncode == 0 and ran.stdout.strip() == "e2e-app 1.0",
                 ran)

    lib = safepip("install", *OFFLINE, "e2e-dep", cwd=here, user=user)
    checks.check("outside: a library goes to the per-user environment",
                 lib.returncode == 0 and f"using ~/.local/share/safepip/envs/py{VERSION}" in lib.stderr
                 and installed(upy).get("e2e-dep") == "1.0" and imports(upy, "e2e_dep", user=user), lib,
                 f"installed: {installed(upy)}")
    if has_venv(variant):
        checks.check("outside: the application did not go to the per-user environment",
                     "e2e-app" not in installed(upy))
    checks.check("outside: the system python3 cannot import the library", not imports(PY, "e2e_dep", user=user))

    listed = safepip("list", cwd=here, user=user)
    checks.check("outside: list shows the per-user environment, then pipx's applications",
                 listed.returncode == 0 and "e2e-dep" in listed.stdout and "e2e-app 1.0" in listed.stdout
                 and ("applications installed with pipx" in listed.stderr if has_venv(variant)
                      else "no applications installed with pipx" in listed.stderr), listed)

    json_verb(checks, "outside", "explain", "install", "e2e-lib", cwd=here, user=user,
              expect=lambda d: "" if d["decision"] == "user-env" else f"decision {d['decision']!r}")
    want = {"e2e-app": "pipx" if has_venv(variant) else "user-env", "e2e-tool": "user-env", "pip": "user-env"}
    json_verb(checks, "outside", "explain", "install", *OFFLINE, "e2e-app", "e2e-tool", "pip", cwd=here, user=user,
              expect=lambda d: "" if {r["requirement"]: r["to"] for r in d["requirements"]} == want
              else f"requirements {d['requirements']!r}")

    tool = safepip("install", *OFFLINE, "e2e-tool", cwd=here, user=user)
    linked = f"{home}/.local/bin/e2e-f2py"
    checks.check("outside: a library with a command goes to the per-user environment, its command on PATH",
                 tool.returncode == 0 and installed(upy).get("e2e-tool") == "1.0" and os.path.islink(linked)
                 and run([linked], here, user).stdout.strip() == "e2e-tool 1.0", tool)
    imported = safepip("run", "python", "-c", "import e2e_tool", cwd=here, user=user)
    checks.check("outside: safepip run python imports that library", imported.returncode == 0, imported)
    frozen = safepip("freeze", cwd=here, user=user)
    checks.check("outside: freeze shows only what the user put there",
                 frozen.returncode == 0 and all(line.split("==")[0] in ("e2e-dep", "e2e-lib", "e2e-tool", "e2e-app")
                                                for line in frozen.stdout.splitlines()), frozen)
    gone = safepip("uninstall", "-y", "e2e-tool", cwd=here, user=user)
    checks.check("outside: uninstall removes the library's link", gone.returncode == 0 and not os.path.lexists(linked),
                 gone)
    json_verb(checks, "outside", "doctor", cwd=here, user=user,
              expect=lambda d: "" if d["project"] is None else f"project {d['project']!r}")

    gone = safepip("uninstall", "-y", "e2e-app", cwd=here, user=user)
    if has_venv(variant):
        checks.check("outside: uninstall of the application goes to pipx",
                     gone.returncode == 0 and "uninstalling it with pipx" in gone.stderr and not os.path.exists(app), gone)
    else:
        checks.check("outside: uninstall of the application", gone.returncode == 0 and not os.path.exists(app), gone)
    gone = safepip("uninstall", "-y", "e2e-dep", cwd=here, user=user)
    checks.check("outside: uninstall of the library", gone.returncode == 0 and "e2e-dep" not in installed(upy), gone)


def next_command(checks: Checks, user: pwd.struct_passwd) -> None:
    """The bash case of shell-init's activation, as docs/agents.md sets it up for agents and CI:
    safepip installed for the user, the shell-init line in the file ``BASH_ENV`` names, and
    ``pip install x && python3 -c 'import x'`` in one ``bash -c``, in a project and outside one."""
    home = user.pw_dir
    exe = f"{home}/.local/bin/safepip"
    if from_deb():  # installed for every user already
        exe = DEB_COMMAND
    else:
        done = safepip("self-install", cwd=home, user=user)
        if not checks.check("next command: self-install puts safepip in ~/.local/bin",
                            done.returncode == 0 and os.access(exe, os.X_OK), done):
            return
    rc = f"{home}/.safepip-env.sh"
    project = f"{home}/next-proj"
    os.makedirs(f"{project}/src")
    Path(rc).write_text(f'eval "$({exe} shell-init bash)"\n')
    Path(project, "pyproject.toml").write_text('[project]\nname = "next"\nversion = "0"\n')
    for path in (rc, project, f"{project}/src", f"{project}/pyproject.toml"):
        os.chown(path, user.pw_uid, user.pw_gid)  # the user's own files
    where = "import sys; print(sys.prefix)"
    line = f"pip install {' '.join(OFFLINE)} e2e-dep && python3 -c 'import e2e_dep; {where}'"
    done = run(["bash", "-c", line], project, user, BASH_ENV=rc)
    checks.check("next command: in a project, bash -c 'pip install x && python3 -c \"import x\"' (BASH_ENV)",
                 done.returncode == 0 and done.stdout.strip().splitlines()[-1:] == [f"{project}/.venv"], done)
    again = run(["bash", "-c", f"python3 -c 'import e2e_dep; {where}'"], f"{project}/src", user, BASH_ENV=rc)
    checks.check("next command: a later bash -c in the project's subdirectory runs its environment",
                 again.returncode == 0 and again.stdout.strip() == f"{project}/.venv", again)
    here = f"{home}/next-outside"
    run(["mkdir", "-p", here], home, user)
    line = f"pip install {' '.join(OFFLINE)} e2e-lib && python3 -c 'import e2e_lib; {where}'"
    done = run(["bash", "-c", line], here, user, BASH_ENV=rc)
    checks.check("next command: outside a project, bash -c 'pip install x && python3 -c \"import x\"' (BASH_ENV)",
                 done.returncode == 0
                 and done.stdout.strip().splitlines()[-1:] == [f"{home}/.local/share/safepip/envs/py{VERSION}"], done)
    checks.check("next command: the system python3 still cannot import it", not imports(PY, "e2e_lib", user=user))


def terminal(name: str, lines: Sequence[str], how: str = "") -> dict[str, str]:
    """Type ``lines`` into ``su - NAME`` on a terminal (``script``; ``how``: a command for ``su -c``);
    the ``@@key=value`` lines printed (``@@""key`` in what is typed keeps the echo from matching)."""
    su = f"su - {name}" + (f" -c {shlex.quote(how)}" if how else "")
    done = subprocess.run(["script", "-qec", su, "/dev/null"], input="\n".join([*lines, "exit", ""]),
                          env=environment(None), capture_output=True, text=True, check=False, timeout=300)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout.replace("\r", "\n"))
    return dict(re.findall(r"@@(\w+)=(.*)$", text, re.MULTILINE))


#: What the shell says about pip, typed in it.
PROBE = ('echo "@@""kind=$(type -t pip)"', 'echo "@@""pip=$(pip --version)"')


def login_shells(checks: Checks) -> None:
    """A user with the suite's stock dotfiles (/etc/skel: ~/.profile reads ~/.bashrc before it puts
    ~/.local/bin on PATH) self-installs, adds the line it prints: pip is safepip in login shells."""
    name = f"{USER}sh"
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True, capture_output=True)
    home = pwd.getpwnam(name).pw_dir
    checks.check("login: the user's ~/.profile and ~/.bashrc are the suite's stock ones",
                 Path(home, ".profile").read_bytes() == Path("/etc/skel/.profile").read_bytes()
                 and Path(home, ".bashrc").read_bytes() == Path("/etc/skel/.bashrc").read_bytes())
    if from_deb():  # no self-install: the package's command is on every PATH
        done = run(["su", "-", name, "-c", "safepip shell-init --rc bash"], "/")
        found = re.search(rf"^(.*{DEB_COMMAND} shell-init bash.*)$", done.stdout, re.MULTILINE)
        said = "login: shell-init --rc bash gives the line for ~/.bashrc, naming /usr/bin/safepip"
    else:
        done = run(["su", "-", name, "-c", f"{PY} {PYZ} self-install"], "/")
        found = re.search(r"add this line to ~/.bashrc:\n  (.+)\n", done.stdout)
        said = "login: self-install says which line to add to ~/.bashrc"
    if not checks.check(said, done.returncode == 0 and bool(found), done):
        return
    assert found is not None
    with open(f"{home}/.bashrc", "a", encoding="utf-8") as rc:
        rc.write(found.group(1) + "\n")
    empty = f"exec env -i HOME={home} TERM=dumb PATH=/usr/bin:/bin"
    for label, how in (("su -", ""), ("bash -l", f"{empty} bash -l -i"), ("bash (not a login shell)", f"{empty} bash -i")):
        seen = terminal(name, PROBE, how)
        checks.check(f"login: in {label} on a terminal, pip is safepip",
                     seen.get("kind") == "function" and seen.get("pip", "").startswith("safepip "), detail=repr(seen))
    seen = terminal(name, ['echo "@@""doctor=$(safepip doctor | grep "^shell-init")"'])
    checks.check("login: doctor says shell-init is active", seen.get("doctor", "").startswith("shell-init   active"),
                 detail=repr(seen))


APT = ("apt-get", "-q", "-y", "-o", "Dpkg::Use-Pty=0")


def packages() -> set[str]:
    """The packages dpkg has installed."""
    listed = run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Package}\n"], "/").stdout.splitlines()
    return {line.split()[-1] for line in listed if line.startswith("ii")}


#: The chroot's packages before the Debian package came (install_deb fills it).
BEFORE: set[str] = set()


def install_deb(checks: Checks) -> list[str]:
    """``apt install ./safepip_*.deb``, as a user would (apt's lists and the dependencies were fetched
    before this run, which has no network); the package's files, or [] when it did not install."""
    BEFORE.update(packages())
    debs = sorted(PAYLOAD.glob("safepip_*_all.deb"))
    if not checks.check("deb: the payload holds one safepip_*_all.deb", len(debs) == 1, detail=repr(debs)):
        return []
    # Without its dependencies' recommendations: the run has no network, and run.py fetched the dependencies alone.
    done = run([*APT, "install", "--no-install-recommends", f"./{debs[0].name}"], str(PAYLOAD),
               DEBIAN_FRONTEND="noninteractive")
    if not checks.check("deb: apt install ./safepip_*.deb", done.returncode == 0, done):
        return []
    owned = run(["dpkg-query", "-L", "safepip"], "/").stdout.split()
    depends = run(["dpkg-query", "-W", "-f", "${Depends}", "safepip"], "/").stdout
    print(f"     Depends: {depends}", flush=True)
    on_path = run(["sh", "-c", "command -v safepip"], "/")
    checks.check("deb: safepip on PATH is the package's", on_path.stdout.strip() == DEB_COMMAND, on_path)
    return [f for f in owned if os.path.isfile(f)] + ["/usr/lib/python3/dist-packages/safepip",
                                                      "/usr/share/doc/safepip"]


def purge_deb(checks: Checks, files: list[str]) -> None:
    """``apt remove`` takes the package's files away; purging what it brought (its dependencies, and
    what they recommend that the chroot's own packages keep) leaves nothing (run.py checks /usr and
    /opt from outside too)."""
    done = run([*APT, "remove", "safepip"], "/", DEBIAN_FRONTEND="noninteractive")
    left = [f for f in files if os.path.lexists(f)]
    checks.check("deb: apt remove takes every file of the package away (byte code too)",
                 done.returncode == 0 and not left, done, f"left: {left}")
    # Nothing to purge (no configuration files): dpkg forgets the package; then its dependencies go.
    status = run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "safepip"], "/")
    checks.check("deb: dpkg keeps no trace of it (no configuration files to purge)",
                 status.stdout.strip() in ("", "un"), status, f"status: {status.stdout!r}")
    # apt autoremove keeps what a base package recommends (openssl, python3-distutils...): purged by name.
    brought = sorted(packages() - BEFORE)
    purged = run([*APT, "purge", *brought], "/", DEBIAN_FRONTEND="noninteractive") if brought else None
    checks.check(f"deb: apt purge of what it brought ({len(brought)} packages) restores the chroot's packages",
                 (purged is None or purged.returncode == 0) and packages() == BEFORE, purged,
                 f"brought: {' '.join(brought)}")


def as_root_outside(checks: Checks) -> None:
    """Root outside a project: libraries to root's own per-user environment (asked, not done)."""
    os.makedirs("/root/downloads", exist_ok=True)
    want = f"/root/.local/share/safepip/envs/py{VERSION}"
    json_verb(checks, "root outside", "explain", "install", *OFFLINE, "e2e-lib", cwd="/root/downloads",
              expect=lambda d: "" if d["decision"] == "user-env" and (d["environment"] or {}).get("path") == want
              else f"decision {d['decision']!r}, environment {d['environment']!r}")


def debian_version(package: str) -> str:
    """The upstream version of an installed Debian package (``1.1.0`` of ``1.1.0-1``)."""
    done = run(["dpkg-query", "-W", "-f=${Version}", package], "/")
    return re.sub(r"^\d+:", "", done.stdout.strip()).split("-")[0].split("+")[0]


def pip_version(python: str) -> str:
    """The version of the pip ``python`` imports ('' when none)."""
    done = run([python, "-c", "import pip; print(pip.__version__)"], "/")
    return done.stdout.strip() if done.returncode == 0 else ""


def debian_pipx(checks: Checks, user: pwd.struct_passwd) -> None:
    """Outside a project as a user, with Debian's own pipx (1.1.0 on Debian 12) and pip on PATH:
    an application goes to that pipx (which makes its environment with Debian's ensurepip, so
    Debian's own pip installs it, offline), its command runs; a library goes to the per-user
    environment; Debian's pip drives the environment safepip made; list and uninstall use that pipx."""
    home = user.pw_dir
    here = f"{home}/downloads"
    run(["mkdir", "-p", here], "/", user)
    shipped = debian_version("pipx")
    version = run(["pipx", "--version"], here, user)
    checks.check(f"pipx: the pipx on PATH is Debian's /usr/bin/pipx {shipped}",
                 version.returncode == 0 and version.stdout.strip() == shipped != "", version)
    debian_pip = debian_version("python3-pip")
    checks.check(f"pipx: the system's pip is Debian's python3-pip {debian_pip}", pip_version(PY) == debian_pip != "")

    def to_debian_pipx(data: Any) -> str:
        runs = [s["run"] for s in data["steps"] if s["run"]]
        return "" if runs and all(r[0] == "/usr/bin/pipx" for r in runs) else f"steps {data['steps']!r}"

    json_verb(checks, "pipx", "explain", "install", *OFFLINE, "e2e-app", cwd=here, user=user, expect=to_debian_pipx)
    done = safepip("install", *OFFLINE, "e2e-app", cwd=here, user=user)
    checks.check("pipx: an application goes to Debian's pipx", done.returncode == 0 and "e2e-app -> pipx" in done.stderr,
                 done)
    home_of = run(["pipx", "environment", "--value", "PIPX_HOME"], here, user).stdout.strip()
    listed = run(["pipx", "list", "--short"], here, user)
    checks.check(f"pipx: Debian's pipx manages it ({home_of or '?'})",
                 "e2e-app 1.0" in listed.stdout and os.path.isdir(f"{home_of}/venvs/e2e-app"), listed)
    app = f"{home}/.local/bin/e2e-app"
    ran = run([app], here, user)
    checks.check("pipx: the application's command runs", ran.returncode == 0 and ran.stdout.strip() == "e2e-app 1.0",
                 ran)
    inside = pip_version(f"{home_of}/venvs/e2e-app/bin/python") or pip_version(f"{home_of}/shared/bin/python")
    if "--global" not in run(["pipx", "install", "--help"], here, user).stdout:
        # pipx 1.1.0 keeps the pip of Debian's ensurepip in its shared libraries (its upgrade, offline, fails
        # and is only logged); pipx 1.5+ reinstalls pip there from the sources given: safepip's own wheel.
        checks.check(f"pipx: the pip that installed it is Debian's own {debian_pip} (pipx's environments, ensurepip)",
                     inside == debian_pip, detail=f"pip {inside!r} in {home_of}")
    else:
        checks.check(f"pipx: pipx reinstalled its shared pip offline from safepip's wheel (pip {inside})",
                     inside not in ("", debian_pip), detail=f"pip {inside!r} in {home_of}")

    user_env = f"{home}/.local/share/safepip/envs/py{VERSION}"
    upy = f"{user_env}/bin/python"
    lib = safepip("install", *OFFLINE, "e2e-dep", cwd=here, user=user)
    checks.check("pipx: a library goes to the per-user environment",
                 lib.returncode == 0 and f"using ~/.local/share/safepip/envs/py{VERSION}" in lib.stderr
                 and installed(upy).get("e2e-dep") == "1.0" and imports(upy, "e2e_dep", user=user)
                 and "e2e-app" not in installed(upy), lib, f"installed: {installed(upy)}")
    # Debian's own pip (python3 -m pip, as /usr/bin/pip runs it) drives the environment safepip made.
    own = run([PY, "-m", "pip", "--python", upy, "install", "--disable-pip-version-check", *OFFLINE, "e2e-tool"],
              here, user)
    checks.check(f"pipx: Debian's pip {debian_pip} installs into the environment safepip made (--python)",
                 own.returncode == 0 and installed(upy).get("e2e-tool") == "1.0", own)
    seen = run([PY, "-m", "pip", "--python", upy, "list", "--disable-pip-version-check"], here, user)
    checks.check("pipx: and lists it", seen.returncode == 0 and "e2e-dep" in seen.stdout, seen)
    checks.check("pipx: the system python3 cannot import either", not imports(PY, "e2e_dep", user=user)
                 and not imports(PY, "e2e_tool", user=user))
    both = safepip("list", cwd=here, user=user)
    checks.check("pipx: list shows the per-user environment, then Debian's pipx's applications",
                 both.returncode == 0 and "e2e-dep" in both.stdout and "e2e-app 1.0" in both.stdout, both)
    gone = safepip("uninstall", "-y", "e2e-app", cwd=here, user=user)
    checks.check("pipx: uninstall of the application goes to Debian's pipx",
                 gone.returncode == 0 and "uninstalling it with pipx" in gone.stderr and not os.path.lexists(app)
                 and "e2e-app" not in run(["pipx", "list", "--short"], here, user).stdout, gone)


def root_debian_pipx(checks: Checks) -> None:
    """Root outside a project with Debian's pipx: applications need pipx's ``--global`` (1.5+).
    Debian 12's 1.1.0 has none: one line, exit 77, nothing done. A newer one (Debian 13) installs
    there (its global directories moved out of /opt and /usr/local, which must stay untouched).
    Libraries go to root's per-user environment either way."""
    here = "/root/downloads"
    os.makedirs(here, exist_ok=True)
    dirs = {"PIPX_GLOBAL_HOME": "/srv/root-pipx", "PIPX_GLOBAL_BIN_DIR": "/srv/root-bin",
            "PIPX_GLOBAL_MAN_DIR": "/srv/root-man"}
    has_global = "--global" in run(["pipx", "install", "--help"], here).stdout
    done = run([PY, PYZ, "install", *OFFLINE, "e2e-app"], here, None, **dirs)
    if not has_global:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        checks.check("root pipx: without pipx --global an application is refused in one line, exit 77",
                     done.returncode == 77 and len(lines) == 1 and "pipx 1.5 or newer" in lines[0], done)
        made = [p for p in (*dirs.values(), "/opt/pipx", "/usr/local/bin/e2e-app", "/root/.local/pipx",
                            "/root/.local/share/pipx", "/root/.local/bin/e2e-app") if os.path.lexists(p)]
        checks.check("root pipx: and nothing was done", not made, detail=f"made: {made}")
    else:
        ran = run([f"{dirs['PIPX_GLOBAL_BIN_DIR']}/e2e-app"], here)
        checks.check("root pipx: an application goes to pipx --global, its command runs",
                     done.returncode == 0 and "pipx --global" in done.stderr and ran.stdout.strip() == "e2e-app 1.0",
                     done)
        gone = run([PY, PYZ, "uninstall", "-y", "e2e-app"], here, None, **dirs)
        checks.check("root pipx: uninstall goes to pipx --global",
                     gone.returncode == 0 and not os.path.lexists(f"{dirs['PIPX_GLOBAL_BIN_DIR']}/e2e-app"), gone)
    want = f"/root/.local/share/safepip/envs/py{VERSION}"
    lib = safepip("install", *OFFLINE, "e2e-lib", cwd=here)
    checks.check("root pipx: a library goes to root's per-user environment",
                 lib.returncode == 0 and installed(f"{want}/bin/python").get("e2e-lib") == "1.0", lib)


def main(argv: Sequence[str]) -> int:
    variant = argv[0] if argv else "bare"
    suite = argv[1] if len(argv) > 1 else "?"
    deb = argv[2:3] == ["deb"]
    checks = Checks(f"{suite}/{variant}{' from the .deb' if deb else ''} (python {VERSION})")
    files: list[str] = []
    if deb:
        SAFEPIP[:] = [DEB_COMMAND]
        # Debian's pipx makes its shared pip from an index (pipx 1.7 insists on pip >= 23.1, 1.1 upgrades
        # it); offline, Debian's own pip wheel (python3-pip-whl, which the package brings) stands in for it.
        OFFLINE.extend(["--find-links", "/usr/share/python-wheels"])
        files = install_deb(checks)
        if not files:
            return checks.summary()
    before = listing()
    user: list[pwd.struct_passwd] = []
    parts: list[Callable[[], None]] = [
        lambda: check_variant(checks, variant), lambda: in_a_project(checks, variant),
        lambda: user.append(make_user()), lambda: outside_a_project(checks, variant, user[0]),
        lambda: next_command(checks, user[0]), lambda: as_root_outside(checks),
    ]
    if variant == "pipx":  # only where Debian's pipx meets safepip: the rest is the pip variant's
        parts = [lambda: check_variant(checks, variant), lambda: user.append(make_user()),
                 lambda: debian_pipx(checks, user[0]), lambda: root_debian_pipx(checks)]
    for part in parts:
        try:
            part()
        except Exception:  # a broken check is a failure; the rest still run
            checks.check("the checks themselves ran", False, detail=traceback.format_exc())
    after = listing()
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    checks.check("the system Python is unchanged", not changed, detail=f"changed: {changed[:20]}")
    # Last: the package's removal (checked here and, from outside, by run.py).
    late: list[Callable[[], None]] = [lambda: login_shells(checks), *([lambda: purge_deb(checks, files)] if deb else [])]
    for part in late if variant != "pipx" else []:
        try:
            part()
        except Exception:
            checks.check("the checks themselves ran", False, detail=traceback.format_exc())
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
