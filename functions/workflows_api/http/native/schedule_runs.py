"""The execute function's schedule handlers: run a schedule now (a caller), and Cloud
Scheduler's fires (the invoker account's OIDC ID token only; service/schedule_fires.py)."""

from __future__ import annotations

import datetime as dt

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Grant
from workflows_api.domain.timestamps import iso_utc
from workflows_api.execution_views import execution_view
from workflows_api.http.auth import caller, presented_credential
from workflows_api.http.errors import ApiError
from workflows_api.http.native.execute import idempotency_key
from workflows_api.http.responses import json_response
from workflows_api.service.auth import require

SCHEDULE_TIME_HEADER = "X-CloudScheduler-ScheduleTime"


def run_schedule(app: App, request: Request, workflow_id: str, schedule_id: str) -> Response:
    token = caller(app, request, Grant.SCHEDULES_WRITE, workflow_id)
    require(token, Grant.EXECUTE, workflow_id)
    result = app.schedules.fires.run_now(
        token.org, workflow_id, schedule_id, idempotency_key(request)
    )
    execution = result.execution
    return json_response(
        execution_view(execution, cached=result.reused),
        200 if result.reused or execution.state.is_terminal else 202,
        headers={"Location": f"/v1/executions/{execution.id}"},
    )


def fire_schedule(
    app: App, request: Request, org: str, workflow_id: str, schedule_id: str
) -> Response:
    app.schedules.fires.check_invoker(presented_credential(app, request))
    scheduled_at = _schedule_time(request)
    outcome = app.schedules.fires.fire(org, workflow_id, schedule_id, scheduled_at)
    attempt = outcome.attempt
    error = (
        None
        if attempt.error_code is None
        else {"code": attempt.error_code, "message": attempt.error_message or ""}
    )
    return json_response(
        {
            "schedule_id": schedule_id,
            "scheduled_at": iso_utc(attempt.scheduled_at),
            "execution_id": attempt.execution_id,
            "error": error,
        }
    )


def _schedule_time(request: Request) -> dt.datetime:
    raw = request.headers.get(SCHEDULE_TIME_HEADER, "")
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ApiError(
            400,
            "invalid_schedule_time",
            f"{SCHEDULE_TIME_HEADER}: expected an RFC 3339 time, got {raw[:40]!r}",
            SCHEDULE_TIME_HEADER,
        )
    return value.astimezone(dt.UTC)
