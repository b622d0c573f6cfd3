"""Webhook URLs through PUT /v1/workflows/{id}/webhooks (issue 12 item 5): every internal
range and malformed URL of tests/unit/domain/execution/test_webhook_urls.py is refused
with a 400 naming the URL and its field, nothing stored; a name that resolves inside is
accepted at PUT (names are checked when sending) and its delivery fails with a reason
code."""

from __future__ import annotations

from typing import Any, cast

import pytest

from tests.support.apps import GOOD, with_demo_workflow
from tests.support.fake_queue import InMemoryDeliveryQueue
from tests.support.http_client import HttpClient
from tests.unit.domain.execution.test_webhook_urls import INTERNAL, MALFORMED
from workflows_api.adapters.webhook_http import HttpWebhookSender
from workflows_api.http.tables import all_routes
from workflows_api.service.execution_requests import ExecuteRequest

PATH = "/v1/workflows/clusters/webhooks"


@pytest.fixture(scope="module")
def client() -> HttpClient:
    return HttpClient(with_demo_workflow(), all_routes())


@pytest.mark.parametrize("url", INTERNAL + MALFORMED)
def test_an_internal_or_malformed_url_is_refused_naming_it(client: HttpClient, url: str) -> None:
    urls = ["https://hooks.example.com/ok", url]
    answer = client.call("PUT", PATH, token=client.token(), body={"urls": urls})
    assert answer.status == 400, answer.body
    error: dict[str, Any] = answer.body["error"]
    assert (error["code"], error["field"]) == ("invalid_webhooks", "urls.1")
    assert repr(url)[:100] in error["message"]
    assert client.world.store.webhooks == {}
    assert client.world.store.signing_secrets == {}


def test_a_public_url_is_accepted(client: HttpClient) -> None:
    body = {"urls": ["https://hooks.example.com/ok", "https://[2606:4700:4700::1111]/x"]}
    answer = client.call("PUT", PATH, token=client.token(), body=body)
    assert answer.status == 200, answer.body
    assert answer.body["secret"].startswith("whsec_")
    client.world.store.webhooks.clear()
    client.world.store.signing_secrets.clear()


def test_a_name_resolving_to_loopback_fails_delivery_with_a_reason_code() -> None:
    looked_up: list[str] = []

    def stub_resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    world = with_demo_workflow(
        "succeeded", webhook_sender=HttpWebhookSender(resolver=stub_resolver)
    )
    client = HttpClient(world, all_routes())
    body = {"urls": ["https://hooks.example.com/x"]}
    assert client.call("PUT", PATH, token=client.token(), body=body).status == 200
    execution = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution
    queued = cast(InMemoryDeliveryQueue, world.app.delivery_queue)
    assert queued.drain(world.app.webhooks.deliver, max_deliveries=1) == 1
    recorded = world.store.executions[("demo", execution.id)].deliveries
    assert recorded, "the end of the execution was announced"
    assert {(d.status_code, d.error) for d in recorded} == {(None, "address_not_allowed")}
    assert set(looked_up) == {"hooks.example.com"}
