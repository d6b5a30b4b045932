"""The requirement-file reader's pattern-free helpers read lines exactly as pip's patterns do
(pip's ``COMMENT_RE``, ``\\s-``): checked against those patterns on arbitrary text.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from safepip.fastpath import reqfile

#: The characters the patterns turn on, white space of several kinds, and others.
TEXT = st.text(alphabet=st.sampled_from(list(" \t\f\v\u00a0\u3000#-\\;=ab1.")), max_size=30)
COMMENT = re.compile(r"(^|\s+)#.*$")


@given(TEXT)
def test_comment_stripping_is_pips(text: str) -> None:
    assert reqfile._uncommented(text) == COMMENT.sub("", text).strip()
    assert reqfile._is_comment(text) == bool(COMMENT.match(text))


@given(TEXT)
def test_an_option_after_white_space_is_found_as_pip_finds_it(text: str) -> None:
    assert reqfile._space_dash(text) == bool(re.search(r"\s-", text))


def test_a_file_with_comments_and_continuations(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "r.txt").write_text(
        "# caps\n  # indented comment\nfoo>=1 # why\nbar#notacomment\nbaz \\\n  >=2\nqux \\\n# c\n\tquux\\"
    )
    lines = reqfile.read("r.txt", str(tmp_path))
    assert [(line.text, line.comes_from) for line in lines] == [
        ("foo>=1", "-r r.txt (line 3)"),
        ("bar#notacomment", "-r r.txt (line 4)"),
        ("baz   >=2", "-r r.txt (line 5)"),
        ("qux", "-r r.txt (line 7)"),
        ("quux", "-r r.txt (line 9)"),
    ]
