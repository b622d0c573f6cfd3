"""A lexer for the GoogleSQL (BigQuery) surface that user fragments may use.

sqlglot's tokenizer does not lex exactly like BigQuery (a backslash inside backticks is
a plain character to sqlglot, an escape to BigQuery), so fragments are lexed twice:
here, following GoogleSQL's rules, and by sqlglot. `fragments` refuses any fragment on
which the two disagree. Where GoogleSQL's own rules are loose this lexer is stricter,
so that ambiguity becomes a refusal, never a second reading:

- outside string literals and backtick identifiers only ASCII is accepted, and no
  control characters but tab, newline and a carriage return before a newline;
- `--` and `#` comments end at the newline; `/* */` comments do not nest;
- in every quoted literal (raw ones too, as in GoogleSQL) a backslash takes the next
  character with it; one-quote literals may not span lines;
- backslashes, newlines and empty names inside backtick identifiers are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PLACEHOLDER = re.compile(r"[$@][A-Za-z_][A-Za-z0-9_]*")
NUMBER = re.compile(r"(?:0[xX][0-9A-Fa-f]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?\.?)")
STRING_START = re.compile(r"(?:[rR][bB]?|[bB][rR]?)?('''|\"\"\"|'|\")")
SYMBOLS = ("<=", ">=", "<>", "!=", "||", "<<", ">>", "=>")


class LexError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        self.position = position
        super().__init__(f"{message} (at character {position})")


@dataclass(frozen=True)
class Token:
    kind: str  # word, placeholder, number, string, identifier, symbol, semicolon, comment
    start: int
    end: int  # exclusive
    text: str


def lex(text: str) -> list[Token]:
    """The tokens of `text`, comments included; raises LexError on anything ambiguous."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char in " \t\n" or (char == "\r" and text[position + 1 : position + 2] == "\n"):
            position += 1
            continue
        token = _next_token(text, position)
        tokens.append(token)
        position = token.end
    return tokens


def code_tokens(tokens: list[Token]) -> list[Token]:
    return [token for token in tokens if token.kind != "comment"]


def _next_token(text: str, position: int) -> Token:
    char = text[position]
    two = text[position : position + 2]
    if two == "--" or char == "#":
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        return _token(text, "comment", position, end)
    if two == "/*":
        end = text.find("*/", position + 2)
        if end < 0:
            raise LexError("unterminated /* comment", position)
        return _token(text, "comment", position, end + 2)
    if char == "`":
        return _backtick_identifier(text, position)
    if string := STRING_START.match(text, position):
        return _string(text, position, string.end(), string.group(1))
    for pattern, kind in ((WORD, "word"), (PLACEHOLDER, "placeholder"), (NUMBER, "number")):
        if found := pattern.match(text, position):
            return _token(text, kind, position, found.end())
    if char == ";":
        return _token(text, "semicolon", position, position + 1)
    if two in SYMBOLS:
        return _token(text, "symbol", position, position + 2)
    if char in "()[]{},.+-*/%<>=!~&|^:?":
        return _token(text, "symbol", position, position + 1)
    raise LexError(f"unexpected character {char!r}", position)


def _token(text: str, kind: str, start: int, end: int) -> Token:
    value = text[start:end]
    if kind == "comment":
        _require_plain(value, start)
    return Token(kind, start, end, value)


def _require_plain(value: str, start: int) -> None:
    for offset, char in enumerate(value):
        if ord(char) > 0x7E or (ord(char) < 0x20 and char != "\t"):
            if char == "\r" and value[offset + 1 : offset + 2] == "\n":
                continue
            raise LexError(f"character {char!r} is not allowed here", start + offset)


def _backtick_identifier(text: str, start: int) -> Token:
    end = text.find("`", start + 1)
    if end < 0:
        raise LexError("unterminated quoted identifier", start)
    name = text[start + 1 : end]
    if not name:
        raise LexError("empty quoted identifier", start)
    for offset, char in enumerate(name, start + 1):
        if char == "\\":
            raise LexError("backslash inside a quoted identifier", offset)
        if ord(char) < 0x20 or char == "\x7f":
            raise LexError(f"character {char!r} inside a quoted identifier", offset)
    return Token("identifier", start, end + 1, text[start : end + 1])


def _string(text: str, start: int, body: int, quote: str) -> Token:
    position = body
    while position < len(text):
        if text.startswith(quote, position):
            return Token(
                "string", start, position + len(quote), text[start : position + len(quote)]
            )
        char = text[position]
        if len(quote) == 1 and char in "\r\n":
            raise LexError("newline inside a one-quote string literal", position)
        if char == "\x00":
            raise LexError("NUL inside a string literal", position)
        position += 2 if char == "\\" else 1
    raise LexError("unterminated string literal", start)


def nesting_depth(tokens: list[Token]) -> int:
    """How deep expressions nest: brackets and CASE...END, plus runs of prefix
    operators (`NOT NOT x` nests as deep as `((x))` in a parser). Counted on tokens
    so that absurd inputs are refused before any recursive parser sees them."""
    deepest = depth = prefix_run = type_depth = 0
    previous: Token | None = None
    for token in code_tokens(tokens):
        upper = token.text.upper()
        if token.text in ("(", "[") or (token.kind == "word" and upper == "CASE"):
            depth += 1
        elif token.text in (")", "]") or (token.kind == "word" and upper == "END"):
            depth = max(depth - 1, 0)
        elif token.text == "<" and previous is not None and previous.text.upper() in _TYPES:
            depth, type_depth = depth + 1, type_depth + 1  # ARRAY<STRUCT<...>>
        elif token.text in (">", ">>") and type_depth:
            closed = min(len(token.text), type_depth)
            depth, type_depth = max(depth - closed, 0), type_depth - closed
        if _is_prefix_operator(token, previous):
            prefix_run += 1
        else:
            prefix_run = 0
        deepest = max(deepest, depth + prefix_run)
        previous = token
    return deepest


def _is_prefix_operator(token: Token, previous: Token | None) -> bool:
    if token.kind == "word" and token.text.upper() == "NOT":
        return True
    if token.text not in ("-", "+", "~"):
        return False
    # After an operand a sign is binary; after an operator or an opening it is unary.
    return (
        previous is None
        or (previous.kind in ("symbol", "semicolon") and previous.text not in (")", "]"))
        or (previous.kind == "word" and previous.text.upper() in _KEYWORDS_BEFORE_OPERAND)
    )


_TYPES = frozenset(("ARRAY", "STRUCT", "RANGE"))
_KEYWORDS_BEFORE_OPERAND = frozenset(
    "SELECT WHERE AND OR NOT WHEN THEN ELSE CASE ON HAVING BY AS RETURN LIMIT OFFSET".split()  # noqa: SIM905
)
