"""test_openapi_contract's scenarios for the schedule routes (one valid request each),
and the schedule its fixture makes for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import requests

from tests.e2e.helpers import SEED_VALUES, Stack

Call = Callable[[requests.Session, Stack, dict[str, str]], requests.Response]
SCHEDULES = "/v1/workflows/<workflow_id>/schedules"
SCHEDULE = f"{SCHEDULES}/<schedule_id>"
FIRES = "/v1/orgs/<org>/workflows/<workflow_id>/schedules/<schedule_id>/fires"


def make_schedule(http: requests.Session, stack: Stack, workflow: str, **body: object) -> str:
    answer = http.post(
        stack.url(f"/v1/workflows/{workflow}/schedules"),
        json={"cron": "0 6 * * MON-FRI", "time_zone": "Europe/Madrid", "parameters": SEED_VALUES}
        | body,
        headers=stack.headers(),
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _path(ids: dict[str, str], suffix: str = "") -> str:
    return f"/v1/workflows/{ids['workflow']}/schedules/{ids['schedule']}{suffix}"


def _fire(http: requests.Session, stack: Stack, ids: dict[str, str]) -> requests.Response:
    at = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0).isoformat()
    return http.post(
        stack.url(f"/v1/orgs/demo/workflows/{ids['workflow']}/schedules/{ids['schedule']}/fires"),
        json={},
        headers={
            "Authorization": f"Bearer {ids['invoker_token']}",
            "X-CloudScheduler-ScheduleTime": at,
        },
        timeout=60,
    )


SCHEDULE_SCENARIOS: dict[str, Call] = {
    f"POST {SCHEDULES}": lambda http, stack, ids: http.post(
        stack.url(f"/v1/workflows/{ids['workflow']}/schedules"),
        json={"cron": "0 0 1 1 *", "parameters": SEED_VALUES, "paused": True},
        headers=stack.headers(),
        timeout=30,
    ),
    f"GET {SCHEDULES}": lambda http, stack, ids: http.get(
        stack.url(f"/v1/workflows/{ids['workflow']}/schedules"), headers=stack.headers(), timeout=30
    ),
    "GET /v1/schedules": lambda http, stack, ids: http.get(
        stack.url("/v1/schedules?page_size=2"), headers=stack.headers(), timeout=30
    ),
    f"GET {SCHEDULE}": lambda http, stack, ids: http.get(
        stack.url(_path(ids)), headers=stack.headers(), timeout=30
    ),
    f"PATCH {SCHEDULE}": lambda http, stack, ids: http.patch(
        stack.url(_path(ids)), json={"paused": True}, headers=stack.headers(), timeout=30
    ),
    f"DELETE {SCHEDULE}": lambda http, stack, ids: http.delete(
        stack.url(f"/v1/workflows/{ids['workflow']}/schedules/{ids['disposable_schedule']}"),
        headers=stack.headers(),
        timeout=30,
    ),
    f"POST {SCHEDULE}/run": lambda http, stack, ids: http.post(
        stack.url(_path(ids, "/run")), headers=stack.headers(), timeout=60
    ),
    f"POST {FIRES}": _fire,
}


def concrete(path: str, ids: dict[str, str]) -> str:
    return path.replace("<schedule_id>", ids["schedule"]).replace("<org>", "demo")
