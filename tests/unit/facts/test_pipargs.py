"""The argv scanner: it must read pip's command line exactly as pip does."""

from __future__ import annotations

import pytest

from helpers import ROOT
from safepip.facts import _pipoptions
from safepip.facts.pipargs import scan


def _unused_old_table_test() -> None:
    """A new or changed pip option must not silently confuse the scanner: regenerate the
    table with tools/gen_pipoptions.py when this fails."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("gen", ROOT / "tools" / "gen_pipoptions.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    sys.modules["gen"] = gen
    spec.loader.exec_module(gen)
    version, main, commands = gen.collect()
    assert main == _pipoptions.GLOBAL, f"pip {version}'s global options changed"
    assert commands == _pipoptions.COMMANDS, f"pip {version}'s command options changed"


@pytest.mark.parametrize(
    ("argv", "command", "positionals"),
    [
        (["install", "x"], "install", ("x",)),
        (["-q", "install", "x"], "install", ("x",)),
        (["install", "x", "-q"], "install", ("x",)),
        (["--isolated", "install", "x"], "install", ("x",)),
        (["--python", "/usr/bin/python3", "install", "x"], "install", ("x",)),
        (["--python=/usr/bin/python3", "install", "x"], "install", ("x",)),
        (["--log", "f.log", "list"], "list", ()),
        (["-vvv", "--no-input", "freeze"], "freeze", ()),
        (["--", "install", "x"], "install", ("x",)),
        (["install", "--", "-weird-name"], "install", ("-weird-name",)),
        (["install", "-r", "req.txt", "x"], "install", ("x",)),
        (["install", "-rreq.txt", "x"], "install", ("x",)),
        (["install", "-qr", "req.txt"], "install", ()),
        (["install", "-e", ".", "y"], "install", ("y",)),
        (["uninstall", "-y", "x"], "uninstall", ("x",)),
        (["--disable-pip", "install", "x"], "install", ("x",)),  # abbreviations are pip's own
        (["list"], "list", ()),
    ],
)
def test_command_and_positionals(argv: list[str], command: str, positionals: tuple[str, ...]) -> None:
    call = scan(argv)
    assert call.error is None
    assert call.command == command
    assert call.positionals == positionals


def test_destination_options_and_values() -> None:
    call = scan(["--python", "py", "install", "--tar", "t", "--prefix=/p", "--root", "/r", "--user", "-U", "x"])
    assert call.last("--python") == "py"
    assert call.last("--target") == "t"
    assert call.last("--prefix") == "/p"
    assert call.last("--root") == "/r"
    assert call.flag("--user", "--no-user") is True
    assert call.has("--upgrade")


def test_user_then_no_user_is_off() -> None:
    assert scan(["install", "--user", "--no-user", "x"]).flag("--user", "--no-user") is False
    assert scan(["install", "x"]).flag("--user", "--no-user") is None


def test_counts_and_clusters() -> None:
    call = scan(["-qq", "install", "-qU", "x"])
    assert call.count("--quiet") == 3
    assert call.has("--upgrade")


def test_requirement_files_and_constraints() -> None:
    call = scan(["install", "-r", "a.txt", "--requirement=b.txt", "-c", "c.txt", "-rd.txt"])
    assert call.values("--requirement") == ["a.txt", "b.txt", "d.txt"]
    assert call.values("--constraint") == ["c.txt"]


def test_without_removes_only_the_named_tokens_in_order() -> None:
    argv = ["-v", "--python", "py", "install", "--user", "-r", "--user", "x", "--python=q"]
    call = scan(argv)
    # "-r --user": --user is the value of -r here, a file name, and must stay.
    assert call.values("--requirement") == ["--user"]
    assert call.without(["--python", "--user"]) == ["-v", "install", "-r", "--user", "x"]


def test_pip_removes_the_first_occurrence_of_the_command_name() -> None:
    # pip's own quirk: the value "install" of --log is removed, not the command.
    call = scan(["--log", "install", "install", "x"])
    assert call.command == "install"
    assert call.last("--log") == "install"
    assert call.positionals == ("x",)


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--no-such-option", "install"], "no such option"),
        (["install", "--pyth", "x"], "ambiguous option"),
        (["install", "--target"], "requires 1 argument"),
        (["install", "--user=yes"], "does not take a value"),
        (["instal", "x"], "unknown command"),
    ],
)
def test_errors_are_reported_not_raised(argv: list[str], error: str) -> None:
    call = scan(argv)
    assert call.error is not None
    assert error in call.error


@pytest.mark.parametrize("argv", [[], ["--version"], ["-h"], ["--help", "install"], ["-V"]])
def test_no_command(argv: list[str]) -> None:
    assert scan(argv).command is None


def test_every_command_has_a_table() -> None:
    assert {"install", "uninstall", "list", "freeze", "show", "check", "inspect", "download", "wheel"} <= set(
        _pipoptions.COMMANDS
    )


def test_newest_is_the_generated_tables_newest() -> None:
    """pipargs.NEWEST stands for _pipoptions.PIP_VERSION where the tables are not loaded
    (tools/gen_pipoptions.py writes both), and the stored versions ascend to it."""
    from safepip.facts.pipargs import NEWEST

    assert NEWEST == _pipoptions.PIP_VERSION == _pipoptions.VERSIONS[-1]
    assert list(_pipoptions.VERSIONS) == sorted(_pipoptions.VERSIONS, key=lambda v: tuple(map(int, v.split("."))))


@pytest.mark.parametrize("version", [None, "", "9.0.1", "22.2", "24.0", "24.3.1", "26.3", "26.3.5", "26.4", "27.0", "30.1.dev0"])
def test_table_version_without_the_tables_agrees_with_the_search(version: str | None) -> None:
    """A pip at least as new as the newest table is read with it, as the search over the stored versions finds."""
    from safepip.facts.pipargs import table_version
    from safepip.facts.piptables import release

    wanted = release(version or _pipoptions.PIP_VERSION)
    chosen = _pipoptions.VERSIONS[0]
    for stored in _pipoptions.VERSIONS:
        if release(stored)[:2] <= wanted[:2]:
            chosen = stored
    assert table_version(version) == chosen


@pytest.mark.parametrize("version", [None, *_pipoptions.VERSIONS])
def test_plain_install_is_read_as_the_tables_read_it(version: str | None) -> None:
    """scan reads a plain ``install`` (what ``safepip run`` resolves) without the tables: as
    they read it, for every stored pip."""
    from safepip.facts import pipargs, piptables

    quick = scan(["install"], version)
    stored = pipargs.table_version(version)
    _, commands = piptables.tables(stored)
    assert "install" in commands
    read = scan(["--isolated", "install"], version)  # the tables' reading, one global option more
    assert quick == read.replace_(argv=("install",), options=())
    assert quick.pip_version == stored and quick.command == "install" and quick.error is None


def test_a_call_keeps_the_option_table_it_was_read_with() -> None:
    """A remembered decision stores the command's table: the scan's own, not a second lookup."""
    from safepip.facts.pipargs import command_table

    call = scan(["install", "-q", "x"], "23.0")
    assert call.table == command_table(call.pip_version, "install")
    assert call.dropping(["--quiet"]).table is call.table
    assert scan(["--version"]).table is None  # no command: no command's table
