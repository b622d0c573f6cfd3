"""`executions:read` does not show webhook URLs (issue 23, finding 8): a receiver URL's
path or query is often its secret (Slack-style), so executions show its host and which
receiver it is; the workflow's webhook settings show whole URLs only to callers who may
set them (`workflows:write`)."""

from __future__ import annotations

import json

import pytest

from tests.support.apps import GOOD, START, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.domain.access.tokens import Grant
from workflows_api.domain.execution.delivery_attempts import DeliveryAttempt
from workflows_api.execution_views import execution_view
from workflows_api.http.tables import all_routes

SLACK = "https://hooks.slack.com/services/T0001/B0002/sEcReTsEcReT"
OTHER = "https://example.com:8443/hook?token=q-SeCrEt"
SECRETS = ("sEcReTsEcReT", "q-SeCrEt", "/services/")


@pytest.fixture
def client() -> HttpClient:
    fakes = with_demo_workflow(outcome="succeeded")
    fakes.app.webhooks.configure("demo", "clusters", [SLACK, OTHER], False)
    return HttpClient(fakes, all_routes())


def delivered_execution(client: HttpClient) -> str:
    token = client.token()
    answer = client.call(
        "POST",
        "/v1/workflows/clusters/executions",
        token=token,
        body={"parameters": GOOD, "cache": False},
    )
    assert answer.status in (200, 202), answer.body
    execution_id: str = answer.body["id"]
    store = client.world.store
    for number, url in enumerate([OTHER, SLACK, OTHER], 1):
        attempt = DeliveryAttempt(url, number, START, "succeeded", 500, "http_500")
        store.record_delivery_attempt("demo", execution_id, attempt)
    return execution_id


def test_an_execution_shows_the_host_and_index_not_the_url(client: HttpClient) -> None:
    execution_id = delivered_execution(client)
    reader = client.token(grants=(Grant.EXECUTIONS_READ,))
    for path in (f"/v1/executions/{execution_id}", "/v1/workflows/clusters/executions"):
        answer = client.call("GET", path, token=reader)
        assert answer.status == 200, answer.body
        text = json.dumps(answer.body)
        assert not any(secret in text for secret in SECRETS), text
    answer = client.call("GET", f"/v1/executions/{execution_id}", token=reader)
    shown = [(n["webhook"], n["host"]) for n in answer.body["notifications"]]
    assert shown == [(0, "example.com:8443"), (1, "hooks.slack.com"), (0, "example.com:8443")]


def test_the_webhook_payload_carries_no_url(client: HttpClient) -> None:
    execution_id = delivered_execution(client)
    stored = client.world.store.get_execution("demo", execution_id)
    assert stored is not None
    assert not any(secret in json.dumps(execution_view(stored)) for secret in SECRETS)


def test_webhook_settings_show_urls_to_who_may_set_them_alone(client: HttpClient) -> None:
    path = "/v1/workflows/clusters/webhooks"
    reader = client.token(grants=(Grant.WORKFLOWS_READ,))
    answer = client.call("GET", path, token=reader)
    assert answer.status == 200, answer.body
    assert answer.body["urls"] == ["https://hooks.slack.com/…", "https://example.com:8443/…"]
    owner = client.token(grants=(Grant.WORKFLOWS_READ, Grant.WORKFLOWS_WRITE))
    assert client.call("GET", path, token=owner).body["urls"] == [SLACK, OTHER]
