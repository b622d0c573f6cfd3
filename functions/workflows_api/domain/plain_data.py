"""Limits on plain data (what JSON and YAML parse to) that hold before anything reads it.

Parsers recurse once per nesting level, so depth is bounded before (JSON) or while
(YAML) parsing, never by catching RecursionError. A lone UTF-16 surrogate ("\\ud800")
is valid JSON but not text: Firestore, BigQuery and UTF-8 cannot store it, so it is
found (and named by its path) before any use, and escaped in every message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Definitions nest about 8 levels (nodes, settings, conditions...), GeoJSON 6.
MAX_NESTING = 64
# Values walked in one document: more than any definition, less than YAML aliases
# can multiply (an alias of an alias... reads as a tree of billions of nodes).
MAX_VALUES = 200_000

# A JSON string (its closing quote optional, so that an unterminated one ends the scan
# in one pass instead of restarting at every quote).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class TooDeep(ValueError):
    """Data nested deeper than MAX_NESTING (or holding more than MAX_VALUES values)."""


def check_json_nesting(text: str | bytes, limit: int = MAX_NESTING) -> None:
    """Raise TooDeep when JSON `text` nests arrays/objects deeper than `limit`.

    Linear and cheap: strings are cut out by one regex pass, the rest reduced to its
    brackets; only those are counted. Malformed JSON is left to the parser to report.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if len(brackets) <= 2 * limit:
        return
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            raise TooDeep(f"nests deeper than {limit} levels")


def printable(text: str) -> str:
    """`text` with lone surrogates written as \\udXXX escapes (valid UTF-8 anywhere)."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def has_lone_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def lone_surrogate_path(data: Any, limit: int = MAX_VALUES) -> str | None:
    """The dotted path of the first string (or key) holding a lone surrogate, else None.

    Raises TooDeep past MAX_NESTING levels or `limit` values (YAML aliases can make a
    small text a huge tree). Iterative: deep data cannot exhaust the stack here.
    """
    pending: list[tuple[str, Any, int]] = [("", data, 0)]
    seen = 0
    while pending:
        path, value, depth = pending.pop()
        seen += 1
        if seen > limit:
            raise TooDeep(f"holds more than {limit} values")
        if depth > MAX_NESTING:
            raise TooDeep(f"nests deeper than {MAX_NESTING} levels")
        if isinstance(value, str):
            if has_lone_surrogate(value):
                return path or "body"
        elif isinstance(value, Mapping):
            for key, item in value.items():
                name = printable(str(key))
                where = f"{path}.{name}" if path else name
                if isinstance(key, str) and has_lone_surrogate(key):
                    return where
                pending.append((where, item, depth + 1))
        elif isinstance(value, list | tuple):
            pending.extend(
                (f"{path}.{i}" if path else str(i), item, depth + 1) for i, item in enumerate(value)
            )
    return None


def json_size_at_least(data: Any, stop: int) -> int:
    """A lower bound of `data`'s compact JSON size in bytes, walked without building it
    and given up once past `stop` (the bound so far is returned): shared references
    (YAML aliases) count every time they are reached, as a serialiser would write them.
    Raises TooDeep past MAX_NESTING levels (so also on a cycle) or MAX_VALUES values."""
    pending: list[tuple[Any, int]] = [(data, 0)]
    size = seen = 0
    while pending and size <= stop:
        value, depth = pending.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise TooDeep(f"holds more than {MAX_VALUES} values")
        if depth > MAX_NESTING:
            raise TooDeep(f"nests deeper than {MAX_NESTING} levels")
        if isinstance(value, str):
            size += len(value) + 2
        elif isinstance(value, Mapping):
            size += 1 + 4 * len(value)  # braces, and per item a colon, a comma, key quotes
            for key, item in value.items():
                size += len(str(key))
                pending.append((item, depth + 1))
        elif isinstance(value, list | tuple):
            size += 1 + len(value)  # brackets and commas
            pending.extend((item, depth + 1) for item in value)
        else:
            size += 1  # a number, true, false or null: at least one byte
    return size
