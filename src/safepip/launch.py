"""How safepip starts pip, or another module, in an interpreter: never from the working directory.

``python -m pip`` puts the working directory first on ``sys.path`` and only then looks for
pip, so a ``pip/`` or ``pip.py`` in it is what runs, as the user who typed the command: in
``/tmp``, anyone can leave one there. pip's own launcher scripts (``bin/pip``) do not put
the working directory on ``sys.path``. safepip runs ``python -c PROGRAM`` instead: ``-c``
puts the working directory first too (as ``""``), and the program takes that entry off
before it imports anything, then calls what the ``pip`` script calls
(``pip._internal.cli.main:main``; pip before 19.3 through ``runpy``, as ``-m`` does). pip
names itself ``python -m pip`` in its messages for ``-c`` as for ``-m``.

It is faster as well: ``-m`` imports ``runpy`` first (about 6 ms of ``pip --version``
here, docs/performance.md). Standard library only, and nothing imported: the front door
uses it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Sequence

#: The working directory off sys.path, unless PYTHONSAFEPATH (or -P) already left it off.
OFF_PATH = 'import sys\nif sys.path and sys.path[0] == "":\n    del sys.path[0]\n'

PIP_PROGRAM = OFF_PATH + (
    "try:\n"
    "    from pip._internal.cli.main import main\n"
    "except ImportError:\n"
    "    import runpy\n"
    '    runpy.run_module("pip", run_name="__main__", alter_sys=True)\n'
    "else:\n"
    "    sys.exit(main())\n"
)

_MODULE_PROGRAM = OFF_PATH + 'import runpy\nrunpy.run_module(%r, run_name="__main__", alter_sys=True)\n'
_MODULE_HEAD, _MODULE_TAIL = _MODULE_PROGRAM.split("%r")


def pip_argv(python: str, args: Sequence[str]) -> list[str]:
    """The command line that runs pip in ``python``'s environment with ``args``."""
    return [python, "-c", PIP_PROGRAM, *args]


def pip_args(argv: Sequence[str]) -> list[str] | None:
    """pip's arguments when ``argv`` is a :func:`pip_argv` command line, else None."""
    if len(argv) >= 3 and argv[1] == "-c" and argv[2] == PIP_PROGRAM:
        return list(argv[3:])
    return None


def module_argv(python: str, module: str, args: Sequence[str] = ()) -> list[str]:
    """``python -m MODULE args`` without the working directory on ``sys.path``."""
    return [python, "-c", _MODULE_PROGRAM % module, *args]


def shown(argv: Sequence[str]) -> list[str]:
    """``argv`` as people read it: a pip or module program is shown as ``-m NAME``."""
    args = pip_args(argv)
    if args is not None:
        return [argv[0], "-m", "pip", *args]
    if len(argv) >= 3 and argv[1] == "-c" and argv[2].startswith(_MODULE_HEAD) and argv[2].endswith(_MODULE_TAIL):
        name = argv[2][len(_MODULE_HEAD):-len(_MODULE_TAIL)][1:-1]  # the module's repr, less its quotes
        return [argv[0], "-m", name, *argv[3:]]
    return list(argv)
