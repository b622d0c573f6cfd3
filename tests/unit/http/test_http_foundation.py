"""Dispatching, error shape and structured logs, without any backend."""

from __future__ import annotations

import json
import logging

from flask import Flask

from workflows_api import logs
from workflows_api.http.dispatch import dispatch
from workflows_api.http.errors import ApiError
from workflows_api.http.routes import HTTP_FUNCTIONS, all_routes, routes_for


def test_every_route_belongs_to_a_known_function_and_is_unique() -> None:
    assert {r.function for r in all_routes()} <= set(HTTP_FUNCTIONS)
    names = [r.name for r in all_routes()]
    assert len(names) == len(set(names))
    assert set(routes_for(None)) == set(all_routes())


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
    logs.set_trace("abc123/1;o=1", "proj")
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    record.fields = {"execution_id": "e1"}
    entry = json.loads(logs.CloudLoggingFormatter().format(record))
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "hello world"
    assert entry["execution_id"] == "e1"
    assert entry["logging.googleapis.com/trace"] == "projects/proj/traces/abc123"
