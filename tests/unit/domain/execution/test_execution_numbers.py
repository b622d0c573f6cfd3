"""Execution numbers (the Nexadata dialect's integer ids): how one is derived from an
execution id, its range, how a path argument reads as one, and a real collision."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tests.support.number_collision import COLLIDING_IDS, COLLIDING_NUMBER
from workflows_api.domain.execution.numbers import (
    LARGEST_NUMBER,
    execution_number,
    parse_execution_number,
)
from workflows_api.domain.execution.states import is_execution_id, new_execution_id


def test_the_number_is_the_first_53_bits_of_the_ids_sha256() -> None:
    execution_id = "0d381fb30db54b0a8ad22bf70ea6752d"
    # 14 hex digits are 56 bits: drop the last 3.
    expected = int(hashlib.sha256(execution_id.encode()).hexdigest()[:14], 16) >> 3
    assert execution_number(execution_id) == expected
    # Pinned: numbers already handed out must keep naming their executions.
    assert execution_number(execution_id) == 5078641758904193


def test_numbers_are_safe_integers_in_javascript_and_spread_over_the_range() -> None:
    assert LARGEST_NUMBER == 2**53 - 1 == 9007199254740991  # Number.MAX_SAFE_INTEGER
    numbers = [execution_number(new_execution_id()) for _ in range(5000)]
    assert all(0 <= n <= LARGEST_NUMBER for n in numbers)
    assert all(float(n) == n and int(float(n)) == n for n in numbers)  # exact as a double
    assert len(set(numbers)) == len(numbers)
    # All 53 bits are used: about half of the numbers have the top one set.
    assert 2000 < sum(n >> 52 for n in numbers) < 3000
    assert max(numbers).bit_length() == 53


def test_any_id_has_a_number() -> None:
    # Ids recorded by tests and tools need not be hex; the number is defined for all.
    assert execution_number("exec-1") != execution_number("exec-2")
    assert execution_number(uuid.UUID(int=0).hex) == execution_number("0" * 32)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("170", 170),
        ("0", 0),
        ("29", 29),
        ("9007199254740991", LARGEST_NUMBER),
        ("5078641758904193", 5078641758904193),
    ],
)
def test_a_canonical_decimal_below_2_to_the_53_reads_as_a_number(text: str, number: int) -> None:
    assert parse_execution_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0170",  # not canonical: one number, one spelling
        "00",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "1_000",
        "\u0661\u0667\u0660",  # Arabic-Indic digits, which int() would read
        "9007199254740992",  # 2^53: no execution has it
        "99999999999999999",
        "0d381fb30db54b0a8ad22bf70ea6752d",  # an execution id, not a number
        "12345678901234567890123456789012",  # 32 digits: an execution id's shape
    ],
)
def test_anything_else_is_not_a_number(text: str) -> None:
    assert parse_execution_number(text) is None


def test_an_id_never_reads_as_a_number() -> None:
    for _ in range(200):
        execution_id = new_execution_id()
        assert is_execution_id(execution_id) and parse_execution_number(execution_id) is None


def test_a_collision_exists_and_is_what_lookups_must_detect() -> None:
    # Two well-formed execution ids with one number (found by a cycle-finding search
    # over 53-bit numbers, see tests/support/number_collision.py): unlikely, not
    # impossible, so the lookup by number is tested against a real one.
    first, second = COLLIDING_IDS
    assert first != second
    assert is_execution_id(first) and is_execution_id(second)
    assert execution_number(first) == execution_number(second) == COLLIDING_NUMBER
