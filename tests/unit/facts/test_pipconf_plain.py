"""pip.conf files of the plain kind are read without configparser (which imports re), and read
exactly as RawConfigParser reads them; anything else is left to configparser."""

from __future__ import annotations

import configparser

from hypothesis import given, settings
from hypothesis import strategies as st

from safepip.facts.pipconf import normalize, plain

_LINES = st.sampled_from([
    "[global]", "[install]", "[:env:]", "[DEFAULT]", "[global] x", "[a]b]", "[]", "[abc", " [global]", "[global]  ",
    "index-url = https://i", "index_url=https://j", "--no-index: yes", "timeout = 60 ", "  continued", "\tmore",
    "# comment", "; comment", "   # indented comment", "", "   ", "no delimiter", "= no key", "--= dashes only",
    "key = a = b", "key: a: b", "Quiet = 2", "quiet = 3", "[a=b", "trusted-host = h1 h2", "x = ", "\ufeff[global]",
])


def _configparser(text: str) -> list[tuple[str, list[tuple[str, str]]]] | None:
    class Parser(configparser.RawConfigParser):
        def optionxform(self, optionstr: str) -> str:
            return normalize(optionstr)

    parser = Parser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return [(section, parser.items(section)) for section in parser.sections()]


@settings(max_examples=1500, deadline=None)
@given(lines=st.lists(_LINES, max_size=8), newline=st.sampled_from(["\n", "\r\n"]))
def test_a_plain_file_is_read_as_configparser_reads_it(lines: list[str], newline: str) -> None:
    text = newline.join(lines).replace("\r\n", "\n")  # as open() in text mode gives it
    found = plain(text)
    if found is None:
        return  # configparser reads it
    assert [(s, found.items(s)) for s in found.sections()] == _configparser(text)


def test_the_usual_files_are_plain() -> None:
    text = "# machine-wide\n[global]\nindex-url = https://i/simple\ntimeout: 60\n\n[install]\nno_binary = :none:\n"
    found = plain(text)
    assert found is not None
    assert found.sections() == ["global", "install"]
    assert found.items("global") == [("index-url", "https://i/simple"), ("timeout", "60")]
    assert found.items("install") == [("no-binary", ":none:")]
    for other in ("[global]\nfind-links =\n    /a\n    /b\n", "[DEFAULT]\nx = 1\n", "x = 1\n", "[global]\nx = 1\nx = 2\n"):
        assert plain(other) is None
