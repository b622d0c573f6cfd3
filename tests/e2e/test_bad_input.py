"""Bad input gets a 4xx JSON error with a stable code, names the field, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.e2e.helpers import SEED_VALUES, Stack, execution_ids

pytestmark = pytest.mark.e2e


def with_values(**changes: Any) -> dict[str, Any]:
    values = {**SEED_VALUES, **changes}
    return {"parameters": {k: v for k, v in values.items() if v is not ...}}


# (case, raw body, content type, status, code, field the error names, text the message holds)
CASES: list[tuple[str, bytes, str, int, str, str | None, str]] = [
    ("malformed json", b'{"parameters": {', "application/json", 400, "invalid_json", None, "JSON"),
    (
        "wrong content type",
        b"parameters=1",
        "text/plain",
        415,
        "unsupported_media_type",
        "Content-Type",
        "application/json",
    ),
    ("not an object", b"[1, 2]", "application/json", 400, "invalid_request", None, "object"),
    (
        "unknown body field",
        json.dumps({**with_values(), "colour": 1}).encode(),
        "application/json",
        400,
        "invalid_request",
        "colour",
        "Extra",
    ),
    (
        "cache not a bool",
        json.dumps({**with_values(), "cache": "no"}).encode(),
        "application/json",
        400,
        "invalid_request",
        "cache",
        "bool",
    ),
    (
        "wait too long",
        json.dumps({**with_values(), "wait_seconds": 3600}).encode(),
        "application/json",
        400,
        "invalid_request",
        "wait_seconds",
        "60",
    ),
    (
        "NaN",
        b'{"parameters": {"number_of_clusters": 2, "buffer_radius": NaN, "store_type": "x"}}',
        "application/json",
        400,
        "invalid_json",
        None,
        "NaN",
    ),
    (
        "Infinity",
        b'{"parameters": {"number_of_clusters": 2, "buffer_radius": Infinity, "store_type": "x"}}',
        "application/json",
        400,
        "invalid_json",
        None,
        "Infinity",
    ),
    (
        "missing parameter",
        json.dumps(with_values(store_type=...)).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "store_type",
        "missing",
    ),
    (
        "unknown parameter",
        json.dumps({"parameters": {**SEED_VALUES, "colour": "red"}}).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "colour",
        "unknown",
    ),
    (
        "string for INT64",
        json.dumps(with_values(number_of_clusters="two")).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "number_of_clusters",
        'INT64, got the string "two"',
    ),
    (
        "float for INT64",
        json.dumps(with_values(number_of_clusters=2.5)).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "number_of_clusters",
        "INT64",
    ),
    (
        "bool for a number",
        json.dumps(with_values(buffer_radius=True)).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "buffer_radius",
        "boolean",
    ),
    (
        "below minimum",
        json.dumps(with_values(number_of_clusters=0)).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "number_of_clusters",
        "1",
    ),
    (
        "above maximum",
        json.dumps(with_values(buffer_radius=1e9)).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "buffer_radius",
        "100000",
    ),
    (
        "too long for max_length",
        json.dumps(with_values(store_type="S" * 101)).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "store_type",
        "100",
    ),
    (
        "very long string",
        json.dumps(with_values(store_type="S" * 200_000)).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "store_type",
        "characters",
    ),
    (
        "control character",
        json.dumps(with_values(store_type="Super\u0000market")).encode(),
        "application/json",
        400,
        "invalid_parameters",
        "store_type",
        "control",
    ),
    (
        "body over 1 MiB",
        json.dumps(with_values(store_type="S" * (1024 * 1024 + 10))).encode(),
        "application/json",
        413,
        "body_too_large",
        None,
        "bytes",
    ),
]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "field", "text"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_execute_request_is_refused_and_writes_nothing(
    http: requests.Session,
    stack: Stack,
    body: bytes,
    content_type: str,
    status: int,
    code: str,
    field: str | None,
    text: str,
) -> None:
    before = execution_ids(stack)
    response = http.post(
        stack.url(f"/v1/workflows/{stack.info['workflow_id']}/executions"),
        data=body,
        headers={**stack.headers(), "Content-Type": content_type},
        timeout=60,
    )
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    if field is not None:
        assert error["field"] == field
    assert text.lower() in error["message"].lower()
    assert execution_ids(stack) == before


def test_every_bad_parameter_is_reported_at_once(http: requests.Session, stack: Stack) -> None:
    response = http.post(
        stack.url(f"/v1/workflows/{stack.info['workflow_id']}/executions"),
        json={"parameters": {"number_of_clusters": "2", "buffer_radius": -1}},
        headers=stack.headers(),
        timeout=60,
    )
    assert response.status_code == 400
    details = {d["parameter"]: d for d in response.json()["error"]["details"]}
    assert set(details) == {"number_of_clusters", "buffer_radius", "store_type"}
    assert details["number_of_clusters"]["expected"] == "INT64"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("POST", "/v1/workflows/no_such_workflow/executions", 404, "workflow_not_found"),
        ("GET", "/v1/workflows/no_such_workflow", 404, "workflow_not_found"),
        ("GET", "/v1/workflows/no_such_workflow/api", 404, "workflow_not_found"),
        ("GET", "/v1/executions/0123456789abcdef0123456789abcdef", 404, "execution_not_found"),
        ("PUT", "/v1/workflows/bad%20id", 400, "invalid_workflow_id"),
        ("GET", "/v1/workflows/bad.id", 404, "workflow_not_found"),
        ("GET", "/v1/executions/a..b", 404, "execution_not_found"),
        ("GET", "/v1/executions/__x__", 404, "execution_not_found"),
        (
            "GET",
            "/v1/workflows/store_clusters/executions?page_token=..%2F..",
            400,
            "invalid_page_token",
        ),
    ],
)
def test_unknown_resources(
    http: requests.Session, stack: Stack, method: str, path: str, status: int, code: str
) -> None:
    before = execution_ids(stack)
    response = http.request(
        method,
        stack.url(path),
        json={"parameters": SEED_VALUES},
        headers=stack.headers(),
        timeout=30,
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert execution_ids(stack) == before
