"""The interpreter probe: run *inside the target interpreter*, prints one JSON object.

Standard library only, and no syntax newer than Python 2.7, so that any interpreter can at
least say which version it is (safepip then refuses what it cannot drive: Python < 3.8).
safepip never judges another interpreter from its own ``sys``; it runs this file there.

The PEP 668 part reads the marker exactly as PEP 668 and pip do: the file is
``sysconfig.get_path("stdlib")/EXTERNALLY-MANAGED``; it only counts outside a virtual
environment; the message is the ``[externally-managed]`` section's ``Error-<locale>``,
``Error-<language>`` or ``Error`` key; a marker that cannot be read or parsed still means
"managed", with the default message.
"""

import json
import os
import sys

MARKER = "EXTERNALLY-MANAGED"


def default_message(prefix):
    """The message used when the marker gives none of its own (pip's wording, word for word)."""
    return (
        "The Python environment under %s is managed externally, and may not be\n"
        "manipulated by the user. Please use specific tooling from the distributor of\n"
        "the Python installation to interact with this environment instead.\n" % prefix
    )


def error_keys(lang):
    """The marker keys to try, in order, for a locale name like ``de_DE`` (or None)."""
    keys = []
    if lang:
        keys.append("Error-" + lang)
        for sep in ("-", "_"):
            before, found, _ = lang.partition(sep)
            if found:
                keys.append("Error-" + before)
    keys.append("Error")
    return keys


def read_marker(path, lang):
    """Return (message or None, problem or None) for the marker at ``path``, as pip reads it.

    A missing section or key means pip's default message: (None, None), still managed. A
    file that cannot be read, decoded or parsed gives (None, why): pip's default message too
    (a duplicate key or section, which pip does not catch, counts the same: pip stops there).
    """
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        return None, "%s: %s" % (type(exc).__name__, exc)
    if not parser.has_section("externally-managed"):
        return None, None
    section = parser["externally-managed"]
    for key in error_keys(lang):
        if key in section:
            return section[key], None
    return None, None


def messages_locale():
    """The language pip picks its message by: pip sets every category from the environment
    (``setlocale(LC_ALL, "")``, nothing when that fails) and reads LC_MESSAGES back."""
    import contextlib
    import locale

    try:
        category = locale.LC_MESSAGES
    except AttributeError:
        return None
    with contextlib.suppress(locale.Error):
        locale.setlocale(locale.LC_ALL, "")
    try:
        return locale.getlocale(category)[0]
    except ValueError:
        return None


#: The prefixes an operating system's own Python lives in: only there is the OS its manager.
OS_PREFIXES = ("/usr", "/usr/local")


def distributor(prefix, message=None):
    """A short name for who manages this interpreter: Homebrew, uv, Nix, conda, MSYS2, or the
    OS (Debian, Fedora...) for a Python under /usr; None when it cannot be told."""
    lowered = prefix.lower()
    if "homebrew" in lowered or "/Cellar/" in prefix:
        return "Homebrew"
    if "managed by uv" in (message or "") or "/uv/python/" in prefix.replace(os.sep, "/"):
        return "uv"  # uv writes its own marker into the Pythons it installs
    if "/nix/store/" in prefix:
        return "Nix"
    if os.path.isdir(os.path.join(prefix, "conda-meta")):
        return "conda"
    if sys.platform in ("msys", "cygwin") or os.environ.get("MSYSTEM"):
        return "MSYS2"
    if os.path.normpath(prefix) not in OS_PREFIXES and sys.platform != "darwin":
        return None  # a Python somewhere else on this OS is not the OS's (a copy, a build of one's own)
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    key, _, value = line.strip().partition("=")
                    if key == "NAME":
                        return value.strip().strip("\"'").split(" ")[0] or None
        except OSError:
            continue
    if sys.platform == "darwin":
        return "macOS"
    return None


def marker_environment():
    """PEP 508 marker values for this interpreter (what packaging's default_environment gives)."""
    import platform

    impl = sys.implementation
    info = impl.version
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return {
        "implementation_name": impl.name,
        "implementation_version": version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def site_dirs(base_prefix, in_venv):
    """The site-packages directories outside any venv, the user site first (as on sys.path);
    and the user site (None where there is none)."""
    import site

    user = getattr(site, "getusersitepackages", None)  # absent from old virtualenvs' site.py
    user_site = user() if user else None
    dirs = [user_site] if user_site else []
    dirs.extend(site.getsitepackages([base_prefix]) if in_venv else site.getsitepackages())
    return dirs, user_site


def probe():
    """Everything safepip needs to know about this interpreter."""
    info = {"version": list(sys.version_info[:3]), "executable": sys.executable}
    if sys.version_info < (3, 8):
        return info
    import importlib.util
    import sysconfig

    base_prefix = getattr(sys, "real_prefix", None) or sys.base_prefix
    in_venv = base_prefix != sys.prefix
    stdlib = sysconfig.get_path("stdlib")
    marker = os.path.join(stdlib, MARKER)
    pip_spec = importlib.util.find_spec("pip")
    sites, user_site = site_dirs(base_prefix, in_venv)
    info.update(
        {
            "implementation": sys.implementation.name,
            "prefix": sys.prefix,
            "base_prefix": base_prefix,
            "in_venv": in_venv,
            "conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
            "stdlib": stdlib,
            "purelib": sysconfig.get_path("purelib"),
            "platlib": sysconfig.get_path("platlib"),
            "scripts": sysconfig.get_path("scripts"),
            "marker": marker if os.path.isfile(marker) else None,
            "marker_message": None,
            "marker_problem": None,
            "distributor": None,
            "pip": pip_spec is not None,
            # The directory holding pip and its pip-<version>.dist-info (safepip reads the version there).
            "pip_dir": os.path.dirname(os.path.dirname(pip_spec.origin)) if pip_spec and pip_spec.origin else None,
            "markers": marker_environment(),
            "site_dirs": sites,
            "user_site": user_site,
        }
    )
    if info["marker"]:
        message, problem = read_marker(marker, messages_locale())
        info["marker_message"] = message or default_message(sys.prefix)
        info["marker_problem"] = problem
        info["distributor"] = distributor(sys.prefix, message)
    return info


if __name__ == "__main__":
    sys.stdout.write(json.dumps(probe()))
