"""Reading an output table page by page: the query, built from the table's columns.

Rows come in a total order over every column (GEOGRAPHY by its WKT text, arrays
and structs by their JSON text), so LIMIT/OFFSET pages return every row exactly
once even though BigQuery tables have no order of their own. Identical rows are
interchangeable, so ties cannot lose or repeat a row.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..workflow.sql_render import quote_identifier, quote_table_reference

GeographyFormat = Literal["geojson", "wkt"]
LIMIT_PARAMETER = "wfapi_limit"
OFFSET_PARAMETER = "wfapi_offset"
_CURSOR_PREFIX = "offset:"
# Bounds on one results read (issue 23, finding 10): the rows a page may hold, told by
# their size as read (the page ends early, its token going on from there); the furthest
# offset a token may carry (each page is a query that skips that many rows); and the
# bytes a results query may bill (lowered to the connection's cap when it has one).
MAX_PAGE_BYTES = 4 * 1024 * 1024
MAX_OFFSET = 10**9
MAX_BYTES_BILLED = 10 * 1024**3


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # BigQuery's legacy or standard name: INTEGER, STRING, GEOGRAPHY, RECORD...
    repeated: bool = False

    @property
    def is_geography(self) -> bool:
        return self.type == "GEOGRAPHY" and not self.repeated


def results_query(
    table_project: str,
    table_dataset: str,
    table: str,
    columns: list[Column],
    geography_format: GeographyFormat,
) -> str:
    """`SELECT ... ORDER BY ... LIMIT @wfapi_limit OFFSET @wfapi_offset` over the table."""
    source = quote_table_reference(table_project, table_dataset, table)
    select = [_select_expression(column, geography_format) for column in columns]
    order = [_order_expression(column) for column in columns]
    return (
        f"SELECT {', '.join(select)} FROM {source} AS t"
        + (f" ORDER BY {', '.join(order)}" if order else "")
        + f" LIMIT @{LIMIT_PARAMETER} OFFSET @{OFFSET_PARAMETER}"
    )


def _select_expression(column: Column, geography_format: GeographyFormat) -> str:
    name = quote_identifier(column.name)
    if column.is_geography:
        function = "ST_ASGEOJSON" if geography_format == "geojson" else "ST_ASTEXT"
        return f"{function}(t.{name}) AS {name}"
    return f"t.{name}"


def _order_expression(column: Column) -> str:
    name = quote_identifier(column.name)
    if column.is_geography:
        return f"ST_ASTEXT(t.{name})"
    if column.repeated or column.type in ("RECORD", "STRUCT", "JSON"):
        return f"TO_JSON_STRING(t.{name})"
    return f"t.{name}"


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode().rstrip("=")


def offset_of(token: str) -> int | None:
    """The offset a page token stands for; None if it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    digits = text[len(_CURSOR_PREFIX) :]
    # ASCII digits alone ('²' is a digit to str.isdigit, not to int), and few of them.
    if not text.startswith(_CURSOR_PREFIX) or not (digits.isascii() and digits.isdigit()):
        return None
    offset = int(digits) if len(digits) <= len(str(MAX_OFFSET)) else None
    return offset if offset is not None and offset <= MAX_OFFSET else None


@dataclass(frozen=True)
class ReadLimits:
    """What one rows query may bill, and the size of the rows it may hold (row_size)."""

    maximum_bytes_billed: int | None = None
    max_bytes: int | None = None


def row_size(row: Mapping[str, Any]) -> int:
    """About how many bytes a result row takes in an answer (its values as text)."""
    return sum(len(str(value)) + len(name) + 4 for name, value in row.items())
