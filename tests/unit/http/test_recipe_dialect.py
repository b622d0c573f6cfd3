"""Recipe "add a dialect", followed once with a test-only surface ("Acme").

A dialect is one package, `http/<dialect>/`: its models, a parse into the service's
request, a view, its handlers, and its route list naming them; it reuses the shared
execute and status skeletons (http/skeletons.py) and, when its errors have their own
shape, brings its refusal envelope. Besides the package, only `http/tables.py` changes
(the list joins `SURFACES`): the dispatcher, the services and the OpenAPI generator
serve it as they are. (In the source tree the package holds `models.py`, `views.py`
(plain data, no pydantic), `execute.py` and `status.py` (the handlers of each
function), `routes.py` and `__init__.py`: see ARCHITECTURE.md. Here it is this one
module, and the routes name its handlers as `f"{__name__}:run"`.)
"""

from __future__ import annotations

from typing import Any

from flask import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tests.support.apps import GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.bootstrap import App
from workflows_api.domain.execution.states import Execution
from workflows_api.domain.timestamps import iso_utc
from workflows_api.http.errors import ApiError
from workflows_api.http.models import parse_model
from workflows_api.http.openapi import openapi_document
from workflows_api.http.request_parsing import json_body
from workflows_api.http.responses import json_response
from workflows_api.http.routing import EXECUTE, STATUS, Route
from workflows_api.http.skeletons import execute_workflow, read_execution
from workflows_api.service.execution_requests import ExecuteRequest

# 1. The models (http/<dialect>/models.py).


class AcmeRunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, Any] = Field(default_factory=dict)


class AcmeRun(BaseModel):
    run: str
    status: str
    queued_at: str


# 2. Parse -> service request; 3. the view (http/<dialect>/views.py); 4. the handlers
# (parse -> service -> view: http/<dialect>/execute.py and status.py).


def _execute_request(request: Request) -> ExecuteRequest:
    body = parse_model(AcmeRunBody, json_body(request))
    return ExecuteRequest(parameters=body.inputs)


def acme_view(execution: Execution) -> dict[str, Any]:
    return AcmeRun(
        run=execution.id,
        status=execution.state.value.upper(),
        queued_at=iso_utc(execution.created_at),
    ).model_dump(mode="json")


def run(app: App, request: Request, workflow_id: str) -> Response:
    return json_response(
        acme_view(execute_workflow(app, request, workflow_id, _execute_request).execution)
    )


def status(app: App, request: Request, run_id: str) -> Response:
    return json_response(acme_view(read_execution(app, request, run_id)))


# 5. Its error envelope, when the dialect has its own shape (named by its routes).


class AcmeError(BaseModel):
    ok: bool
    reason: str


def acme_refusal(error: ApiError, request: Request) -> Response:
    body = AcmeError(ok=False, reason=error.code).model_dump(mode="json")
    return json_response(body, error.status, error.headers)


# 6. Its routes (in production: http/<dialect>/routes.py, its module in tables.SURFACES).

ACME_ROUTES = (
    Route(
        "POST",
        "/acme/v2/runs/<workflow_id>",
        EXECUTE,
        f"{__name__}:run",
        "Acme: run a workflow",
        responses=((200, AcmeRun),),
        error_model=AcmeError,
        refusal=f"{__name__}:acme_refusal",
        request_body=AcmeRunBody,
        tag="acme",
    ),
    Route(
        "GET",
        "/acme/v2/status/<run_id>",
        STATUS,
        f"{__name__}:status",
        "Acme: a run's status",
        responses=((200, AcmeRun),),
        error_model=AcmeError,
        refusal=f"{__name__}:acme_refusal",
        tag="acme",
    ),
)


def test_the_dialect_runs_the_same_execution_as_the_native_api() -> None:
    client = HttpClient(with_demo_workflow(), ACME_ROUTES)
    token = client.token()
    ran = client.call("POST", "/acme/v2/runs/clusters", token=token, body={"inputs": GOOD})
    assert (ran.status, ran.body["status"]) == (200, "RUNNING")
    read = client.call("GET", f"/acme/v2/status/{ran.body['run']}", token=token)
    assert read.body == ran.body
    assert client.hit == {route.name for route in ACME_ROUTES}
    native = client.world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD))
    assert native.reused and native.execution.id == ran.body["run"]  # one cache, all surfaces


def test_the_dialect_refuses_in_its_own_envelope() -> None:
    client = HttpClient(with_demo_workflow(), ACME_ROUTES)
    anonymous = client.call("POST", "/acme/v2/runs/clusters", body={"inputs": GOOD})
    assert (anonymous.status, anonymous.body) == (401, {"ok": False, "reason": "missing_token"})
    bad = client.call(
        "POST", "/acme/v2/runs/clusters", token=client.token(), body={"inputs": {**GOOD, "x": 1}}
    )
    assert (bad.status, bad.body["reason"]) == (400, "invalid_parameters")
    assert client.world.store.executions == {}


def test_the_dialect_is_documented_from_its_routes() -> None:
    document = openapi_document(ACME_ROUTES)
    operation = document["paths"]["/acme/v2/runs/{workflow_id}"]["post"]
    assert operation["tags"] == ["acme"]
    assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AcmeError"
    }
