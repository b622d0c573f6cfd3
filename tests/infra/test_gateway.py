"""The public entry (API Gateway) serves every route of the routing table, each on the
function the table names, with the caller's own Authorization header."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from openapi_spec_validator import OpenAPIV2SpecValidator, validate
from werkzeug.routing import Map, Rule

from tests.infra.hcl import (
    INFRA,
    MODULE,
    block,
    blocks,
    expression,
    module,
    root,
    run_terraform,
)
from workflows_api.http.tables import Route, all_routes

TEMPLATE = MODULE / "gateway.swagger.yaml.tftpl"
_PLACEHOLDER = re.compile(r'\$\{backends\["(\w+)"\]\.(address|deadline|disable_auth)\}')


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gateway_spec", INFRA / "gateway_spec.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def fake_backend(function: str) -> str:
    return f"https://{function.replace('_', '-')}.example.run.app"


def rendered(text: str, access_mode: str = "public") -> dict[str, Any]:
    """The template as templatefile() renders it, with made-up backends."""
    assert "%{" not in text
    values = {"deadline": "120.0", "disable_auth": str(access_mode == "public").lower()}
    body = _PLACEHOLDER.sub(
        lambda m: fake_backend(m[1]) if m[2] == "address" else values[m[2]],
        text,
    )
    assert "${" not in body, "the template uses expressions gateway.tf does not provide"
    document = yaml.safe_load(body)
    assert isinstance(document, dict)
    return document


def test_the_committed_document_is_generated_from_the_routing_table() -> None:
    assert TEMPLATE.read_text() == generator().render(), (
        "infra/modules/workflows_api/gateway.swagger.yaml.tftpl is stale: "
        "run .venv/bin/python infra/gateway_spec.py"
    )


def test_it_is_valid_openapi_2_0() -> None:
    document = rendered(TEMPLATE.read_text())
    assert document["swagger"] == "2.0"
    # `{name=**}` is API Gateway's multi-segment template, unknown to the validator.
    plain = json.loads(re.sub(r"\{(\w+)=\*\*\}", r"{\1}", json.dumps(document)))
    validate(plain, cls=OpenAPIV2SpecValidator)


def operations(access_mode: str = "public") -> dict[tuple[str, str], dict[str, Any]]:
    document = rendered(TEMPLATE.read_text(), access_mode)
    return {
        (method.upper(), path): operation
        for path, by_method in document["paths"].items()
        for method, operation in by_method.items()
    }


def test_every_route_and_only_the_routes_reach_their_function() -> None:
    found = operations()
    module_spec = generator()
    expected = {(route.method, module_spec.gateway_path(route)): route for route in all_routes()}
    assert set(found) == set(expected)
    for key, route in expected.items():
        backend = found[key]["x-google-backend"]
        assert backend["address"] == fake_backend(route.function), route.name
        # Functions dispatch on the original path.
        assert backend["path_translation"] == "APPEND_PATH_TO_ADDRESS", route.name
        # Public mode: the caller's Authorization header reaches the function unchanged.
        assert backend["disable_auth"] is True, route.name
        assert isinstance(backend["deadline"], float), route.name
        # No gateway-side auth (API keys): the functions authenticate.
        assert "security" not in found[key], route.name


def gateway_regex(template: str) -> re.Pattern[str]:
    """API Gateway's matching: `{x}` one segment, `{x=**}` anything (path-templating)."""
    pattern = ""
    for part in re.split(r"(\{\w+(?:=\*\*)?\})", template):
        if part.startswith("{"):
            pattern += ".*" if part.endswith("=**}") else "[^/]+"
        else:
            pattern += re.escape(part)
    return re.compile(f"^{pattern}/?$")


def example_path(route: Route) -> str:
    return re.sub(r"<(?:([a-z]+):)?(\w+)>", lambda m: "a/b" if m[1] == "path" else "x1", route.path)


