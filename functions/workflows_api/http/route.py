"""What a route is: method, path, the function serving it, its handler and its contract.

The table itself is `routes.py`; `openapi.py` documents any table of these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from flask import Request, Response
from pydantic import BaseModel

from workflows_api.http import schemas
from workflows_api.http.errors import ApiError
from workflows_api.http.requests import JSON_TYPES
from workflows_api.http.responses import native_refusal

# A handler takes the App (the services), the request and the path's arguments.
Handler = Callable[..., Response]
# A refusal envelope: how a route answers an error (its body shape).
Refusal = Callable[[ApiError, Request], Response]
Auth = Literal["bearer", "bearer_or_query", "none"]

# Cloud Function names (entry points in functions/main.py).
API_ACCESS = "api_access"
EXECUTE = "execute"
STATUS = "status"
HTTP_FUNCTIONS = (API_ACCESS, EXECUTE, STATUS)


@dataclass(frozen=True)
class Parameter:
    """A documented query-string or header parameter."""

    name: str
    description: str
    type: Literal["string", "integer"] = "string"
    location: Literal["query", "header"] = "query"
    required: bool = False


@dataclass(frozen=True)
class Route:
    method: str
    # Werkzeug rule syntax: "/v1/workflows/<workflow_id>".
    path: str
    function: str
    handler: Handler
    summary: str
    # (status, body model) of the answers it gives when all goes well; None: no body.
    responses: tuple[tuple[int, type[BaseModel] | None], ...] = ((200, None),)
    # Statuses of the errors it may answer, all with the error body of `error_model`.
    errors: tuple[int, ...] = (400, 401, 403, 404)
    error_model: type[BaseModel] = schemas.ErrorBody
    # Answers every refusal of this route, in the body of `error_model`.
    refusal: Refusal = native_refusal
    # The model, or a function giving it (a model imported only when it is needed).
    request_body: type[BaseModel] | Callable[[], type[BaseModel]] | None = None
    request_media_types: tuple[str, ...] = JSON_TYPES
    parameters: tuple[Parameter, ...] = ()
    auth: Auth = "bearer"
    tag: str = "native"

    @property
    def body_model(self) -> type[BaseModel] | None:
        """The request body's model (request_body, resolved)."""
        body = self.request_body
        return body if body is None or isinstance(body, type) else body()

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"
