"""The OpenAPI 3.1 document, generated from the routing tables and their pydantic models,
and the route serving it (`GET /openapi.json`, loaded when the document is asked for:
it needs pydantic and every table)."""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from flask import Request, Response
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from workflows_api.http.native import models as native_models
from workflows_api.http.responses import json_response
from workflows_api.http.routing import PATH_ARGUMENTS, Link, ModelRef, Route
from workflows_api.http.tables import all_routes

if TYPE_CHECKING:
    from workflows_api.bootstrap import App

TITLE = "Workflows API"
VERSION = "1.0.0"
_PATH_ARGUMENT = re.compile(r"<(?:[a-z]+:)?(\w+)>")
_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "bearer": [{"bearerAuth": []}],
    "bearer_or_query": [{"bearerAuth": []}, {"accessToken": []}],
    "none": [],
}
_ANY_STRING = {"type": "string"}  # a path argument PATH_ARGUMENTS does not know
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted: the execution was created",
    204: "No content",
    400: "Bad request",
    401: "Missing or invalid token",
    403: "The token lacks a grant",
    404: "Not found (or another organization's)",
    409: "The resource's state forbids it",
    413: "Body over 1 MiB (1,048,576 bytes)",
    415: "Unsupported content type",
    422: "Refused by BigQuery, or an idempotency key reused",
    503: "A backend is unavailable; retry",
}


def openapi_path(path: str) -> str:
    """Werkzeug's `/v1/workflows/<workflow_id>` as OpenAPI's `/v1/workflows/{workflow_id}`."""
    return _PATH_ARGUMENT.sub(r"{\1}", path)


def operation_id(route: Route) -> str:
    return _operation_id(route.method, route.path)


def _operation_id(method: str, path: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", openapi_path(path).lower()).strip("_")
    return f"{method.lower()}_{words}"


def serve_document(app: App, request: Request) -> Response:
    return json_response(openapi_document(all_routes()))


@cache
def openapi_document(routes: tuple[Route, ...]) -> dict[str, Any]:
    """The document of a routing table (`tables.all_routes()`)."""
    models = _models(routes)
    refs, definitions = models_json_schema(
        [(model, mode) for model, mode in models], ref_template="#/components/schemas/{model}"
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(openapi_path(route.path), {})[route.method.lower()] = _operation(
            route, refs
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Run BigQuery workflows from outside the warehouse: a native "
            "API and the CARTO and Nexadata dialects, over the same services.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "accessToken": {"type": "apiKey", "in": "query", "name": "access_token"},
            },
        },
    }


def model_of(ref: ModelRef) -> type[BaseModel]:
    """The model a route names (`"Name"`, a model of `native/models.py`, or
    `"module:Name"`), holds, or imports."""
    if isinstance(ref, type):
        return ref
    if not isinstance(ref, str):
        return ref()
    module_name, _, name = ref.rpartition(":")
    module = importlib.import_module(module_name) if module_name else native_models
    model = getattr(module, name, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise LookupError(f"{module.__name__} has no model {name!r}")
    return model


def _models(routes: tuple[Route, ...]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    found: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
    for route in routes:
        if route.request_body is not None:
            found[(model_of(route.request_body), "validation")] = None
        for _, model in route.responses:
            if model is not None:
                found[(model_of(model), "serialization")] = None
        if route.errors:
            found[(model_of(route.error_model), "serialization")] = None
    return list(found)


def _operation(route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in route.responses:
        responses[str(status)] = _response(status, None if model is None else model_of(model), refs)
        if model is None and route.text_answers:  # text only (the console's files)
            responses[str(status)]["content"] = {}
        for media_type in route.text_answers:
            responses[str(status)]["content"][media_type] = {"schema": {"type": "string"}}
        if route.links and status < 300:
            responses[str(status)]["links"] = {link.name: _link(link) for link in route.links}
    for status in route.errors:
        responses[str(status)] = _response(status, model_of(route.error_model), refs)
        if status == 503:
            responses[str(status)]["headers"] = dict(_RETRY_AFTER)
    operation: dict[str, Any] = {
        "operationId": operation_id(route),
        "summary": route.summary,
        "tags": [route.tag],
        "security": _SECURITY[route.auth],
        "parameters": _parameters(route),
        "responses": responses,
        "x-cloud-function": route.function,
    }
    if route.request_body is not None:
        schema = refs[(model_of(route.request_body), "validation")]
        operation["requestBody"] = {
            "required": True,
            "description": "At most 1 MiB (413 beyond); other media types answer 415.",
            "content": {media: {"schema": schema} for media in route.request_media_types},
        }
    return operation


def _parameters(route: Route) -> list[dict[str, Any]]:
    in_path = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(PATH_ARGUMENTS.get(name, _ANY_STRING)),
        }
        for name in _PATH_ARGUMENT.findall(route.path)
    ]
    return in_path + [
        {
            "name": p.name,
            "in": p.location,
            "required": p.required,
            "description": p.description,
            "schema": dict(p.schema) if p.schema is not None else {"type": "string"},
        }
        for p in route.parameters
    ]


def _link(link: Link) -> dict[str, Any]:
    return {
        "operationId": _operation_id(link.method, link.path),
        "parameters": dict(link.parameters),
    }


def _response(status: int, model: type[BaseModel] | None, refs: dict[Any, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "Answer")}
    if model is not None:
        response["content"] = {"application/json": {"schema": refs[(model, "serialization")]}}
    elif status != 204:
        response["content"] = {"application/json": {"schema": {"type": "object"}}}
    return response
