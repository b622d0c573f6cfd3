"""Dispatching, error shape and structured logs, without any backend."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from workflows_api import logs, tracing
from workflows_api.http.dispatch import dispatch
from workflows_api.http.errors import ApiError
from workflows_api.http.routing import resolve
from workflows_api.http.tables import HTTP_FUNCTIONS, all_routes, routes_for

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def test_every_route_belongs_to_a_known_function_and_is_unique() -> None:
    assert {r.function for r in all_routes()} <= set(HTTP_FUNCTIONS)
    names = [r.name for r in all_routes()]
    assert len(names) == len(set(names))
    assert set(routes_for(None)) == set(all_routes())


def test_every_handler_and_refusal_a_table_names_is_a_function() -> None:
    for route in all_routes():
        assert callable(route.serve()), route.name
        assert callable(route.refuse()), route.name
        assert route.serve() is resolve(route.handler)  # imported once, then cached


@pytest.mark.parametrize(
    "ref", ["workflows_api.http.native.status", "workflows_api.http.native.status:nothing"]
)
def test_a_reference_to_no_function_is_refused(ref: str) -> None:
    with pytest.raises(LookupError, match="names no function"):
        resolve(ref)


def test_the_tables_import_no_handler_nor_pydantic() -> None:
    """Every table loads with its function (cold start): the handlers' modules only load
    when a route of theirs is first served."""
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(FUNCTIONS)!r})\n"
        "from workflows_api.http.tables import all_routes\n"
        "all_routes()\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    modules = set(done.stdout.split())
    handler_modules = {route.handler.partition(":")[0] for route in all_routes()}
    # The dialects' refusal envelopes too (the native one is the dispatcher's own).
    refusal_modules = {route.refusal.partition(":")[0] for route in all_routes()}
    refusal_modules.discard("workflows_api.http.responses")
    assert modules & (handler_modules | refusal_modules) == set()
    assert "pydantic" not in modules
    assert {"workflows_api.http.native.routes", "workflows_api.http.carto.routes"} <= modules


def test_dispatch_answers_json_for_unknown_routes() -> None:
    app = Flask(__name__)
    with app.test_request_context("/v1/unknown", method="GET"):
        from flask import request

        response = dispatch(request, None)
    assert response.status_code == 404
    assert json.loads(response.get_data())["error"]["code"] == "route_not_found"


def test_api_error_body_names_the_field() -> None:
    error = ApiError(400, "invalid_parameter", "k: expected INT64", field="parameters.k")
    assert error.to_body() == {
        "error": {
            "code": "invalid_parameter",
            "message": "k: expected INT64",
            "field": "parameters.k",
        }
    }


def test_log_lines_are_cloud_logging_json_with_trace() -> None:
    trace = "105445aa7843bc8bf206b12000100000"
    tracing.configure("proj")
    caller = tracing.parse_cloud_trace_context(f"{trace}/1;o=1")
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    record.fields = {"execution_id": "e1"}
    with tracing.request_span("GET /x", caller):
        entry = json.loads(logs.CloudLoggingFormatter().format(record))
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "hello world"
    assert entry["execution_id"] == "e1"
    assert entry["logging.googleapis.com/trace"] == f"projects/proj/traces/{trace}"
