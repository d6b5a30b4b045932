"""The no-op fast path: units on a hand-made site-packages, the real console script, and a
property test against pip's own resolver on generated environments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from handmade import env_of, req_lines, write_dist
from safepip.facts.pipargs import scan
from safepip.fastpath import options, reqfile
from safepip.fastpath.options import Fallback
from safepip.fastpath.satisfied import Line, looks_like_a_name, satisfied

# ---------------------------------------------------------------- a hand-made environment


def test_a_dist_info_name_and_its_metadata_disagreeing_stands_aside(site: Path) -> None:
    (site / "lib_a-1.0.dist-info").rename(site / "lib_a-0.5.dist-info")  # METADATA still says 1.0
    with pytest.raises(Fallback, match=r"lib_a-0\.5\.dist-info says 0\.5 and its METADATA 1\.0"):
        satisfied(req_lines("lib-a>=1"), env_of(site), "/elsewhere")
    (site / "lib_a-0.5.dist-info").rename(site / "lib_a-1.0.0.dist-info")  # the same version, spelt otherwise
    assert satisfied(req_lines("lib-a>=1"), env_of(site), "/elsewhere") is not None


def test_satisfied_prints_pips_lines_for_requirements_and_dependencies(site: Path) -> None:
    answer = satisfied(req_lines("lib-b[fast]>=1"), env_of(site), "/elsewhere")
    assert answer is not None
    ignored, printed = answer
    assert ignored == []
    assert printed == [
        f"Requirement already satisfied: lib-b[fast]>=1 in {site} (2.0)",
        f"Requirement already satisfied: lib-a>=1.0 in {site} (from lib-b[fast]>=1) (1.0)",
        f"Requirement already satisfied: lib-c in {site} (from lib-b[fast]>=1) (1.5)",
    ]


def test_display_path_is_relative_under_the_working_directory(site: Path) -> None:
    cwd = str(site.parent.parent)
    answer = satisfied([Line("Lib_A", "-r req.txt (line 3)")], env_of(site), cwd)
    assert answer is not None
    assert answer[1] == ["Requirement already satisfied: Lib_A in ./lib/site-packages (from -r req.txt (line 3)) (1.0)"]


def test_a_distribution_without_record_goes_to_pip(site: Path) -> None:
    (site / "lib_c-1.5.dist-info" / "RECORD").unlink()  # what a pip killed mid-install leaves
    with pytest.raises(Fallback, match="lib-c has no RECORD"):
        satisfied(req_lines("lib-b[fast]"), env_of(site), "/elsewhere")
    assert satisfied(req_lines("lib-a"), env_of(site), "/elsewhere") is not None


@pytest.mark.parametrize(
    "requirement",
    ["lib-a>1.0", "lib-a==2", "missing", "lib-c<1.5"],
)
def test_something_to_install_means_none(site: Path, requirement: str) -> None:
    assert satisfied(req_lines(requirement), env_of(site), "/") is None


def test_an_extra_brings_its_requirements(site: Path) -> None:
    (site / "lib_c-1.5.dist-info").rename(site.parent / "moved")
    assert satisfied(req_lines("lib-b"), env_of(site), "/") is not None  # lib-c only for [fast]
    assert satisfied(req_lines("lib-b", "lib-b[fast]"), env_of(site), "/") is None


def test_a_top_level_marker_that_does_not_match_is_ignored_with_pips_line(site: Path) -> None:
    answer = satisfied(req_lines('missing; sys_platform == "nope"', "lib-a"), env_of(site), "/")
    assert answer is not None
    assert answer[0] == ["Ignoring missing: markers 'sys_platform == \"nope\"' don't match your environment"]


@pytest.mark.parametrize(
    ("setup", "requirement"),
    [
        (lambda s: write_dist(s, "lib_a", "2.0"), "lib-a"),  # installed twice
        (lambda s: write_dist(s, "pre", "1.0rc1"), "pre"),  # a pre-release
        (lambda s: (s / "old.egg-link").write_text("/x\n"), "lib-a"),  # legacy editable
        (lambda s: None, "lib-b[nope]"),  # an extra the distribution does not provide
        (lambda s: None, "lib-a @ https://example.org/lib_a-1.0-py3-none-any.whl"),
    ],
)
def test_what_is_not_certain_goes_to_pip(site: Path, setup: object, requirement: str) -> None:
    setup(site)  # type: ignore[operator]
    with pytest.raises(Fallback):
        satisfied(req_lines(requirement), env_of(site), "/")


def test_pth_directories_are_searched_and_harmless_code_is_allowed(site: Path, tmp_path: Path) -> None:
    extra = tmp_path / "src"
    write_dist(extra, "local-proj", "0.1")
    (site / "__editable__.local_proj-0.1.pth").write_text(f"{extra}\n")
    (site / "distutils-precedence.pth").write_text("import os; var = 'SETUPTOOLS_USE_DISTUTILS'\n")
    answer = satisfied(req_lines("local-proj"), env_of(site), "/")
    assert answer is not None
    assert answer[1] == [f"Requirement already satisfied: local-proj in {extra} (0.1)"]


def test_system_site_packages_go_to_pip(site: Path) -> None:
    (site.parent.parent / "pyvenv.cfg").write_text("include-system-site-packages = true\n")
    with pytest.raises(Fallback, match="system site-packages"):
        env_of(site)


def test_requirement_files_are_read_as_pip_reads_them(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.txt").write_text("lib-c  # trailing comment\n")
    (tmp_path / "req.txt").write_bytes(
        b"\xef\xbb\xbf# a comment\n--index-url https://example.org/simple\nlib-a>=1.0 \\\n  ,<3\n\n"
        b"-r sub/more.txt\nlib-b[fast]; python_version >= '3'\n"
    )
    lines = reqfile.read("req.txt", str(tmp_path))
    assert lines == [
        Line("lib-a>=1.0   ,<3", "-r req.txt (line 3)"),
        Line("lib-c", "-r sub/more.txt (line 1)"),
        Line("lib-b[fast]; python_version >= '3'", "-r req.txt (line 7)"),
    ]


@pytest.mark.parametrize(
    "content",
    [
        "-e .\n", "-c constraints.txt\n", "lib-a --hash=sha256\n", "lib-a --hash=sha256:00 --no-binary x\n", "lib-a @ https://example.org/a.whl\n",
        "./local\n", "lib_a-1.0-py3-none-any.whl\n", "lib-a==${VERSION}\n", "--use-feature=truststore\n",
        "--require-hashes\n", "-r missing.txt\n", "https://example.org/a.tar.gz\n", "-r req.txt\n",
    ],
)
def test_requirement_files_outside_the_subset_go_to_pip(tmp_path: Path, content: str) -> None:
    (tmp_path / "req.txt").write_text(content)
    with pytest.raises(reqfile.Unsupported):
        reqfile.read("req.txt", str(tmp_path))


@pytest.mark.parametrize("name", ["pylock.toml", "pylock.dev.toml", "pylock.toml[extra]"])
def test_a_lock_file_given_to_dash_r_is_left_to_pip(tmp_path: Path, name: str) -> None:
    # pip 26 reads these names as PEP 751 locks (TOML), not as requirement lines.
    (tmp_path / name.replace("[extra]", "")).write_text("lib-a\n")
    with pytest.raises(reqfile.Unsupported, match="lock file"):
        reqfile.read(name, str(tmp_path))
    (tmp_path / "pylock.a.b.toml").write_text("lib-a\n")  # not a lock's name: a requirement file
    assert [line.text for line in reqfile.read("pylock.a.b.toml", str(tmp_path))] == ["lib-a"]


def test_a_requirement_file_that_is_not_a_regular_file_is_left_to_pip(tmp_path: Path) -> None:
    # A FIFO (or /dev/stdin, or a shell's <(...)) can be read once: pip must get it whole.
    fifo = tmp_path / "req.fifo"
    os.mkfifo(fifo)
    with pytest.raises(reqfile.Unsupported, match="not a regular file"):
        reqfile.read(str(fifo), str(tmp_path))


def test_a_name_that_exists_on_disk_is_a_path_to_pip(tmp_path: Path) -> None:
    (tmp_path / "myproj").mkdir()
    assert not looks_like_a_name("myproj", str(tmp_path))
    assert looks_like_a_name("otherproj>=1; python_version > '3'", str(tmp_path))


@pytest.mark.parametrize(
    "argv",
    [
        ["install", "-q", "--no-index", "-f", "/w", "x"],
        ["--disable-pip-version-check", "install", "-r", "r.txt", "--prefer-binary", "--no-color"],
        ["install", "--pre", "--index-url=https://example.org/simple", "x", "--timeout", "5"],
    ],
)
def test_safe_options(argv: list[str]) -> None:
    options.check_call(scan(argv))


@pytest.mark.parametrize(
    "argv",
    [
        ["install", "-U", "x"], ["install", "--force-reinstall", "x"], ["install", "-I", "x"],
        ["install", "--no-deps", "x"], ["install", "--prefix", "p", "x"],
        ["install", "--dry-run", "x"],
        ["install", "--target", "t", "x"], ["install", "--user", "x"], ["install", "-v", "x"],
        ["install", "--log", "l", "x"], ["--use-deprecated=legacy-resolver", "install", "x"],
        ["install", "--report", "r.json", "x"], ["install"], ["uninstall", "x"], ["install", "--nope", "x"],
    ],
)
def test_unsafe_options_go_to_pip(argv: list[str]) -> None:
    with pytest.raises(Fallback):
        options.check_call(scan(argv))


def test_pip_settings(tmp_path: Path) -> None:
    quiet_env = {"PIP_QUIET": "2", "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull}
    assert options.settings_quiet(quiet_env, str(tmp_path)) == 2
    with pytest.raises(Fallback, match="PIP_UPGRADE"):
        options.settings_quiet({"PIP_UPGRADE": "1", "PIP_CONFIG_FILE": os.devnull}, str(tmp_path))
    # The machine-wide files are the hermetic fixture's (XDG_CONFIG_DIRS in tmp_path).
    machine = {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": os.environ["XDG_CONFIG_DIRS"]}
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://example.org/simple\n[install]\nfind_links = /w\n")
    assert options.settings_quiet({**machine, "PIP_CONFIG_FILE": str(conf)}, str(tmp_path)) == 0
    conf.write_text("[install]\nforce-reinstall = yes\n")
    with pytest.raises(Fallback, match="force-reinstall"):
        options.settings_quiet({**machine, "PIP_CONFIG_FILE": str(conf)}, str(tmp_path))
    (tmp_path / "env").mkdir()  # the environment's own pip.conf counts too
    (tmp_path / "env" / "pip.conf").write_text("[global]\nupgrade = true\n")
    with pytest.raises(Fallback, match="upgrade"):
        options.settings_quiet(machine, str(tmp_path / "env"))


