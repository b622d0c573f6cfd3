"""Parameter `pattern` constraints: RE2 syntax and semantics, as BigQuery's REGEXP
functions, so a pattern means the same in a definition and in SQL.

RE2 matches in time linear in the input (no backtracking), so no value can make a
match slow. What a pattern may cost is bounded when it is declared: its length, its
group nesting, its repetition counts and the memory of its compiled program.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import re2

MAX_PATTERN_LENGTH = 1_000
MAX_GROUP_NESTING = 32
# RE2 refuses counts above 1000 in {n,m}, but reads a count it cannot parse (such as
# {99999999999}) as literal text: refused here instead, as surely a mistake.
MAX_REPEAT = 1_000
# Memory RE2 may use for the compiled program and its matching caches.
MAX_PATTERN_MEMORY = 1 << 20


class PatternRefused(ValueError):
    """The pattern is not valid RE2, or costs more than the limits allow."""


def check_pattern(pattern: str) -> None:
    """Raise PatternRefused unless `pattern` is a valid RE2 pattern within the limits."""
    _compiled(pattern)


def full_match(pattern: str, value: str) -> bool:
    """Whether all of `value` matches `pattern` (linear time); raises PatternRefused."""
    return _compiled(pattern).fullmatch(value) is not None


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re2._Regexp:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternRefused(f"is longer than {MAX_PATTERN_LENGTH} characters")
    nesting, repeat = _shape(pattern)
    if nesting > MAX_GROUP_NESTING:
        raise PatternRefused(f"nests groups {nesting} deep; at most {MAX_GROUP_NESTING}")
    if repeat > MAX_REPEAT:
        raise PatternRefused(f"repeats {repeat} times; at most {MAX_REPEAT}")
    import re2  # only where a pattern is declared or matched (cold start)

    options = re2.Options()
    options.max_mem = MAX_PATTERN_MEMORY
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "backslashreplace")
        raise PatternRefused(f"is not a valid RE2 pattern: {reason}") from None
    except UnicodeEncodeError:
        raise PatternRefused("holds a lone surrogate, which is not text") from None


def _shape(pattern: str) -> tuple[int, int]:
    """The deepest group nesting and the largest {n} / {n,m} count, outside escapes and
    character classes (a cheap scan: the pattern is at most MAX_PATTERN_LENGTH long)."""
    nesting = deepest = repeat = 0
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            index += 1 if pattern[index + 1 : index + 2] == "^" else 0
            if pattern[index + 1 : index + 2] == "]":
                index += 1  # a leading ] is a member of the class
        elif char == "(":
            nesting += 1
            deepest = max(deepest, nesting)
        elif char == ")":
            nesting -= 1
        elif char == "{":
            end = pattern.find("}", index)
            counts = pattern[index + 1 : end].split(",") if end > 0 else []
            if 1 <= len(counts) <= 2 and all(_is_count(c) for c in counts) and counts[0]:
                repeat = max(repeat, *(int(c) for c in counts if c))
        index += 1
    return deepest, repeat


def _is_count(text: str) -> bool:
    return text == "" or (text.isascii() and text.isdigit())
