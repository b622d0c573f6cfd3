"""The OpenAPI document is valid 3.1 and documents exactly the routing table."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate

from workflows_api.domain.access.identifiers import WORKFLOW_ID_PATTERN
from workflows_api.domain.execution.states import State, new_execution_id
from workflows_api.http.openapi import openapi_document, openapi_path
from workflows_api.http.tables import all_routes


def test_document_is_valid_openapi_3_1() -> None:
    document = openapi_document(all_routes())
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_and_only_the_routes_are_documented() -> None:
    documented = {
        (method.upper(), path)
        for path, operations in openapi_document(all_routes())["paths"].items()
        for method in operations
    }
    assert documented == {(r.method, openapi_path(r.path)) for r in all_routes()}


def test_operations_name_their_function_path_parameters_and_answers() -> None:
    paths = openapi_document(all_routes())["paths"]
    for route in all_routes():
        operation = paths[openapi_path(route.path)][route.method.lower()]
        assert operation["x-cloud-function"] == route.function
        in_path = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert {f"{{{name}}}" for name in in_path} <= set(openapi_path(route.path).split("/"))
        assert {int(s) for s in operation["responses"]} == {
            *(status for status, _ in route.responses),
            *route.errors,
        }


def test_path_conversion() -> None:
    assert openapi_path("/v1/workflows/<workflow_id>/api") == "/v1/workflows/{workflow_id}/api"
    assert openapi_path("/api/v1/pipelines/<path:rest>") == "/api/v1/pipelines/{rest}"


def _operation(method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = openapi_document(all_routes())["paths"][path][method]
    return operation


def _parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_path_arguments_carry_the_patterns_the_services_check() -> None:
    get = _operation("get", "/v1/workflows/{workflow_id}")
    pattern = _parameter(get, "workflow_id")["schema"]["pattern"]
    assert re.fullmatch(pattern, "store_clusters") and not re.fullmatch(pattern, "a/b")
    assert pattern == WORKFLOW_ID_PATTERN.pattern
    status = _operation("get", "/v1/executions/{execution_id}")
    execution = _parameter(status, "execution_id")["schema"]["pattern"]
    assert re.fullmatch(execution, new_execution_id())
    assert not re.fullmatch(execution, "job_1")


def test_query_arguments_have_their_bounds_and_values() -> None:
    listed = _operation("get", "/v1/workflows/{workflow_id}/executions")
    assert _parameter(listed, "page_size")["schema"] | {"default": 0} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 0,
    }
    assert set(_parameter(listed, "state")["schema"]["enum"]) == {s.value for s in State}
    assert _parameter(listed, "created_after")["schema"]["format"] == "date-time"
    results = _operation("get", "/v1/executions/{execution_id}/results")
    assert _parameter(results, "page_size")["schema"]["maximum"] == 10_000
    assert _parameter(results, "geography_format")["schema"]["enum"] == ["geojson", "wkt"]
    key = _parameter(
        _operation("post", "/v1/workflows/{workflow_id}/executions"), "Idempotency-Key"
    )
    assert key["in"] == "header"
    assert re.fullmatch(key["schema"]["pattern"], "k" * 200)
    assert not re.fullmatch(key["schema"]["pattern"], "k" * 201)


def test_every_authenticated_route_documents_503_with_retry_after_and_400() -> None:
    paths = openapi_document(all_routes())["paths"]
    for route in all_routes():
        if route.auth == "none":
            continue
        responses = paths[openapi_path(route.path)][route.method.lower()]["responses"]
        assert responses["503"]["headers"]["Retry-After"]["required"] is True, route.name
        assert "400" in responses, route.name  # unknown query arguments, at least


def test_bodies_document_json_and_yaml_and_the_sql_route_its_text_answer() -> None:
    put = _operation("put", "/v1/workflows/{workflow_id}")
    assert set(put["requestBody"]["content"]) == {
        "application/json",
        "application/yaml",
        "application/x-yaml",
        "text/yaml",
    }
    assert {"413", "415"} <= set(put["responses"])
    sql = _operation("get", "/v1/workflows/{workflow_id}/sql")
    assert set(sql["responses"]["200"]["content"]) == {"application/json", "application/sql"}


def test_links_lead_from_creations_to_the_operations_they_enable() -> None:
    document = openapi_document(all_routes())
    operation_ids = {
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
    }
    execute = _operation("post", "/v1/workflows/{workflow_id}/executions")
    links = execute["responses"]["202"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "get_v1_executions_execution_id",
        "post_v1_executions_execution_id_cancel",
        "get_v1_executions_execution_id_results",
    }
    assert links["GetExecution"]["parameters"] == {"execution_id": "$response.body#/id"}
    put = _operation("put", "/v1/workflows/{workflow_id}")
    assert "get_v1_workflows_workflow_id" in {
        link["operationId"] for link in put["responses"]["201"]["links"].values()
    }
    for operations in document["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                for link in response.get("links", {}).values():
                    assert link["operationId"] in operation_ids
