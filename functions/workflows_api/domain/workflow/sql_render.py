"""The one place identifiers and literals become SQL text (BigQuery GoogleSQL).

Every identifier that reaches generated SQL goes through `quote_identifier`; only
names that match a strict pattern are accepted, so quoting never needs escapes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal

# Column, parameter, temp table and argument names.
IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,299}$")
# GCP project ids (domain-scoped projects are not supported).
PROJECT_PATTERN = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# Datasets and tables: the strict ASCII subset of what BigQuery allows.
DATASET_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
TABLE_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
# Routine names: letters, digits and underscores, at most 256 characters.
ROUTINE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,255}$")
# A fully qualified `project.dataset.table`, as the procedure's output_table argument.
# The same pattern is embedded in the generated procedure as a guard.
# RE2 (BigQuery) caps repetition counts at 1000, so the parts are unbounded here.
OUTPUT_TABLE_REGEX = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$"
OUTPUT_TABLE_PATTERN = re.compile(OUTPUT_TABLE_REGEX)

_PART_PATTERNS = {
    "identifier": IDENTIFIER_PATTERN,
    "project": PROJECT_PATTERN,
    "dataset": DATASET_PATTERN,
    "table": TABLE_PATTERN,
    "routine": ROUTINE_PATTERN,
}


class UnsafeIdentifier(ValueError):
    """A name that must not be put into SQL."""


def quote_identifier(name: str, kind: str = "identifier") -> str:
    """Backtick-quote one name after checking it against the pattern for its kind.

    `kind` is one of identifier, project, dataset, table, routine.
    """
    pattern = _PART_PATTERNS[kind]
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise UnsafeIdentifier(f"{name!r} is not a valid BigQuery {kind} name")
    return f"`{name}`"


def quote_table_reference(project: str, dataset: str, table: str, kind: str = "table") -> str:
    """`project`.`dataset`.`table`, each part checked and quoted on its own."""
    return ".".join(
        (
            quote_identifier(project, "project"),
            quote_identifier(dataset, "dataset"),
            quote_identifier(table, kind),
        )
    )


def quote_string(value: str) -> str:
    """A GoogleSQL single-quoted string literal. Control characters other than tab,
    newline and carriage return are refused (definitions never need them)."""
    for char in value:
        if ord(char) < 0x20 and char not in "\t\n\r":
            raise ValueError(f"control character {char!r} in string literal")
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


def literal(value: object) -> str:
    """A definition literal (never a caller's parameter value) as SQL."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("non-finite number in a definition")
        return repr(value)
    if isinstance(value, Decimal):
        return f"NUMERIC {quote_string(str(value))}"
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, Sequence):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as a SQL literal")


def call(function: str, *arguments: str) -> str:
    """A function call; `function` is one of our fixed built-in names, never user text."""
    return f"{function}({', '.join(arguments)})"


def column(name: str, table_alias: str | None = None) -> str:
    quoted = quote_identifier(name)
    return f"{quote_identifier(table_alias)}.{quoted}" if table_alias else quoted


def alias(expression: str, name: str) -> str:
    return f"{expression} AS {quote_identifier(name)}"
