"""api_access: workflow definitions and API access toggling (native API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.domain.access.identifiers import WORKFLOW_ID_PATTERN
from workflows_api.domain.access.tokens import Grant
from workflows_api.domain.errors import WorkflowInvalid
from workflows_api.domain.execution.webhooks import SIGNATURE_HEADER, redacted_url
from workflows_api.domain.workflow.records import WorkflowRecord
from workflows_api.http.auth import caller
from workflows_api.http.errors import ApiError
from workflows_api.http.models import parse_model
from workflows_api.http.native import models
from workflows_api.http.native.workflow_views import api_state_view, workflow_model
from workflows_api.http.request_parsing import (
    JSON_TYPES,
    YAML_TYPES,
    int_argument,
    json_body,
    parse_json,
    raw_body,
)
from workflows_api.http.responses import json_response


def put_workflow(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.WORKFLOWS_WRITE, workflow_id)
    body, media_type = raw_body(request, JSON_TYPES + YAML_TYPES)
    definition: Any
    if media_type in JSON_TYPES:
        definition = parse_json(body)
    else:
        from workflows_api.domain.workflow.validation import (
            parse_definition_text,  # YAML: only here
        )

        try:
            definition = parse_definition_text(body)
        except WorkflowInvalid as invalid:
            first = invalid.issues[0]
            raise ApiError(400, first.code, f"body: {first.message}", first.field) from None
    if not isinstance(definition, dict):
        raise ApiError(400, "invalid_workflow", "The definition must be a JSON or YAML object.")
    saved = app.workflows.put(
        token.org, workflow_id, definition, request.args.get("connection") or None
    )
    body_out = models.SavedWorkflow(
        **workflow_model(saved.record).model_dump(),
        warnings=[issue.to_dict() for issue in saved.warnings],
    )
    return json_response(body_out.model_dump(mode="json"), 201 if saved.created else 200)


def get_workflow(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.WORKFLOWS_READ, workflow_id)
    record = app.workflows.get(token.org, workflow_id)
    return json_response(workflow_model(record).model_dump(mode="json"))


def list_workflows(app: App, request: Request) -> Response:
    token = caller(app, request, Grant.WORKFLOWS_READ)
    page_size = int_argument(request, "page_size", 50, 1, 100)
    page_token = request.args.get("page_token") or None
    if page_token is not None and not WORKFLOW_ID_PATTERN.fullmatch(page_token):
        # The tokens this route gives are workflow ids (the last of a page).
        raise ApiError(
            400, "invalid_page_token", "page_token: not a token this API gave", "page_token"
        )
    # Filtered before paging: the token is the last id the caller sees (issue 23).
    records, next_token = app.workflows.list(token.org, page_size, page_token, token.workflows)
    body = models.WorkflowList(
        workflows=[workflow_model(r, include_definition=False) for r in records],
        next_page_token=next_token,
    )
    return json_response(body.model_dump(mode="json"))


def delete_workflow(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.WORKFLOWS_WRITE, workflow_id)
    app.schedules.service.delete_workflow(token.org, workflow_id)  # its schedules too
    return Response(status=204)


def get_sql(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.WORKFLOWS_READ, workflow_id)
    answer_format = request.args.get("format", "json")
    if answer_format not in ("json", "text"):
        raise ApiError(
            400,
            "invalid_request",
            f"format: expected json or text, got {answer_format[:40]!r}",
            "format",
        )
    compiled = app.workflows.compiled(token.org, workflow_id)
    if answer_format == "text":
        return Response(compiled.sql, mimetype="application/sql")
    body = models.CompiledSql(
        workflow_id=workflow_id,
        version=compiled.version,
        procedure=compiled.procedure_ref,
        arguments=[models.Argument(name=n, type=t) for n, t in compiled.arguments],
        sql=compiled.sql,
    )
    return json_response(body.model_dump(mode="json"))


def enable_api(app: App, request: Request, workflow_id: str) -> Response:
    return _api_answer(app, request, workflow_id, Grant.WORKFLOWS_WRITE, app.workflows.enable_api)


def get_api(app: App, request: Request, workflow_id: str) -> Response:
    return _api_answer(app, request, workflow_id, Grant.WORKFLOWS_READ, app.workflows.get)


def update_api(app: App, request: Request, workflow_id: str) -> Response:
    return _api_answer(app, request, workflow_id, Grant.WORKFLOWS_WRITE, app.workflows.update_api)


def disable_api(app: App, request: Request, workflow_id: str) -> Response:
    return _api_answer(app, request, workflow_id, Grant.WORKFLOWS_WRITE, app.workflows.disable_api)


def _api_answer(
    app: App,
    request: Request,
    workflow_id: str,
    grant: Grant,
    action: Callable[[str, str], WorkflowRecord],
) -> Response:
    """The API access state after `action(org, workflow_id)` (a read, or a toggle)."""
    token = caller(app, request, grant, workflow_id)
    record = action(token.org, workflow_id)
    return json_response(api_state_view(record, app.workflows.procedure_ref(record)))


def put_webhooks(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.WORKFLOWS_WRITE, workflow_id)
    body = parse_model(models.WebhooksRequest, json_body(request))
    config, secret = app.webhooks.configure(token.org, workflow_id, body.urls, body.rotate_secret)
    return json_response(_webhook_settings(workflow_id, list(config.urls), secret))


def get_webhooks(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.WORKFLOWS_READ, workflow_id)
    config = app.webhooks.get(token.org, workflow_id)
    # A URL's path is often its secret: whole only to who may set them (workflows:write).
    urls = list(config.urls)
    if Grant.WORKFLOWS_WRITE not in token.grants:
        urls = [redacted_url(url) for url in urls]
    return json_response(_webhook_settings(workflow_id, urls, None))


def delete_webhooks(app: App, request: Request, workflow_id: str) -> Response:
    token = caller(app, request, Grant.WORKFLOWS_WRITE, workflow_id)
    app.webhooks.remove(token.org, workflow_id)
    return Response(status=204)


def _webhook_settings(workflow_id: str, urls: list[str], secret: str | None) -> dict[str, Any]:
    return models.WebhookSettings(
        workflow_id=workflow_id,
        urls=urls,
        secret=secret,
        signature_header=f"{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256>",
    ).model_dump(mode="json", exclude_none=True)
