"""Hostile input, as a new user would send it: every case is a 4xx JSON error naming the
field, answered within 2 s (the target; tested at 5x, BOUND_SECONDS), and the org's
Firestore documents are the same afterwards."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
import requests
from google.cloud import firestore

from tests.e2e.helpers import Stack, execute, poll
from workflows_api.adapters import clients

pytestmark = pytest.mark.e2e

# Fault bound (issue 29: no other wall-clock bound): a hostile input the API did not
# defuse (catastrophic regex backtracking, a quadratic parse) holds a request for
# minutes; the target is 2 s, the bound 5x that, so a loaded 2-core CI cannot flake it.
TARGET_SECONDS = 2.0
BOUND_SECONDS = 5 * TARGET_SECONDS

TYPED_DEFINITION: dict[str, Any] = {
    "name": "Typed parameters",
    "parameters": [
        {"name": "amount", "type": "NUMERIC", "required": False},
        {"name": "ratio", "type": "FLOAT64", "required": False},
        {"name": "moment", "type": "TIMESTAMP", "required": False},
        {"name": "area", "type": "GEOGRAPHY", "required": False},
        {"name": "code", "type": "STRING", "required": False, "pattern": "(a+)+b"},
    ],
    "nodes": [
        {"id": "src", "type": "read_table", "settings": {"table": "retail.stores"}},
        {"id": "out", "type": "output", "inputs": ["src"]},
    ],
}


def org_documents(db: firestore.Client, org: str) -> dict[str, Any]:
    """Every document under orgs/{org}, by path (what a refused request must not change)."""
    found: dict[str, Any] = {}

    def walk(reference: firestore.DocumentReference) -> None:
        for collection in reference.collections():
            for snapshot in collection.stream():
                found[snapshot.reference.path] = snapshot.to_dict()
                walk(snapshot.reference)

    walk(db.collection("orgs").document(org))
    return found


@pytest.fixture(scope="module")
def db(stack: Stack) -> firestore.Client:
    return clients.firestore_client(stack.settings)


@pytest.fixture(scope="module")
def typed_workflow(http: requests.Session, stack: Stack) -> str:
    workflow_id = f"typed_{uuid.uuid4().hex[:8]}"
    put = http.put(
        stack.url(f"/v1/workflows/{workflow_id}"),
        json=TYPED_DEFINITION,
        headers=stack.headers(),
        timeout=30,
    )
    assert put.status_code == 201, put.text
    enabled = http.post(
        stack.url(f"/v1/workflows/{workflow_id}/api"), headers=stack.headers(), timeout=60
    )
    assert enabled.status_code == 200, enabled.text
    return workflow_id


def assert_refused(response: requests.Response, field: str, elapsed: float) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    named = [error.get("field"), *(d.get("field") for d in error.get("details") or [])]
    named += [d.get("parameter") for d in error.get("details") or []]
    assert any(isinstance(n, str) and field in n for n in named), error
    assert elapsed < BOUND_SECONDS, f"answered after {elapsed:.2f} s"


def send(http: requests.Session, stack: Stack, method: str, path: str, **kwargs: Any) -> Any:
    headers = {**stack.headers(), **kwargs.pop("headers", {})}
    started = time.monotonic()
    response = http.request(method, stack.url(path), headers=headers, timeout=60, **kwargs)
    return response, time.monotonic() - started


def nested(depth: int, inner: str = "0") -> str:
    return "[" * depth + inner + "]" * depth


PARAMETER_CASES: list[tuple[str, str, str]] = [
    ("numeric as a string beyond range", '"amount": "1e40"', "amount"),
    ("numeric as a number beyond range", '"amount": 1e30', "amount"),
    ("numeric with a huge exponent", '"amount": "1e999999999"', "amount"),
    ("float64 of 400 digits", '"ratio": ' + "9" * 400, "ratio"),
    ("timestamp beyond year 9999", '"moment": "9999-12-31T23:59:59-23:59"', "moment"),
    (
        "geojson coordinate of 10^400",
        '"area": {"type": "Point", "coordinates": [1' + "0" * 400 + ", 1]}",
        "area",
    ),
    (
        "geojson string nested 3000 deep",
        '"area": ' + json.dumps('{"type": "Point", "coordinates": ' + nested(3000) + "}"),
        "area",
    ),
    ("lone surrogate in a string", '"code": "\\ud800"', "code"),
]


@pytest.mark.parametrize(
    ("values", "field"),
    [case[1:] for case in PARAMETER_CASES],
    ids=[case[0] for case in PARAMETER_CASES],
)
def test_hostile_parameter_values_are_refused(
    http: requests.Session,
    stack: Stack,
    db: firestore.Client,
    typed_workflow: str,
    values: str,
    field: str,
) -> None:
    before = org_documents(db, "demo")
    response, elapsed = send(
        http,
        stack,
        "POST",
        f"/v1/workflows/{typed_workflow}/executions",
        data=('{"parameters": {' + values + "}}").encode(),
        headers={"Content-Type": "application/json"},
    )
    assert_refused(response, field, elapsed)
    assert org_documents(db, "demo") == before


def test_a_backtracking_pattern_costs_no_time(
    http: requests.Session, stack: Stack, db: firestore.Client, typed_workflow: str
) -> None:
    before = org_documents(db, "demo")
    for length in (26, 30, 40):
        response, elapsed = send(
            http,
            stack,
            "POST",
            f"/v1/workflows/{typed_workflow}/executions",
            json={"parameters": {"code": "a" * length + "!"}},
        )
        assert_refused(response, "code", elapsed)
    assert org_documents(db, "demo") == before


def definition_with(**changes: Any) -> dict[str, Any]:
    return {**TYPED_DEFINITION, **changes}


def node_with(**settings: Any) -> dict[str, Any]:
    return definition_with(
        nodes=[
            {"id": "src", "type": "read_table", "settings": {"table": "retail.stores"}},
            {"id": "shaped", "type": "custom_sql", "inputs": ["src"], "settings": settings},
            {"id": "out", "type": "output", "inputs": ["shaped"]},
        ]
    )


def pattern_of(pattern: str) -> dict[str, Any]:
    return definition_with(
        parameters=[{"name": "code", "type": "STRING", "required": False, "pattern": pattern}]
    )


DEFINITION_CASES: list[tuple[str, bytes, str, str]] = [
    (
        "lone surrogate in the name",
        b'{"name": "\\ud800", "nodes": ' + json.dumps(TYPED_DEFINITION["nodes"]).encode() + b"}",
        "application/json",
        "name",
    ),
    ("json nested 50000 deep", nested(50_000).encode(), "application/json", "body"),
    (
        "yaml nested 50000 deep",
        ("name: x\nnodes: " + nested(50_000)).encode(),
        "application/yaml",
        "body",
    ),
    (
        "yaml .nan distance",
        (
            b"nodes:\n"
            b"  - {id: src, type: read_table, settings: {table: retail.stores}}\n"
            b"  - {id: buf, type: buffer, inputs: [src],"
            b" settings: {geography_column: geom, distance: .nan, output_column: b}}\n"
            b"  - {id: out, type: output, inputs: [buf]}\n"
        ),
        "application/yaml",
        "distance",
    ),
    (
        "yaml .inf distance",
        (
            b"nodes:\n"
            b"  - {id: src, type: read_table, settings: {table: retail.stores}}\n"
            b"  - {id: buf, type: buffer, inputs: [src],"
            b" settings: {geography_column: geom, distance: .inf, output_column: b}}\n"
            b"  - {id: out, type: output, inputs: [buf]}\n"
        ),
        "application/yaml",
        "distance",
    ),
    (
        "extra field at the top and in a node",
        json.dumps(
            definition_with(
                colour="red",
                nodes=[
                    {
                        "id": "src",
                        "type": "read_table",
                        "settings": {"table": "retail.stores"},
                        "shade": 1,
                    },
                    {"id": "out", "type": "output", "inputs": ["src"]},
                ],
            )
        ).encode(),
        "application/json",
        "colour",
    ),
    (
        "pattern with a huge repeat count",
        json.dumps(pattern_of("a{99999999999}")).encode(),
        "application/json",
        "pattern",
    ),
    (
        "pattern of 1000 nested groups",
        json.dumps(pattern_of("(" * 1000 + "a" + ")" * 1000)).encode(),
        "application/json",
        "pattern",
    ),
    (
        "custom_sql with 3000 nested parentheses",
        json.dumps(
            node_with(sql="SELECT " + "(" * 3000 + "1" + ")" * 3000 + " AS x FROM $a")
        ).encode(),
        "application/json",
        "sql",
    ),
]


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [case[1:] for case in DEFINITION_CASES],
    ids=[case[0] for case in DEFINITION_CASES],
)
def test_hostile_definitions_are_refused_and_stay_absent(
    http: requests.Session,
    stack: Stack,
    db: firestore.Client,
    body: bytes,
    content_type: str,
    field: str,
) -> None:
    workflow_id = f"hostile_{uuid.uuid4().hex[:8]}"
    before = org_documents(db, "demo")
    response, elapsed = send(
        http,
        stack,
        "PUT",
        f"/v1/workflows/{workflow_id}",
        data=body,
        headers={"Content-Type": content_type},
    )
    assert_refused(response, field, elapsed)
    assert org_documents(db, "demo") == before
    absent = http.get(
        stack.url(f"/v1/workflows/{workflow_id}"), headers=stack.headers(), timeout=30
    )
    assert absent.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("PUT", "/v1/workflows/x_conn?connection=a/b", "connection"),
        ("GET", "/v1/workflows?page_token=%00junk%FF", "page_token"),
        ("GET", "/v1/workflows?page_token=" + "z" * 5000, "page_token"),
    ],
    ids=["connection with a slash", "junk page token", "huge page token"],
)
def test_hostile_query_strings_are_refused(
    http: requests.Session, stack: Stack, db: firestore.Client, method: str, path: str, field: str
) -> None:
    before = org_documents(db, "demo")
    response, elapsed = send(http, stack, method, path, json=TYPED_DEFINITION)
    assert_refused(response, field, elapsed)
    assert org_documents(db, "demo") == before


def test_a_jwt_nested_deep_is_unauthenticated(
    http: requests.Session, stack: Stack, db: firestore.Client
) -> None:
    # 2,900 levels: as deep as fits the local server's 8 KiB header limit (5,000 does not),
    # and far past the 1,000 at which Python's JSON parser gives up by RecursionError.
    header = base64.urlsafe_b64encode(nested(2900).encode()).decode().rstrip("=")
    payload = base64.urlsafe_b64encode(b'{"sub": "x"}').decode().rstrip("=")
    before = org_documents(db, "demo")
    response, elapsed = send(
        http,
        stack,
        "GET",
        "/v1/workflows",
        headers={"Authorization": f"Bearer {header}.{payload}.c2ln"},
    )
    assert response.status_code == 401, response.text[:500]
    assert_refused(response, "Authorization", elapsed)
    assert org_documents(db, "demo") == before


def test_every_list_route_refuses_a_junk_page_token(
    http: requests.Session, stack: Stack, db: firestore.Client, typed_workflow: str
) -> None:
    started = execute(http, stack, typed_workflow, {}).json()
    assert poll(http, stack, started["id"])["state"] == "succeeded"
    before = org_documents(db, "demo")
    paths = [
        f"/v1/workflows/{typed_workflow}/executions",
        f"/v1/executions/{started['id']}/results",
    ]
    for path in paths:
        for junk in ("%00junk%FF", "z" * 5000, "x/y"):
            response, elapsed = send(http, stack, "GET", f"{path}?page_token={junk}")
            assert_refused(response, "page_token", elapsed)
            assert response.json()["error"]["code"] == "invalid_page_token"
    assert org_documents(db, "demo") == before
