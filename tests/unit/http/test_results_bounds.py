"""Results reads are bounded and never crash on their input (issue 23, finding 10): the
rows query bills at most a cap, a page holds at most MAX_PAGE_BYTES of rows (its token
going on from where it ended), and hostile numbers (`offset:²`, 5,000 digits, in a page
token, a page size or a YAML definition) are 400s naming the field."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from tests.support.apps import DEMO_CONNECTION, GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.domain.execution import results
from workflows_api.domain.execution.results import Column
from workflows_api.events.bigquery_audit import _int
from workflows_api.http.tables import all_routes


@pytest.fixture
def client() -> HttpClient:
    world = with_demo_workflow(outcome="succeeded")
    world.warehouse.columns = [Column("id", "INTEGER"), Column("blob", "STRING")]
    world.warehouse.rows = [{"id": i, "blob": "x" * (1024 * 1024)} for i in range(10)]
    return HttpClient(world, all_routes())


def succeeded(client: HttpClient, token: str) -> str:
    answer = client.call(
        "POST", "/v1/workflows/clusters/executions", token=token, body={"parameters": GOOD}
    )
    assert answer.body["state"] == "succeeded", answer.body
    return str(answer.body["id"])


def token_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "page_token",
    [
        token_of("offset:²"),
        token_of("offset:" + "1" * 5000),
        token_of(f"offset:{results.MAX_OFFSET + 1}"),
        token_of("offset:٣"),
    ],
    ids=["superscript", "5000 digits", "past the bound", "arabic digit"],
)
def test_hostile_page_tokens_are_400(client: HttpClient, page_token: str) -> None:
    token = client.token()
    execution_id = succeeded(client, token)
    answer = client.call(
        "GET", f"/v1/executions/{execution_id}/results?page_token={page_token}", token=token
    )
    assert answer.status == 400, answer.body
    assert (answer.body["error"]["code"], answer.body["error"]["field"]) == (
        "invalid_page_token",
        "page_token",
    )


@pytest.mark.parametrize("size", ["٣", "1" * 5000, " 5", "5.0", "-" + "9" * 5000])
def test_hostile_page_sizes_are_400(client: HttpClient, size: str) -> None:
    answer = client.call("GET", "/v1/workflows", token=client.token(), query={"page_size": size})
    assert answer.status == 400, answer.body
    assert answer.body["error"]["field"] == "page_size"


def test_a_yaml_integer_of_5000_digits_is_invalid_yaml(client: HttpClient) -> None:
    body = ("name: x\nnodes: []\nextra: " + "7" * 5000 + "\n").encode()
    answer = client.call(
        "PUT", "/v1/workflows/big", token=client.token(), data=body, content_type="application/yaml"
    )
    assert answer.status == 400, answer.body
    assert (answer.body["error"]["code"], answer.body["error"]["field"]) == ("invalid_yaml", "body")


def test_pages_are_bounded_by_bytes_and_lose_no_row(client: HttpClient) -> None:
    token = client.token()
    execution_id = succeeded(client, token)
    seen: list[int] = []
    sizes: list[int] = []
    page_token = ""
    while True:
        answer = client.call(
            "GET",
            f"/v1/executions/{execution_id}/results",
            token=token,
            query={"page_size": "10000", "page_token": page_token, "geography_format": "wkt"},
        )
        assert answer.status == 200, answer.body
        sizes.append(len(answer.body["rows"]))
        seen += [row["id"] for row in answer.body["rows"]]
        page_token = answer.body["next_page_token"] or ""
        if not page_token:
            break
    assert seen == list(range(10))
    assert max(sizes) == results.MAX_PAGE_BYTES // (1024 * 1024)  # 4 rows of 1 MiB
    assert len(sizes) >= 3


def test_the_rows_query_bills_at_most_the_cap(client: HttpClient) -> None:
    token = client.token()
    execution_id = succeeded(client, token)
    client.call("GET", f"/v1/executions/{execution_id}/results", token=token)
    assert client.world.warehouse.rows_caps == [results.MAX_BYTES_BILLED]
    capped = dataclasses.replace(DEMO_CONNECTION, maximum_bytes_billed=12345)
    client.world.store.put_connection(capped)
    client.call("GET", f"/v1/executions/{execution_id}/results", token=token)
    assert client.world.warehouse.rows_caps[-1] == 12345


def test_audit_numbers_take_ascii_digits_only() -> None:
    assert _int("²") is None and _int("1" * 5000) is None
    assert _int(" 42 ") == 42
