"""safepip's own pip: the command that runs a pip safepip carries, for targets without one.

A target interpreter without pip (Debian without python3-pip), or an environment made
without pip, is driven with ``<own pip> --python <target> ...``. Installed with pip, safepip
has pip as a dependency, run as ``sys.executable -m pip`` would run it
(:func:`safepip.runner.pip_argv`). Run from safepip.pyz, there is no importable pip (a zip
cannot hold a runnable pip for another process), so safepip runs the pip wheel virtualenv
embeds: a pip wheel is runnable (``python pip.whl/pip``), once copied out of the archive
into the cache directory.
"""

from __future__ import annotations

import os
import sys

from safepip.archive import extract, running_archive
from safepip.errors import InterpreterError
from safepip.runner import pip_argv

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Mapping


def pip_command(environ: Mapping[str, str]) -> list[str]:
    """The argv prefix that runs safepip's own pip (add pip's arguments after it)."""
    if running_archive() is None:
        import importlib.util

        if importlib.util.find_spec("pip") is not None:
            return pip_argv(sys.executable, [])
    return [sys.executable, os.path.join(embedded_pip_wheel(environ), "pip")]


#: The first pip whose ``install --dry-run`` with lazy wheels reads only metadata (older ones
#: download every wheel they resolve: torch's 539 MB to classify it).
LAZY_DRY_RUN = (25, 3)


def version_tuple(text: str) -> tuple[int, ...]:
    """A pip version as numbers: each dotted part's digits, up to the first part without any
    (enough to compare the final releases safepip ships and finds).
    """
    parts = []
    for piece in text.split("."):
        digits = "".join(c for c in piece if c.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def metadata_pip_command(environ: Mapping[str, str]) -> list[str]:
    """safepip's own pip for reading metadata: the installed one when it is new enough to
    resolve without downloading (:data:`LAZY_DRY_RUN`), else virtualenv's embedded one.
    """
    if running_archive() is None:
        import importlib.metadata

        try:
            installed = version_tuple(importlib.metadata.version("pip"))
        except importlib.metadata.PackageNotFoundError:
            installed = ()
        if installed >= LAZY_DRY_RUN:
            return pip_argv(sys.executable, [])
        try:
            wheel = embedded_pip_wheel(environ)
        except InterpreterError:
            return pip_command(environ)
        embedded = version_tuple(os.path.basename(wheel).split("-")[1])
        if installed and embedded <= installed:
            return pip_command(environ)
        return [sys.executable, os.path.join(wheel, "pip")]
    return pip_command(environ)


def embedded_pip_wheel(environ: Mapping[str, str]) -> str:
    """The path of the pip wheel the archive carries (else virtualenv's) for this
    interpreter, as a file on disk.
    """
    from virtualenv.seed.wheels.embed import get_embed_wheel

    from safepip.venv.seedpip import choose

    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    wheel = get_embed_wheel("pip", version)
    carried = choose(sys.version_info[:3], str(wheel.version) if wheel is not None else None)
    if carried is not None and carried.wheel is not None:
        source = carried.wheel
    elif wheel is None:
        raise InterpreterError(
            f"safepip's virtualenv carries no pip for Python {version}; install pip for {sys.executable}"
        )
    else:
        source = str(wheel.path)
    if os.path.isfile(source):
        return source
    from safepip.paths import cache_dir, directory_problem, private_file

    root = cache_dir(environ)
    target = os.path.join(root, "pip", os.path.basename(source))
    # safepip runs this wheel: only a private copy of the user's own counts.
    if not private_file(target, root):
        why = directory_problem(os.path.dirname(target), root, create=True)
        if why is not None:
            raise InterpreterError(f"cannot unpack safepip's pip wheel to {target}: {why}")
        import zipfile

        try:
            extract(source, target)
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise InterpreterError(f"cannot unpack safepip's pip wheel to {target}: {exc}") from None
    return target
