"""Placeholder: filled in by the nexadata dialect work."""

from __future__ import annotations

from flask import Request, Response

from workflows_api.http.errors import ApiError


def _todo(*args: object, **kwargs: object) -> Response:
    raise ApiError(501, "not_implemented", "Not implemented yet.")


def execute(request: Request, workflow_id: str) -> Response:
    return _todo()


def get_execution(request: Request, execution_id: str) -> Response:
    return _todo()


def retired_pipeline_endpoint(request: Request, rest: str) -> Response:
    return _todo()
