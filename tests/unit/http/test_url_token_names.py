"""CARTO's `access_token` is read only under its exact raw name, once (issue 23,
finding 11): `?access%5Ftoken=...` is decoded by the framework, but the logs keep the
raw URL, which the log exclusion's `access_token=` filter does not match."""

from __future__ import annotations

import pytest

from tests.support.apps import with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.http.tables import all_routes


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(with_demo_workflow(), all_routes())


def test_the_exact_name_is_accepted(client: HttpClient) -> None:
    answer = client.call("GET", f"/v3/sql/jobs?access_token={client.token()}")
    assert answer.status == 200, answer.body


@pytest.mark.parametrize(
    "spelling",
    ["access%5Ftoken={t}", "%61ccess_token={t}", "access_token={t}&access_token={t}"],
    ids=["encoded underscore", "encoded letter", "twice"],
)
@pytest.mark.parametrize(
    "path", ["/v3/sql/jobs", "/v3/sql/local/job/job_" + "0" * 32, "/v3/sql/local/job"]
)
def test_other_spellings_are_refused(client: HttpClient, spelling: str, path: str) -> None:
    token = client.token()
    answer = client.call("GET", f"{path}?{spelling.format(t=token)}")
    assert answer.status == 400, answer.body
    assert answer.body["error"]["code"] == "invalid_token_argument"
    assert answer.body["error"]["field"] == "access_token"
    assert token not in str(answer.body)


def test_an_encoded_name_is_refused_even_beside_the_header(client: HttpClient) -> None:
    token = client.token()
    answer = client.call("GET", f"/v3/sql/jobs?access%5Ftoken={token}", token=token)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["code"] == "invalid_token_argument"
