"""Small helpers that shape HTTP responses."""

from __future__ import annotations

import json
from typing import Any

from flask import Request, Response

from workflows_api.http.errors import ApiError


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # A lone surrogate that reached a message becomes its \\ud800 escape: valid UTF-8 JSON.
    text = json.dumps(body, default=str, ensure_ascii=False)
    return Response(
        text.encode("utf-8", "backslashreplace"),
        status=status,
        headers=headers or {},
        mimetype="application/json",
    )


def error_response(error: ApiError) -> Response:
    return json_response(error.to_body(), error.status, error.headers)


def native_refusal(error: ApiError, request: Request) -> Response:
    """The native error envelope (`{"error": {...}}`), for every route but CARTO's."""
    return error_response(error)
