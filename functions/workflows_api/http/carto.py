"""Placeholder: filled in by the carto dialect work."""

from __future__ import annotations

from flask import Request, Response

from workflows_api.http.errors import ApiError


def _todo(*args: object, **kwargs: object) -> Response:
    raise ApiError(501, "not_implemented", "Not implemented yet.")


def create_job(request: Request, connection: str) -> Response:
    return _todo()


def get_job(request: Request, connection: str, external_id: str) -> Response:
    return _todo()
