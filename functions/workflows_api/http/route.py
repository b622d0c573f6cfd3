"""What a route is: method, path, the function serving it, its handler and its contract.

The table itself is `routes.py`; `openapi.py` documents any table of these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Request, Response
from pydantic import BaseModel

from workflows_api.domain.identifiers import CONNECTION_PATTERN, WORKFLOW_ID_PATTERN
from workflows_api.http import schemas
from workflows_api.http.errors import ApiError
from workflows_api.http.requests import JSON_TYPES
from workflows_api.http.responses import native_refusal

# A handler takes the App (the services), the request and the path's arguments.
Handler = Callable[..., Response]
# A refusal envelope: how a route answers an error (its body shape).
Refusal = Callable[[ApiError, Request], Response]
Auth = Literal["bearer", "bearer_or_query", "none"]

_EXECUTION_ID = "[0-9a-f]{32}"
# What each path argument accepts (JSON Schema); anything else answers 400 or 404.
PATH_ARGUMENTS: dict[str, Mapping[str, Any]] = {
    "workflow_id": {"type": "string", "pattern": WORKFLOW_ID_PATTERN.pattern},
    "execution_id": {"type": "string", "pattern": f"^{_EXECUTION_ID}$"},
    "connection": {"type": "string", "pattern": CONNECTION_PATTERN.pattern},
    "external_id": {"type": "string", "pattern": f"^job_{_EXECUTION_ID}$"},
    "rest": {"type": "string", "minLength": 1},
}
EXECUTION_ID_PATTERN = f"^{_EXECUTION_ID}$"

# Cloud Function names (entry points in functions/main.py).
API_ACCESS = "api_access"
EXECUTE = "execute"
STATUS = "status"
HTTP_FUNCTIONS = (API_ACCESS, EXECUTE, STATUS)


@dataclass(frozen=True)
class Parameter:
    """A documented query-string or header parameter; `schema` (JSON Schema) is what the
    handler accepts, as precisely as JSON Schema says it (a fuzzer generates from it)."""

    name: str
    description: str
    schema: Mapping[str, Any] | None = field(default=None, hash=False)  # None: any string
    location: Literal["query", "header"] = "query"
    required: bool = False


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: a success answer of a route leads to another route (a stateful
    fuzzer follows them to real resources). `parameters`: (the target's parameter, the
    runtime expression giving it, e.g. `$response.body#/id`)."""

    name: str
    method: str
    path: str  # the target route's path, as in the table
    parameters: tuple[tuple[str, str], ...]


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
    # 503 (with Retry-After): a backend is unavailable; every authenticated route reads one.
    errors: tuple[int, ...] = (400, 401, 403, 404, 503)
    error_model: type[BaseModel] = schemas.ErrorBody
    # Answers every refusal of this route, in the body of `error_model`.
    refusal: Refusal = native_refusal
    # The model, or a function giving it (a model imported only when it is needed).
    request_body: type[BaseModel] | Callable[[], type[BaseModel]] | None = None
    request_media_types: tuple[str, ...] = JSON_TYPES
    parameters: tuple[Parameter, ...] = ()
    auth: Auth = "bearer"
    tag: str = "native"
    links: tuple[Link, ...] = ()
    # Media types a success answer may have besides JSON (a string body), on request.
    text_answers: tuple[str, ...] = ()

    @property
    def body_model(self) -> type[BaseModel] | None:
        """The request body's model (request_body, resolved)."""
        body = self.request_body
        return body if body is None or isinstance(body, type) else body()

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"
