"""Reading an output table page by page: the query, built from the table's columns.

Rows come in a total order over every column (GEOGRAPHY by its WKT text, arrays
and structs by their JSON text), so LIMIT/OFFSET pages return every row exactly
once even though BigQuery tables have no order of their own. Identical rows are
interchangeable, so ties cannot lose or repeat a row.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Literal

from ..workflow.sql_render import quote_identifier, quote_table_reference

GeographyFormat = Literal["geojson", "wkt"]
LIMIT_PARAMETER = "wfapi_limit"
OFFSET_PARAMETER = "wfapi_offset"
_CURSOR_PREFIX = "offset:"


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
    if not text.startswith(_CURSOR_PREFIX) or not text[len(_CURSOR_PREFIX) :].isdigit():
        return None
    return int(text[len(_CURSOR_PREFIX) :])
