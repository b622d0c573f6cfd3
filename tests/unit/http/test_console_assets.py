"""The console's files as `status` serves them: the page revalidated, hashed assets
cached for a year, gzip when accepted, the strict Content-Security-Policy on each, and
nothing but the build's own files (no path from the request reaches the disk)."""

from __future__ import annotations

import gzip
import re

import pytest

from tests.support.apps import with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.http.console import assets
from workflows_api.http.tables import all_routes, routes_for

BUILT = sorted(p.name for p in (assets.ASSETS / "assets").iterdir())


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(with_demo_workflow(), all_routes())


def csp(headers: dict[str, str]) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def test_the_page_is_revalidated_and_names_hashed_assets(client: HttpClient) -> None:
    answer = client.call("GET", "/console/")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["ETag"]
    named = re.findall(rb'(?:src|href)="/console/assets/([^"]+)"', answer.body)
    assert len(named) == 2 and all(name.decode() in BUILT for name in named)
    # No inline script or style: the CSP would refuse them.
    assert b"<script>" not in answer.body and b"<style" not in answer.body
    assert b" style=" not in answer.body and b"onload" not in answer.body


def test_without_the_slash_it_is_the_same_page(client: HttpClient) -> None:
    assert client.call("GET", "/console").body == client.call("GET", "/console/").body


@pytest.mark.parametrize("name", BUILT)
def test_each_asset_is_immutable_with_its_type(client: HttpClient, name: str) -> None:
    answer = client.call("GET", f"/console/assets/{name}")
    assert answer.status == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    suffix = name.rsplit(".", 1)[1]
    expected = {"js": "text/javascript", "css": "text/css", "txt": "text/plain"}[suffix]
    assert answer.headers["Content-Type"] == f"{expected}; charset=utf-8"
    assert answer.body == (assets.ASSETS / "assets" / name).read_bytes()


def test_gzip_when_accepted(client: HttpClient) -> None:
    name = next(n for n in BUILT if n.startswith("main-"))
    answer = client.call("GET", f"/console/assets/{name}", headers={"Accept-Encoding": "gzip, br"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(answer.body) == (assets.ASSETS / "assets" / name).read_bytes()


@pytest.mark.parametrize("path", ["/console/", f"/console/assets/{BUILT[0]}"])
def test_every_answer_carries_the_strict_policy(client: HttpClient, path: str) -> None:
    headers = client.call("GET", path).headers
    policy = csp(headers)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["connect-src"] == "'self'"  # the API of this deployment only
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'none'"
    assert policy["require-trusted-types-for"] == "'script'"
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "name",
    ["index.html", "..%2Findex.html", "../index.html", "main.js", ".hidden", "%2e%2e", "a" * 120],
)
def test_only_the_builds_assets_are_served(client: HttpClient, name: str) -> None:
    answer = client.call("GET", f"/console/assets/{name}")
    assert answer.status == 404
    assert answer.body["error"]["code"] in ("asset_not_found", "route_not_found")


def test_the_console_needs_no_token_and_lives_in_status() -> None:
    routes = [r for r in all_routes() if r.path.startswith("/console/")]
    assert {r.auth for r in routes} == {"none"} and {r.function for r in routes} == {"status"}
    assert set(routes) <= set(routes_for("status"))
