"""The status function's native handlers: an execution, a workflow's executions, and a
succeeded execution's rows. Answers are plain data (no pydantic here: cold start)."""

from __future__ import annotations

import datetime as dt

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Grant
from workflows_api.domain.execution.states import TRIGGER_MAX_LENGTH, State
from workflows_api.execution_views import execution_view
from workflows_api.http.auth import caller
from workflows_api.http.errors import ApiError
from workflows_api.http.request_parsing import int_argument
from workflows_api.http.responses import json_response
from workflows_api.http.skeletons import read_execution


def get_execution(app: App, request: Request, execution_id: str) -> Response:
    return json_response(execution_view(read_execution(app, request, execution_id)))


def list_executions(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.EXECUTIONS_READ, workflow_id)
    executions, next_token = app.queries.list_executions(
        token.org,
        workflow_id,
        page_size=int_argument(request, "page_size", 50, 1, 100),
        page_token=request.args.get("page_token") or None,
        state=_state_argument(request),
        created_after=_time_argument(request, "created_after"),
        created_before=_time_argument(request, "created_before"),
        trigger=_trigger_argument(request),
    )
    return json_response(
        {"executions": [execution_view(e) for e in executions], "next_page_token": next_token}
    )


def get_limits(app: App, request: Request) -> Response:
    token = caller(app, request, Grant.EXECUTIONS_READ)
    report = app.lifecycle.limits.report(token.org)
    return json_response(
        {  # models.Limits
            "max_concurrent": report.limits.max_concurrent,
            "max_queued": report.limits.max_queued,
            "submitted": report.submitted,
            "queued": report.queued,
            "submitted_by_workflow": report.workflows,
        }
    )


def get_results(app: App, request: Request, execution_id: str) -> Response:
    token = caller(app, request, Grant.EXECUTIONS_READ)
    geography_format = request.args.get("geography_format", "geojson")
    if geography_format not in ("geojson", "wkt"):
        raise ApiError(
            400,
            "invalid_request",
            "geography_format: expected geojson or wkt",
            "geography_format",
        )
    page = app.results.page(
        token.org,
        execution_id,
        token.allows_workflow,
        page_size=int_argument(request, "page_size", 1000, 1, 10_000),
        page_token=request.args.get("page_token") or None,
        geography_format="geojson" if geography_format == "geojson" else "wkt",
    )
    columns = [
        {"name": c.name, "type": c.type, "mode": "REPEATED" if c.repeated else "NULLABLE"}
        for c in page.columns
    ]
    return json_response(
        {
            "execution_id": execution_id,
            "schema": columns,
            "rows": page.rows,
            "next_page_token": page.next_page_token,
        }
    )


def _state_argument(request: Request) -> State | None:
    raw = request.args.get("state")
    if raw is None:
        return None
    try:
        return State(raw)
    except ValueError:
        raise ApiError(
            400,
            "invalid_request",
            f"state: expected one of {', '.join(s.value for s in State)}",
            "state",
        ) from None


def _trigger_argument(request: Request) -> str | None:
    raw = request.args.get("trigger")
    if raw is not None and len(raw) > TRIGGER_MAX_LENGTH:
        raise ApiError(
            400,
            "invalid_request",
            f"trigger: expected at most {TRIGGER_MAX_LENGTH} characters, like http,"
            " pubsub:<topic> or schedule:<id>",
            "trigger",
        )
    return raw or None


def _time_argument(request: Request, name: str) -> dt.datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ApiError(
            400,
            "invalid_request",
            f"{name}: expected an ISO 8601 time with a zone, like 2026-01-31T12:00:00Z",
            name,
        )
    return value