def test_the_gateway_and_the_functions_route_a_path_alike() -> None:
    # A request the gateway sends to a function is one that function routes to the
    # same handler: compare the gateway's templates with the functions' Werkzeug rules.
    gateway = [(method, gateway_regex(path), op) for (method, path), op in operations().items()]
    rules = Map([Rule(r.path, methods=[r.method], endpoint=r.name) for r in all_routes()]).bind("x")
    for route in all_routes():
        path = example_path(route)
        matches = [
            op for method, regex, op in gateway if method == route.method and regex.match(path)
        ]
        assert len(matches) == 1, (route.name, path)
        assert matches[0]["x-google-backend"]["address"] == fake_backend(route.function)
        assert rules.match(path, route.method)[0] == route.name


def test_gateway_tf_fills_in_every_http_function() -> None:
    config = module()
    backends = expression(config.locals["gateway_backends"])
    assert backends.startswith("{for name, fn in local.http_functions : name =>")
    assert "service_config[0].uri" in backends and "fn.timeout_seconds" in backends
    assert 'disable_auth = var.access_mode == "public"' in backends
    spec = expression(config.locals["gateway_spec"])
    assert "gateway.swagger.yaml.tftpl" in spec and "backends = local.gateway_backends" in spec
    api_config = config.resource("google_api_gateway_api_config", "api")
    assert expression(api_config["provider"]) == "google-beta"
    document = block(block(api_config, "openapi_documents"), "document")
    assert expression(document["contents"]) == "base64encode(local.gateway_spec)"
    assert block(api_config, "lifecycle")["create_before_destroy"] is True
    gateway = config.resource("google_api_gateway_gateway", "gateway")
    assert expression(gateway["api_config"]) == "google_api_gateway_api_config.api.id"
    # Functions named by the document are HTTP functions of local.functions.
    named = set(_PLACEHOLDER.findall(TEMPLATE.read_text()))
    http = {n for n, spec in config.locals["functions"].items() if spec["trigger"] == "http"}
    assert {function for function, _ in named} <= http


def test_private_mode_has_the_gateway_call_with_its_own_token() -> None:
    # disable_auth false: the gateway sends its account's ID token (the only invoker of
    # the HTTP functions) and moves the caller's header to X-Forwarded-Authorization.
    for key, operation in operations("private").items():
        assert operation["x-google-backend"]["disable_auth"] is False, key
    api_config = module().resource("google_api_gateway_api_config", "api")
    backend = block(block(api_config, "gateway_config"), "backend_config")
    assert expression(backend["google_service_account"]) == (
        'google_service_account.accounts["gateway"].email'
    )


def test_base_url_is_the_gateways() -> None:
    base_url = module().outputs["base_url"]["value"]
    assert expression(base_url) == "https://${google_api_gateway_gateway.gateway.default_hostname}"
    assert blocks(module().resource("google_api_gateway_api_config", "api"), "gateway_config")


def test_terraform_renders_the_template(tmp_path: Path) -> None:
    # templatefile() itself, not a stand-in: Terraform's core functions need no provider.
    functions = sorted({route.function for route in all_routes()})
    backends = ", ".join(
        f'{name} = {{ address = "{fake_backend(name)}", deadline = format("%.1f", 120), '
        "disable_auth = true }"
        for name in functions
    )
    call = f'templatefile("{TEMPLATE}", {{ backends = {{ {backends} }} }})'
    (tmp_path / "main.tf").write_text(f'output "spec" {{\n  value = {call}\n}}\n')
    for args in (
        ["init", "-input=false", "-no-color"],
        ["apply", "-auto-approve", "-input=false", "-no-color"],
    ):
        done = run_terraform(*args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    output = run_terraform("output", "-raw", "spec", cwd=tmp_path)
    assert output.returncode == 0, output.stderr
    assert yaml.safe_load(output.stdout) == rendered(TEMPLATE.read_text())


def test_the_console_is_served_by_status_through_the_gateway() -> None:
    # The page and its hashed assets, both on `status` (read-only GETs, no token).
    found = operations()
    for path in ("/console/", "/console/assets/{asset}"):
        assert found[("GET", path)]["x-google-backend"]["address"] == fake_backend("status")
    console_url = root().outputs["console_url"]["value"]
    assert expression(console_url) == "module.workflows_api.console_url"
