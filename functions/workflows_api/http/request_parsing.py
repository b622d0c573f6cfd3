"""Reading requests: bodies within limits, strict JSON, arguments, tokens (typed request
models: `models.parse_model`)."""

from __future__ import annotations

import json
from typing import Any

from flask import Request

from workflows_api.domain.plain_data import TooDeep, check_json_nesting, lone_surrogate_path
from workflows_api.http.errors import ApiError

MAX_BODY_BYTES = 1024 * 1024
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def raw_body(request: Request, accepted: tuple[str, ...] = JSON_TYPES) -> tuple[bytes, str]:
    """The body and its media type; 415 for another type, 413 over 1 MiB."""
    media_type = (request.mimetype or "").lower()
    if media_type not in accepted:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type: expected {' or '.join(accepted)}, got {media_type or 'none'}.",
            "Content-Type",
        )
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    return body, media_type


def json_body(request: Request, empty_allowed: bool = False) -> Any:
    """The parsed JSON body; with `empty_allowed`, no body at all reads as `{}` (a body
    without a Content-Type is still refused, never silently dropped)."""
    has_body = bool(request.content_length) or bool(request.mimetype)
    body, _ = raw_body(request) if has_body or not empty_allowed else (b"", "")
    if not body.strip():
        if empty_allowed:
            return {}
        raise ApiError(400, "invalid_json", "The request body is empty; expected a JSON object.")
    return parse_json(body)


def parse_json(body: bytes) -> Any:
    """Strict JSON: UTF-8, no NaN or Infinity (they are not JSON, and not numbers we run),
    nesting bounded before parsing, no lone surrogates (\\ud800) in any string or key."""

    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        check_json_nesting(body)
        data = json.loads(body.decode("utf-8"), parse_constant=reject_constant)
        where = lone_surrogate_path(data)
    except TooDeep as error:
        raise ApiError(400, "body_too_deep", f"body: the request body {error}.", "body") from None
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "The request body is not UTF-8 text.", "body") from None
    except ValueError as error:
        raise ApiError(
            400, "invalid_json", f"The request body is not valid JSON: {error}.", "body"
        ) from None
    if where is not None:
        raise ApiError(
            400,
            "invalid_text",
            f"{where}: holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text.",
            where,
        )
    return data


def int_argument(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(
            400,
            "invalid_request",
            f"{name}: expected an integer from {low} to {high}, got {raw[:40]!r}",
            name,
        )
    return value


def _too_large() -> ApiError:
    return ApiError(413, "body_too_large", f"The request body exceeds {MAX_BODY_BYTES} bytes.")
