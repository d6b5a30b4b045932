"""Application or library: the rule, from a distribution's own metadata (pure, no I/O).

A wrong guess must stay cheap. A library put in pipx cannot be imported: it is broken. An
application put in the per-user environment still works, since the commands of what the
user named are linked onto PATH. So a distribution is an application only when it is clearly
one, and a library otherwise:

1. pip, setuptools and wheel are never applications (they are the environment's own tools).
2. No commands (console or GUI scripts, or files installed as scripts): a library.
3. A library when any of these holds (each is evidence that code imports it):

   - none of its commands is named after the distribution or its import package
     (numpy's ``f2py``, django's ``django-admin``, torch's ``torchrun``);
   - it is an application framework (``Topic :: Software Development :: Libraries ::
     Application Frameworks``: flask, django, fastapi);
   - it plugs into another framework (``Framework :: X`` where X is not the distribution
     itself: tqdm's ``Framework :: IPython``; a distribution's own framework, tox's
     ``Framework :: tox``, says only that it has plugins);
   - its commands live outside its public import package (pytest's live in ``_pytest``:
     ``pytest`` is the API that tests import);
   - it runs or serves its users' code (``Environment :: Web Environment``: uvicorn);
   - it is for science and research (``Intended Audience :: Science/Research``), used from
     code and notebooks;
   - without ``Environment :: Console`` (it is no console program), it says it is for code:
     ``Topic :: Software Development :: Libraries`` (the ``:: Python Modules`` subtopic, which
     applications carry as boilerplate, only with ``Intended Audience :: Developers``: distro,
     gunicorn, tabulate); ``Typing :: Typed`` (trove-classifiers, cbor2); or ``Intended
     Audience :: Developers`` with no topic at all (keyring, mcp, curl-cffi).

4. Otherwise an application: it has a command named after itself, and nothing says that
   code imports it (black, httpie, ruff, yt-dlp, poetry, cowsay, pre-commit, nox).

docs/outside.md has the table of real distributions this rule was designed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from .wheelmeta import Meta

APP = "application"
LIBRARY = "library"

#: The environment's own tools: upgraded in place, never applications, never linked onto PATH.
NEVER_APPS = frozenset({"pip", "setuptools", "wheel"})

#: The classifiers in which a distribution calls itself a library (every subtopic too).
_LIBRARIES = "Topic :: Software Development :: Libraries"
#: The library subtopic that applications carry too, as boilerplate.
_BOILERPLATE = "Topic :: Software Development :: Libraries :: Python Modules"

#: ``Framework ::`` values that name a runtime rather than a framework a library plugs into.
_RUNTIMES = frozenset({"asyncio", "trio", "anyio", "hatch", "setuptools", "pydantic"})


@dataclass(frozen=True)
class Verdict:
    """What the rule says of one distribution, and the evidence in a few words."""

    kind: str
    why: str


def _canon(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def judge(meta: Meta) -> Verdict:
    """Application or library, for the distribution ``meta`` describes."""
    name = _canon(meta.name)
    if name in NEVER_APPS:
        return Verdict(LIBRARY, f"{meta.name} is one of the environment's own tools")
    commands = meta.scripts
    if not commands:
        return Verdict(LIBRARY, "it declares no commands")
    own = {name} | {_canon(t) for t in meta.top_level}
    named = [c for c in commands if _canon(c.rsplit(".", 1)[0] if c.endswith((".exe", ".cmd")) else c) in own]
    shown = ", ".join(commands[:3]) + (", ..." if len(commands) > 3 else "")
    if not named:
        return Verdict(LIBRARY, f"its commands ({shown}) are not named after it")
    classifiers = [c.strip() for c in meta.classifiers]
    if "Topic :: Software Development :: Libraries :: Application Frameworks" in classifiers:
        return Verdict(LIBRARY, "it is an application framework (classifier)")
    for classifier in classifiers:
        parts = [p.strip() for p in classifier.split("::")]
        if len(parts) >= 2 and parts[0] == "Framework":
            other = _canon(parts[1])
            if other not in own and other not in _RUNTIMES:
                return Verdict(LIBRARY, f"it plugs into {parts[1]} (classifier {classifier})")
    package = [t for t in meta.top_level if _canon(t) == name and not t.startswith("_")]
    if package and meta.entry_modules and not set(package) & set(meta.entry_modules):
        where = ", ".join(meta.entry_modules)
        return Verdict(LIBRARY, f"its commands live in {where}, outside its import package {package[0]}")
    if "Environment :: Web Environment" in classifiers:
        return Verdict(LIBRARY, "it runs its users' code (Environment :: Web Environment)")
    if "Intended Audience :: Science/Research" in classifiers:
        return Verdict(LIBRARY, "it is for science and research, used from code (classifier)")
    if "Environment :: Console" not in classifiers:
        found = _says_library(classifiers)
        if found:
            return Verdict(LIBRARY, found)
    return Verdict(APP, f"it has the command {named[0]} and nothing says code imports it")


def _says_library(classifiers: list[str]) -> str:
    """The words in which a distribution that is no console program calls itself a library
    (empty: it does not). ``Topic :: Software Development :: Libraries :: Python Modules``
    alone says little (black, poetry and flake8 carry it), so it counts for developers only.
    """
    developers = "Intended Audience :: Developers" in classifiers
    libraries = [c for c in classifiers if c.startswith(_LIBRARIES)]
    if libraries and (developers or any(c != _BOILERPLATE for c in libraries)):
        return "it says it is a library, not a console program (classifiers)"
    if "Typing :: Typed" in classifiers:
        return "it says its API is typed for code to import, and it is no console program (Typing :: Typed)"
    if developers and not any(c.startswith("Topic ::") for c in classifiers):
        return "it says it is for developers, with no console program and no topic (classifiers)"
    return ""


#: Entry-point groups whose first word is not the application's name.
_GROUP_HOSTS = {"pytest11": "pytest", "console_scripts": "", "gui_scripts": ""}


def hosts(meta: Meta) -> tuple[str, ...]:
    """The applications a distribution plugs into, as its metadata names them: the first
    word of each entry-point group (``poetry.application.plugin``: poetry; ``pdm``: pdm;
    ``pytest11``: pytest: it registers itself there), and a ``Framework :: X`` classifier
    when the distribution is named as X's plugins are (``mkdocs-material``). A classifier
    alone says less: tqdm's ``Framework :: IPython`` does not make it IPython's, and a
    library injected into an application cannot be imported anywhere else.
    """
    own = _canon(meta.name)
    found: list[str] = []
    for group in meta.groups:
        host = _GROUP_HOSTS.get(group, group.split(".", 1)[0])
        if host:
            found.append(_canon(host))
    for classifier in meta.classifiers:
        parts = [p.strip() for p in classifier.split("::")]
        if len(parts) >= 2 and parts[0] == "Framework" and own.startswith(_canon(parts[1]) + "-"):
            found.append(_canon(parts[1]))
    return tuple(h for h in dict.fromkeys(found) if h != own and h not in NEVER_APPS)


def plugin_of(meta: Meta, apps: Mapping[str, str]) -> str | None:
    """The application installed with pipx that the distribution plugs into (pipx's name
    for it; ``apps`` maps canonical names to pipx's), or None. Only an application pipx
    manages counts: pytest's plugins are libraries where pytest is one.
    """
    for host in hosts(meta):
        if host in apps:
            return apps[host]
    return None
