"""The results query and its page tokens."""

from __future__ import annotations

import pytest
import sqlglot

from workflows_api.domain.execution.results import Column, offset_of, page_token, results_query
from workflows_api.domain.workflow.sql_render import UnsafeIdentifier

COLUMNS = [
    Column("id", "INTEGER"),
    Column("geom_buffer", "GEOGRAPHY"),
    Column("tags", "STRING", repeated=True),
    Column("info", "RECORD"),
]


@pytest.mark.parametrize(("fmt", "function"), [("geojson", "ST_ASGEOJSON"), ("wkt", "ST_ASTEXT")])
def test_query_converts_geography_and_orders_by_every_column(fmt: str, function: str) -> None:
    sql = results_query("p-project", "workflows_temp", "t_out", COLUMNS, fmt)  # type: ignore[arg-type]
    assert sql == (
        f"SELECT t.`id`, {function}(t.`geom_buffer`) AS `geom_buffer`, t.`tags`, t.`info` "
        "FROM `p-project`.`workflows_temp`.`t_out` AS t "
        "ORDER BY t.`id`, ST_ASTEXT(t.`geom_buffer`), TO_JSON_STRING(t.`tags`), "
        "TO_JSON_STRING(t.`info`) LIMIT @wfapi_limit OFFSET @wfapi_offset"
    )
    sqlglot.parse_one(sql, read="bigquery")


def test_column_names_are_quoted_by_the_one_function() -> None:
    with pytest.raises(UnsafeIdentifier):
        results_query("p-project", "d", "t", [Column("x`; DROP", "STRING")], "wkt")


@pytest.mark.parametrize("offset", [0, 1, 999, 10**9])
def test_page_tokens_round_trip(offset: int) -> None:
    assert offset_of(page_token(offset)) == offset


@pytest.mark.parametrize("token", ["", "abc", page_token(5)[:-2] + "!!", "b2Zmc2V0Oi0x"])
def test_foreign_page_tokens_are_refused(token: str) -> None:
    assert offset_of(token) is None
