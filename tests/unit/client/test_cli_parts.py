"""The caller commands' pieces without I/O: parameter typing, profiles, output writers."""

from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from workflows_api_client import config, output
from workflows_api_client.models import ApiParameter, ResultColumn, Results
from workflows_api_client.params import (
    ParameterInputError,
    parameters_json_schema,
    parse_assignments,
)

SCHEMA = [
    ApiParameter(name="n", type="INT64", required=True, description="how many"),
    ApiParameter(name="r", type="FLOAT64", required=True, description=""),
    ApiParameter(name="kind", type="STRING", required=False, description="", default="x"),
    ApiParameter(name="on", type="BOOL", required=False, description=""),
    ApiParameter(name="ids", type="ARRAY<INT64>", required=False, description=""),
    ApiParameter(name="day", type="DATE", required=False, description=""),
]


def test_values_are_typed_by_the_parameter_schema() -> None:
    values = parse_assignments(
        ["n=2", "r=500", "kind=Super=market", "on=yes", "ids=1, 2,3", "day=2026-01-02", "new=7"],
        SCHEMA,
    )
    assert values == {
        "n": 2,
        "r": 500.0,
        "kind": "Super=market",
        "on": True,
        "ids": [1, 2, 3],
        "day": "2026-01-02",
        "new": "7",  # unknown: the server names it
    }
    assert parse_assignments(["ids=[4, 5]"], SCHEMA) == {"ids": [4, 5]}


@pytest.mark.parametrize(
    ("assignment", "field"),
    [("n=two", "n"), ("r=nan", "r"), ("on=maybe", "on"), ("ids=1,x", "ids"), ("n", "n")],
)
def test_unreadable_values_name_their_parameter(assignment: str, field: str) -> None:
    with pytest.raises(ParameterInputError) as raised:
        parse_assignments([assignment], SCHEMA)
    assert raised.value.field == field and "expected" in raised.value.message


def test_without_a_schema_values_are_guessed_from_json() -> None:
    assert parse_assignments(["n=2", "s=Supermarket", "b=true"], None) == {
        "n": 2,
        "s": "Supermarket",
        "b": True,
    }


def test_the_json_schema_of_parameters() -> None:
    schema = parameters_json_schema(SCHEMA)
    assert schema["required"] == ["n", "r"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["n"] == {"type": "integer", "description": "how many"}
    assert schema["properties"]["kind"] == {"type": "string", "default": "x"}
    assert schema["properties"]["ids"] == {"type": "array", "items": {"type": "integer"}}


def test_the_definitions_constraints_join_the_json_schema() -> None:
    definitions = {
        "n": {"name": "n", "type": "INT64", "minimum": 1, "maximum": 50},
        "kind": {"name": "kind", "allowed_values": ["a", "b"], "max_length": 5, "pattern": "^a"},
        "ids": {"name": "ids", "exclusive_minimum": 0, "max_items": 3},
    }
    properties = parameters_json_schema(SCHEMA, definitions)["properties"]
    assert (properties["n"]["minimum"], properties["n"]["maximum"]) == (1, 50)
    kind = {"type": "string", "default": "x", "enum": ["a", "b"], "maxLength": 5}
    assert properties["kind"] == kind  # no pattern: Python's regular expressions are not ECMA's
    assert properties["ids"] == {
        "type": "array",
        "items": {"type": "integer", "exclusiveMinimum": 0},
        "maxItems": 3,
    }


def test_profiles_are_saved_readable_by_their_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    odd = config.Target('https://api.test/"x"', "wfapi_a\\b")
    path = config.save_profile("prod", odd)
    config.save_profile("local", config.Target("http://127.0.0.1:8080", "t2"))
    assert path == tmp_path / "wfapi" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load_profiles()["prod"] == {"url": odd.url, "token": odd.token}
    assert config.resolve(None, None, "prod") == odd
    assert config.resolve("http://other", None, "local") == config.Target("http://other", "t2")
    with pytest.raises(config.ConfigError, match="--token/WFAPI_TOKEN"):
        config.resolve("http://other", None, "missing")


def pages(*row_counts: int, fetched: list[int] | None = None) -> Iterator[Results]:
    columns = [
        ResultColumn(name="id", type="INT64", mode="NULLABLE"),
        ResultColumn(name="geom", type="GEOGRAPHY", mode="NULLABLE"),
    ]
    start = 0
    for index, count in enumerate(row_counts):
        if fetched is not None:
            fetched.append(index)
        rows = [
            {"id": start + i, "geom": {"type": "Point", "coordinates": [start + i, 0]}}
            for i in range(count)
        ]
        start += count
        last = index == len(row_counts) - 1
        yield Results(
            execution_id="e", schema=columns, rows=rows, next_page_token=None if last else "t"
        )


def test_csv_has_a_header_and_every_row_of_every_page() -> None:
    columns, rows = output.limited_rows(pages(2, 3), None)
    out = io.StringIO()
    assert output.write_csv(columns, rows, out) == 5
    table = list(csv.reader(io.StringIO(out.getvalue())))
    assert table[0] == ["id", "geom"] and [r[0] for r in table[1:]] == ["0", "1", "2", "3", "4"]
    assert json.loads(table[1][1]) == {"type": "Point", "coordinates": [0, 0]}


def test_a_limit_stops_fetching_pages() -> None:
    fetched: list[int] = []
    _, rows = output.limited_rows(pages(2, 2, 2, fetched=fetched), 3)
    out = io.StringIO()
    output.write_json(rows, out)
    assert [row["id"] for row in json.loads(out.getvalue())] == [0, 1, 2]
    assert fetched == [0, 1]


def test_geojson_is_a_feature_collection_of_the_geography_column() -> None:
    columns, rows = output.limited_rows(pages(1, 1), None)
    out = io.StringIO()
    output.write_geojson(columns, rows, out)
    collection = json.loads(out.getvalue())
    assert [f["properties"] for f in collection["features"]] == [{"id": 0}, {"id": 1}]
    assert collection["features"][1]["geometry"]["coordinates"] == [1, 0]
    with pytest.raises(output.OutputError):
        output.write_geojson(columns[:1], iter([]), io.StringIO())


def test_empty_outputs_are_still_valid_documents() -> None:
    out = io.StringIO()
    output.write_json(iter([]), out)
    assert json.loads(out.getvalue()) == []
