"""The OpenAPI document is valid 3.1 and documents exactly the routing table."""

from __future__ import annotations

from openapi_spec_validator import validate

from workflows_api.http.openapi import openapi_document, openapi_path
from workflows_api.http.routes import ROUTES


def test_document_is_valid_openapi_3_1() -> None:
    document = openapi_document(ROUTES)
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_and_only_the_routes_are_documented() -> None:
    documented = {
        (method.upper(), path)
        for path, operations in openapi_document(ROUTES)["paths"].items()
        for method in operations
    }
    assert documented == {(r.method, openapi_path(r.path)) for r in ROUTES}


def test_operations_name_their_function_path_parameters_and_answers() -> None:
    paths = openapi_document(ROUTES)["paths"]
    for route in ROUTES:
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
