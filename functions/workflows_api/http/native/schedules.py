"""api_access: schedules, each a Cloud Scheduler job that runs a workflow (native API).
Run-now and Cloud Scheduler's fires are the execute function's (`schedule_runs.py`)."""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Caller, Grant
from workflows_api.domain.schedules import Schedule
from workflows_api.http.auth import caller
from workflows_api.http.models import parse_model
from workflows_api.http.native.schedule_models import ScheduleBody, SchedulePatch
from workflows_api.http.native.schedule_views import schedule_view
from workflows_api.http.request_parsing import int_argument, json_body
from workflows_api.http.responses import json_response
from workflows_api.service.auth import require
from workflows_api.service.schedules import ScheduleChange


def create_schedule(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.SCHEDULES_WRITE, workflow_id)
    require(token, Grant.EXECUTE, workflow_id)
    body = parse_model(ScheduleBody, json_body(request))
    schedule = app.schedules.service.create(
        token.org,
        workflow_id,
        ScheduleChange(
            cron=body.cron,
            time_zone=body.time_zone,
            parameters=body.parameters,
            cache=body.cache,
            description=body.description,
            paused=body.paused,
        ),
    )
    return _answer(
        app,
        token,
        schedule,
        201,
        {"Location": f"/v1/workflows/{workflow_id}/schedules/{schedule.id}"},
    )


def get_schedule(app: App, request: Request, workflow_id: str, schedule_id: str) -> Response:
    token = caller(app, request, Grant.SCHEDULES_READ, workflow_id)
    return _answer(app, token, app.schedules.service.get(token.org, workflow_id, schedule_id))


def list_schedules(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.SCHEDULES_READ, workflow_id)
    return _page(app, request, token, workflow_id)


def list_org_schedules(app: App, request: Request) -> Response:
    token = caller(app, request, Grant.SCHEDULES_READ)
    return _page(app, request, token, None)


def update_schedule(app: App, request: Request, workflow_id: str, schedule_id: str) -> Response:
    token = caller(app, request, Grant.SCHEDULES_WRITE, workflow_id)
    body = parse_model(SchedulePatch, json_body(request))
    if body.parameters is not None or body.cache is not None:
        require(token, Grant.EXECUTE, workflow_id)
    schedule = app.schedules.service.update(
        token.org,
        workflow_id,
        schedule_id,
        ScheduleChange(
            cron=body.cron,
            time_zone=body.time_zone,
            parameters=body.parameters,
            cache=body.cache,
            description=body.description,
            paused=body.paused,
        ),
    )
    return _answer(app, token, schedule)


def delete_schedule(app: App, request: Request, workflow_id: str, schedule_id: str) -> Response:
    token = caller(app, request, Grant.SCHEDULES_WRITE, workflow_id)
    app.schedules.service.delete(token.org, workflow_id, schedule_id)
    return Response(status=204)


def _page(app: App, request: Request, token: Caller, workflow_id: str | None) -> Response:
    schedules, next_token = app.schedules.service.list(
        token.org,
        workflow_id,
        page_size=int_argument(request, "page_size", 50, 1, 100),
        page_token=request.args.get("page_token") or None,
        allows=token.allows_workflow,
    )
    now = app.clock()
    run_of = app.schedules.service.run_of(token.org)
    return json_response(
        {
            "schedules": [schedule_view(s, now, run_of) for s in schedules],
            "next_page_token": next_token,
        }
    )


def _answer(
    app: App,
    token: Caller,
    schedule: Schedule,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    view = schedule_view(schedule, app.clock(), app.schedules.service.run_of(token.org))
    return json_response(view, status, headers)
