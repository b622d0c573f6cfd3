"""The schedule routes' cases of test_http_routes (one success case per route), here to
keep that file short; it joins them to its ROUTE_CASES."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tests.support.apps import GOOD, INVOKER
from tests.support.http_client import HttpClient
from tests.unit.adapters.test_oidc import AUDIENCE, ISSUER, verifier

SCHEDULES = "/v1/workflows/<workflow_id>/schedules"
SCHEDULE = f"{SCHEDULES}/<schedule_id>"
Case = Callable[[HttpClient], None]
SCHEDULE_CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def register(run: Case) -> Case:
        SCHEDULE_CASES[name] = run
        return run

    return register


def create(client: HttpClient, **body: Any) -> dict[str, Any]:
    answer = client.call(
        "POST",
        "/v1/workflows/clusters/schedules",
        token=client.token(),
        body={"cron": "*/5 * * * *", "time_zone": "Europe/Madrid", "parameters": GOOD, **body},
    )
    assert answer.status == 201, answer.body
    return dict(answer.body)


@case(f"POST {SCHEDULES}")
def _create(client: HttpClient) -> None:
    made = create(client, description="every five minutes")
    assert (made["cron"], made["time_zone"], made["paused"], made["cache"]) == (
        "*/5 * * * *",
        "Europe/Madrid",
        False,
        False,
    )
    assert made["next_run_at"] is not None and made["last_runs"] == []
    assert made["last_attempt"] is None and made["last_attempt_at"] is None


@case(f"GET {SCHEDULES}")
def _list(client: HttpClient) -> None:
    made = create(client)
    answer = client.call("GET", "/v1/workflows/clusters/schedules", token=client.token())
    assert [s["id"] for s in answer.body["schedules"]] == [made["id"]]


@case("GET /v1/schedules")
def _list_org(client: HttpClient) -> None:
    made = create(client)
    answer = client.call("GET", "/v1/schedules", token=client.token())
    assert [s["id"] for s in answer.body["schedules"]] == [made["id"]]
    other = client.call("GET", "/v1/schedules", token=client.token("other"))
    assert other.body["schedules"] == []


@case(f"GET {SCHEDULE}")
def _get(client: HttpClient) -> None:
    made = create(client)
    answer = client.call(
        "GET", f"/v1/workflows/clusters/schedules/{made['id']}", token=client.token()
    )
    assert answer.status == 200 and answer.body["id"] == made["id"]


@case(f"PATCH {SCHEDULE}")
def _patch(client: HttpClient) -> None:
    made = create(client)
    answer = client.call(
        "PATCH",
        f"/v1/workflows/clusters/schedules/{made['id']}",
        token=client.token(),
        body={"paused": True, "cron": "0 6 * * MON-FRI"},
    )
    assert answer.status == 200, answer.body
    assert (answer.body["paused"], answer.body["next_run_at"]) == (True, None)


@case(f"DELETE {SCHEDULE}")
def _delete(client: HttpClient) -> None:
    made = create(client)
    path = f"/v1/workflows/clusters/schedules/{made['id']}"
    assert client.call("DELETE", path, token=client.token()).status == 204
    assert client.call("GET", path, token=client.token()).status == 404


@case(f"POST {SCHEDULE}/run")
def _run(client: HttpClient) -> None:
    made = create(client)
    token = client.token()
    answer = client.call("POST", f"/v1/workflows/clusters/schedules/{made['id']}/run", token=token)
    assert answer.status in (200, 202), answer.body
    assert answer.body["trigger"] == f"schedule:{made['id']}"
    read = client.call("GET", f"/v1/workflows/clusters/schedules/{made['id']}", token=token)
    assert [r["execution_id"] for r in read.body["last_runs"]] == [answer.body["id"]]
    assert read.body["last_runs"][0]["state"] in ("created", "running", "succeeded")


@case("POST /v1/orgs/<org>/workflows/<workflow_id>/schedules/<schedule_id>/fires")
def _fire(client: HttpClient) -> None:
    made = create(client)
    path = f"/v1/orgs/demo/workflows/clusters/schedules/{made['id']}/fires"
    at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    headers = {"X-CloudScheduler-ScheduleTime": at.isoformat().replace("+00:00", "Z")}
    answers = [
        client.call(
            "POST",
            path,
            token=ISSUER.token(email=INVOKER, audience=AUDIENCE),
            body={},
            headers=headers,
        )
        for _ in range(2)
    ]
    assert [a.status for a in answers] == [200, 200], answers[0].body
    assert answers[0].body["execution_id"] == answers[1].body["execution_id"] is not None
    listed = client.call(
        "GET",
        "/v1/workflows/clusters/executions",
        token=client.token(),
        query={"trigger": f"schedule:{made['id']}"},
    )
    assert [e["id"] for e in listed.body["executions"]] == [answers[0].body["execution_id"]]


__all__ = ["SCHEDULE_CASES", "verifier"]
