"""No error message repeats what may be a credential (issue 23, finding 12):
`?access_token%3D<token>` arrives as an argument *named* `access_token=<token>`, and
the refusal used to quote that name, i.e. the token's id and the start of its secret."""

from __future__ import annotations

import json
import logging

import pytest

from tests.support.apps import with_demo_workflow
from tests.support.http_client import HttpClient
from tests.support.oidc_issuer import Issuer
from workflows_api.adapters.google_oidc import GoogleIdTokenVerifier
from workflows_api.http.tables import all_routes
from workflows_api.service.errors import InvalidIdToken


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(with_demo_workflow(), all_routes())


def secret_part(token: str) -> str:
    # wfa_<id>_<secret>: the secret may hold "_" itself (base64url), so split twice only.
    return token.split("_", 2)[2][:6]


@pytest.mark.parametrize(
    "path",
    ["/v1/workflows", "/v1/workflows/clusters/executions", "/v3/sql/jobs"],
)
def test_an_unknown_argument_named_after_a_token_is_not_repeated(
    client: HttpClient, path: str
) -> None:
    token = client.token()
    answer = client.call("GET", f"{path}?access_token%3D{token}=", token=token)
    assert answer.status == 400, answer.body
    error = answer.body["error"]
    assert error["code"] == "unknown_argument"
    assert error["field"] == "query"
    assert "expected" in error["message"]
    text = json.dumps(answer.body)
    assert token not in text
    assert token[:12] not in text and secret_part(token) not in text


def test_a_misspelt_argument_is_refused_without_quoting_it(client: HttpClient) -> None:
    answer = client.call("GET", "/v1/workflows?page_sise=2", token=client.token())
    assert answer.status == 400
    assert answer.body["error"]["field"] == "query"
    assert "page_sise" not in answer.body["error"]["message"]
    assert "page_size" in answer.body["error"]["message"]  # what it takes


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/workflows?page_size={}", "page_size"),
        ("/v1/workflows/clusters/executions?state={}", "state"),
        ("/v1/workflows/clusters/executions?created_after={}", "created_after"),
    ],
)
def test_argument_values_are_not_repeated(client: HttpClient, path: str, field: str) -> None:
    token = client.token()
    answer = client.call("GET", path.format(token), token=token)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["field"] == field
    assert secret_part(token) not in json.dumps(answer.body)


def test_a_malformed_id_token_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    """google-auth's refusal of a token with the wrong number of segments quotes it."""
    issuer = Issuer()
    check = GoogleIdTokenVerifier(
        "https://a.example", "https://certs.example", lambda url: (issuer.certs, 3600.0)
    )
    forged = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQtdGV4dA"
    with caplog.at_level(logging.DEBUG), pytest.raises(InvalidIdToken) as refused:
        check.verify(forged)
    assert forged not in str(refused.value)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "ID token refused" in logged
    assert "c2VjcmV0LXBheWxvYWQtdGV4dA" not in logged
