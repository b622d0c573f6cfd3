"""Result rows written as they arrive, page after page: CSV, JSON, GeoJSON or a table."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from itertools import islice
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.table import Table

from workflows_api_client.models import ResultColumn, Results

OutputFormat = Literal["table", "csv", "json", "geojson"]


class OutputError(ValueError):
    """The rows cannot be written in the format asked for."""


def geography_format_for(output: OutputFormat) -> str:
    """GeoJSON geometries for JSON outputs, WKT text for the tabular ones."""
    return "geojson" if output in ("json", "geojson") else "wkt"


def limited_rows(
    pages: Iterator[Results], limit: int | None
) -> tuple[list[ResultColumn], Iterator[dict[str, Any]]]:
    """The first page's schema, and every row of every page (at most `limit`): pages are
    fetched only as the rows are consumed."""
    first = next(pages)

    def rows() -> Iterator[dict[str, Any]]:
        yield from first.rows
        for page in pages:
            yield from page.rows

    return first.schema_, rows() if limit is None else islice(rows(), limit)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(columns: list[ResultColumn], rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow([c.name for c in columns])
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(c.name)) for c in columns])
        count += 1
    return count


def write_json(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    """A JSON array, written row by row."""
    count = 0
    out.write("[")
    for row in rows:
        out.write(("\n  " if count == 0 else ",\n  ") + json.dumps(row))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_geojson(columns: list[ResultColumn], rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    """A FeatureCollection: the first GEOGRAPHY column is the geometry, the rest properties."""
    geometry = next((c.name for c in columns if c.type == "GEOGRAPHY"), None)
    if geometry is None:
        raise OutputError("the output has no GEOGRAPHY column: choose csv, json or table")
    count = 0
    out.write('{"type": "FeatureCollection", "features": [')
    for row in rows:
        properties = {key: value for key, value in row.items() if key != geometry}
        feature = {"type": "Feature", "geometry": row.get(geometry), "properties": properties}
        out.write(("\n  " if count == 0 else ",\n  ") + json.dumps(feature))
        count += 1
    out.write("\n]}\n" if count else "]}\n")
    return count


def write_table(
    columns: list[ResultColumn], rows: Iterator[dict[str, Any]], console: Console, chunk: int = 500
) -> int:
    """Rich tables of `chunk` rows each, so a long output starts showing at once."""
    count = 0
    while True:
        batch = list(islice(rows, chunk))
        if not batch:
            break
        table = Table(*[c.name for c in columns], show_header=count == 0)
        for row in batch:
            table.add_row(*[_cell(row.get(c.name)) for c in columns])
        console.print(table)
        count += len(batch)
    if count == 0:
        console.print("(no rows)")
    return count
