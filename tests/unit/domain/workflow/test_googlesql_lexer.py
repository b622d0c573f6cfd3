"""The GoogleSQL lexer that fragments are cross-checked with."""

from __future__ import annotations

import pytest

from workflows_api.domain.workflow.googlesql_lexer import LexError, code_tokens, lex, nesting_depth


def kinds(text: str) -> list[tuple[str, str]]:
    return [(token.kind, token.text) for token in lex(text)]


def test_literals_hide_what_looks_like_code() -> None:
    assert kinds("SELECT 'a;b', \"c--d\", '''e\n;f''', r'\\d;', b'\\x00' FROM $a") == [
        ("word", "SELECT"),
        ("string", "'a;b'"),
        ("symbol", ","),
        ("string", '"c--d"'),
        ("symbol", ","),
        ("string", "'''e\n;f'''"),
        ("symbol", ","),
        ("string", "r'\\d;'"),
        ("symbol", ","),
        ("string", "b'\\x00'"),
        ("word", "FROM"),
        ("placeholder", "$a"),
    ]


def test_a_backslash_escapes_the_quote_even_in_raw_strings() -> None:
    assert kinds("r'\\';' x") == [("string", "r'\\';'"), ("word", "x")]
    assert kinds("'a\\\\' ; x") == [("string", "'a\\\\'"), ("semicolon", ";"), ("word", "x")]


def test_comments() -> None:
    assert [k for k, _ in kinds("a -- x;\nb # y;\nc /* z; */ d")] == [
        "word", "comment", "word", "comment", "word", "comment", "word",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "`a\\`",  # backslash in a quoted name
        "``",
        "`a\nb`",
        "'unterminated",
        "'''unterminated''",
        "'one\nline'",
        "/* open",
        "SELECT 1\r; x",  # a lone CR: a line end to BigQuery, not to this lexer
        "SELECT \u00e9",
        "SELECT 1 -- caf\u00e9",
        "SELECT @@x",
        "SELECT \x0b1",
    ],
)
def test_ambiguous_or_foreign_text_is_refused(text: str) -> None:
    with pytest.raises(LexError):
        lex(text)


def test_unicode_is_fine_inside_literals_and_quoted_names() -> None:
    assert [k for k, _ in kinds("SELECT 'caf\u00e9' AS `caf\u00e9`")] == [
        "word", "string", "word", "identifier",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("SELECT 1", 0),
        ("SELECT ((1))", 2),
        ("SELECT f(g([1]))", 3),
        ("SELECT CASE WHEN a THEN CASE WHEN b THEN 1 END END", 2),
        ("SELECT NOT NOT NOT a", 3),
        ("SELECT a - b - c", 0),
        ("SELECT - - 1", 2),
        ("SELECT CAST(x AS ARRAY<STRUCT<a INT64>>)", 3),
        ("SELECT a > b, c < d", 0),
    ],
)
def test_nesting_depth(text: str, depth: int) -> None:
    assert nesting_depth(lex(text)) == depth


def test_code_tokens_drop_comments() -> None:
    assert [t.text for t in code_tokens(lex("a /* b */ c"))] == ["a", "c"]
