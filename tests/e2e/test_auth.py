"""The auth matrix over HTTP: 401 without a valid token, 403 without the grant, 404 across orgs."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from tests.e2e.conftest import TOKEN_CACHE_SECONDS
from tests.e2e.helpers import SEED_VALUES, Stack, execute, execution_ids
from workflows_api.domain.access.tokens import ALL_GRANTS, Grant, make_token

pytestmark = pytest.mark.e2e


def status_of(
    http: requests.Session, stack: Stack, path: str, token: str | None, method: str = "GET"
) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    body = {"parameters": SEED_VALUES} if method == "POST" else None
    response = http.request(method, stack.url(path), json=body, headers=headers, timeout=120)
    assert response.headers["Content-Type"].startswith("application/json")
    return response.status_code, response.json()["error"]["code"] if not response.ok else ""


def test_missing_malformed_and_wrong_tokens_are_401(http: requests.Session, stack: Stack) -> None:
    path = f"/v1/workflows/{stack.info['workflow_id']}"
    token_id = stack.token.split("_")[1]
    wrong_secret = f"wfa_{token_id}_{'A' * 43}"
    for token, code in [
        (None, "missing_token"),
        ("", "missing_token"),
        ("not-a-token", "invalid_token"),
        (wrong_secret, "invalid_token"),
        (f"wfa_{'0' * 16}_{'A' * 43}", "invalid_token"),
    ]:
        assert status_of(http, stack, path, token) == (401, code), token


def test_missing_grant_is_403(http: requests.Session, stack: Stack) -> None:
    reader = stack.app.admin.create_token("demo", frozenset({Grant.WORKFLOWS_READ})).secret
    workflow = stack.info["workflow_id"]
    assert status_of(http, stack, f"/v1/workflows/{workflow}", reader) == (200, "")
    before = execution_ids(stack)
    assert status_of(http, stack, f"/v1/workflows/{workflow}/executions", reader, "POST") == (
        403,
        "missing_grant",
    )
    assert status_of(http, stack, f"/v1/workflows/{workflow}/api", reader, "DELETE") == (
        403,
        "missing_grant",
    )
    assert execution_ids(stack) == before


def test_token_limited_to_listed_workflows(http: requests.Session, stack: Stack) -> None:
    limited = stack.app.admin.create_token(
        "demo", frozenset(ALL_GRANTS), workflows=("someone_else",)
    ).secret
    workflow = stack.info["workflow_id"]
    assert status_of(http, stack, f"/v1/workflows/{workflow}", limited) == (
        403,
        "workflow_not_allowed",
    )
    listed = http.get(
        stack.url("/v1/workflows"), headers={"Authorization": f"Bearer {limited}"}, timeout=30
    )
    assert workflow not in {w["id"] for w in listed.json()["workflows"]}


def test_other_orgs_resources_are_404(http: requests.Session, stack: Stack) -> None:
    other = stack.info["other_org_token"]
    workflow = stack.info["workflow_id"]
    execution = execute(http, stack, workflow, SEED_VALUES).json()
    before = execution_ids(stack)
    assert status_of(http, stack, f"/v1/workflows/{workflow}", other) == (404, "workflow_not_found")
    assert status_of(http, stack, f"/v1/workflows/{workflow}/executions", other, "POST") == (
        404,
        "workflow_not_found",
    )
    assert status_of(http, stack, f"/v1/executions/{execution['id']}", other) == (
        404,
        "execution_not_found",
    )
    assert status_of(http, stack, f"/v1/workflows/{workflow}/api", other, "DELETE") == (
        404,
        "workflow_not_found",
    )
    assert execution_ids(stack) == before
    assert execution_ids(stack, "other") == set()


def test_revoked_and_expired_tokens_are_401(http: requests.Session, stack: Stack) -> None:
    path = f"/v1/workflows/{stack.info['workflow_id']}"
    new = stack.app.admin.create_token("demo", frozenset(ALL_GRANTS))
    assert status_of(http, stack, path, new.secret) == (200, "")
    stack.app.admin.revoke_token(new.token.token_id)
    time.sleep(TOKEN_CACHE_SECONDS + 0.2)
    assert status_of(http, stack, path, new.secret) == (401, "invalid_token")

    now = dt.datetime.now(dt.UTC)
    expired = make_token(
        "demo",
        frozenset(ALL_GRANTS),
        now - dt.timedelta(days=2),
        expires_at=now - dt.timedelta(seconds=1),
    )
    stack.app.store.create_token(expired.token)
    assert status_of(http, stack, path, expired.secret) == (401, "invalid_token")


def test_secrets_are_stored_hashed(stack: Stack) -> None:
    new = stack.app.admin.create_token("demo", frozenset({Grant.EXECUTIONS_READ}))
    stored = stack.app.firestore.document(f"tokens/{new.token.token_id}").get().to_dict()
    assert stored is not None
    secret_part = new.secret.split("_", 2)[2]
    assert all(secret_part not in str(value) for value in stored.values())
