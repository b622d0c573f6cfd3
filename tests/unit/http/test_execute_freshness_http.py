"""The execute answer's cache fields over HTTP (held to the Execution model by the
client): cached_at on a hit, cache_miss naming the changed source; the body's
cache_max_age_seconds is a whole number of seconds, at least 0."""

from __future__ import annotations

from tests.support.apps import GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.http.tables import all_routes

PATH = "/v1/workflows/clusters/executions"


def test_hit_and_miss_say_why() -> None:
    client = HttpClient(with_demo_workflow(outcome="succeeded"), all_routes())
    token = client.token()
    first = client.call("POST", PATH, token=token, body={"parameters": GOOD})
    assert first.body["cached"] is False and first.body["cached_at"] is None
    hit = client.call("POST", PATH, token=token, body={"parameters": GOOD})
    assert hit.status == 200 and hit.body["cached"] is True
    assert hit.body["cached_at"] == first.body["started_at"]
    world = client.world
    world.warehouse.touch_table("demo-project.retail.stores", world.clock.now)
    miss = client.call("POST", PATH, token=token, body={"parameters": GOOD})
    assert miss.body["cached"] is False and miss.body["id"] != first.body["id"]
    assert miss.body["cache_miss"]["reason"] == "source_changed"
    assert miss.body["cache_miss"]["source"] == "demo-project.retail.stores"
    assert "changed since" in miss.body["cache_miss"]["message"]
    status = client.call("GET", f"/v1/executions/{miss.body['id']}", token=token)
    assert status.body["cache_miss"] is None  # an execute answer's, not the record's


def test_a_bad_max_age_is_refused() -> None:
    client = HttpClient(with_demo_workflow(outcome="succeeded"), all_routes())
    token = client.token()
    for bad in (-1, 1.5, "60", True):
        body = {"parameters": GOOD, "cache_max_age_seconds": bad}
        answer = client.call("POST", PATH, token=token, body=body)
        assert answer.status == 400, (bad, answer.body)
        assert answer.body["error"]["field"] == "cache_max_age_seconds"
    ok = client.call(
        "POST", PATH, token=token, body={"parameters": GOOD, "cache_max_age_seconds": 0}
    )
    assert ok.status in (200, 202)
