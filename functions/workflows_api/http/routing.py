"""What a route is: method, path, the function serving it, its handler and its contract.

Each surface lists its routes (`native/routes.py`, `carto/routes.py`,
`nexadata/routes.py`); `tables.py` gives each HTTP function its own table from them, and
`openapi.py` documents any table of these. A route names its handler and its refusal
envelope as `"module:function"` (`resolve` imports it on first use), so a table loads
no handler: a function process imports only the handlers of the routes it serves.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from flask import Request, Response

from workflows_api.domain.access.identifiers import CONNECTION_PATTERN, WORKFLOW_ID_PATTERN
from workflows_api.domain.execution.numbers import NUMBER_PATTERN
from workflows_api.http.errors import ApiError
from workflows_api.http.request_parsing import JSON_TYPES

if TYPE_CHECKING:
    from pydantic import BaseModel

# A handler takes the App (the services), the request and the path's arguments.
Handler = Callable[..., Response]
# A refusal envelope: how a route answers an error (its body shape).
Refusal = Callable[[ApiError, Request], Response]
# A function named by its module and its name: "workflows_api.http.native.status:get_execution".
FunctionRef: TypeAlias = str
Auth = Literal["bearer", "bearer_or_query", "none"]
# A body's model: the name of a model, the model itself (a test's own), or a function
# importing it (the definition model). A bare name ("Execution") is a native model
# (`native/models.py`); "module:Name" is another surface's (`carto/models.py`). Names
# keep pydantic out of the tables: a table loads with its function, and `status` serves
# without pydantic (cold start); `openapi.py` resolves them when the document is built.
ModelRef: TypeAlias = "str | type[BaseModel] | Callable[[], type[BaseModel]]"

_EXECUTION_ID = "[0-9a-f]{32}"
# What each path argument accepts (JSON Schema); anything else answers 400 or 404.
PATH_ARGUMENTS: dict[str, Mapping[str, Any]] = {
    "workflow_id": {"type": "string", "pattern": WORKFLOW_ID_PATTERN.pattern},
    "execution_id": {"type": "string", "pattern": f"^{_EXECUTION_ID}$"},
    "connection": {"type": "string", "pattern": CONNECTION_PATTERN.pattern},
    "external_id": {"type": "string", "pattern": f"^job_{_EXECUTION_ID}$"},
    # The Nexadata dialect's: an execution's number, or its id (links handed out before).
    "nexadata_execution_id": {
        "type": "string",
        "pattern": f"^(?:{NUMBER_PATTERN}|{_EXECUTION_ID})$",
    },
    "schedule_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
    "org": {"type": "string", "pattern": CONNECTION_PATTERN.pattern},
    "rest": {"type": "string", "minLength": 1},
    "asset": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
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
    handler: FunctionRef  # "module:function", a Handler
    summary: str
    # (status, body model) of the answers it gives when all goes well; None: no body.
    responses: tuple[tuple[int, ModelRef | None], ...] = ((200, None),)
    # Statuses of the errors it may answer, all with the error body of `error_model`.
    # 503 (with Retry-After): a backend is unavailable; every authenticated route reads one.
    errors: tuple[int, ...] = (400, 401, 403, 404, 503)
    error_model: ModelRef = "ErrorBody"
    # "module:function", the Refusal answering every refusal of this route, in the body
    # of `error_model`.
    refusal: FunctionRef = "workflows_api.http.responses:native_refusal"
    request_body: ModelRef | None = None
    request_media_types: tuple[str, ...] = JSON_TYPES
    parameters: tuple[Parameter, ...] = ()
    auth: Auth = "bearer"
    tag: str = "native"
    links: tuple[Link, ...] = ()
    # Media types a success answer may have besides JSON (a string body), on request.
    text_answers: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    def serve(self) -> Handler:
        """The handler, imported with its module on the first request it serves."""
        handler: Handler = resolve(self.handler)
        return handler

    def refuse(self) -> Refusal:
        """The refusal envelope, imported on the first refusal."""
        refusal: Refusal = resolve(self.refusal)
        return refusal


@cache
def resolve(ref: FunctionRef) -> Any:
    """The function `"module:function"` names, its module imported on first use."""
    module, _, name = ref.partition(":")
    found = getattr(importlib.import_module(module), name, None) if name else None
    if not callable(found):
        raise LookupError(f"{ref!r} names no function (expected 'module:function')")
    return found


# --- Parts the surfaces share -------------------------------------------------------------

WORKFLOW_PATH = "/v1/workflows/<workflow_id>"
EXECUTION_PATH = "/v1/executions/<execution_id>"


def page_parameters(token_pattern: str, default: int, most: int) -> tuple[Parameter, ...]:
    """page_size and page_token; `token_pattern` (anchored) matches the tokens the route
    gives, and an empty page_token reads as none (the first page)."""
    size = {"type": "integer", "minimum": 1, "maximum": most, "default": default}
    token = {"type": "string", "pattern": f"^(?:{token_pattern.strip('^$')})?$"}
    return (
        Parameter("page_size", "Items per page.", size),
        Parameter(
            "page_token",
            "The next_page_token of the previous page (any other value answers 400).",
            token,
        ),
    )
