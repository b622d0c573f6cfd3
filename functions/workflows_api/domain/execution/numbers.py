"""Execution numbers: the integer id the Nexadata dialect shows (Nexadata's ids are
integers: `{"id": 170, ...}`, `GET /api/v1/workflows/executions/170`).

An execution's number is the first 53 bits of sha256 of its id, so it is known the
moment the id is drawn: the execution's record carries it from its one create (no second
write, no counter document to contend on), and a single-field index on it (Firestore's
default) finds it again. Numbers are in [0, 2^53 - 1]: every one is a safe integer in
JavaScript (Number.MAX_SAFE_INTEGER) and in any 64-bit type.

Numbers are unique per org in practice, not by construction. With N = 2^53 possible
numbers and n executions recorded in one org within the record retention (90 days,
admission.RECORD_RETENTION), the chance that any two share a number is about
n^2 / 2N: 5.6e-7 for 100 000 executions, 5.6e-5 for a million, 5.5e-3 for ten million
(more than one a second for 90 days); the chance that a given execution shares its
number is about n / N (1.1e-9 at ten million). So a collision is detected, never
assumed away: a lookup by number finds every execution of the org with that number, and
when the caller may see more than one it answers 409 `execution_number_ambiguous`
naming their ids, which still read each execution. Admission does not re-draw ids: that
would cost an indexed read on every execute to save a one-in-a-billion lookup.
"""

from __future__ import annotations

import hashlib
import re

NUMBER_BITS = 53
LARGEST_NUMBER = 2**NUMBER_BITS - 1
# A number as a path argument: canonical decimal (no sign, no leading zero), at most 16
# digits (2^53 has 16); one above LARGEST_NUMBER names no execution.
NUMBER_PATTERN = "0|[1-9][0-9]{0,15}"
_NUMBER = re.compile(NUMBER_PATTERN)


def execution_number(execution_id: str) -> int:
    """The number of the execution `execution_id`: the first 53 bits of its sha256."""
    digest = hashlib.sha256(execution_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - NUMBER_BITS)


def parse_execution_number(text: str) -> int | None:
    """The number `text` writes (canonical decimal, at most LARGEST_NUMBER); None when
    it writes none, such as an execution id."""
    if not _NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if number <= LARGEST_NUMBER else None
