"""Paging a workflow list with a token limited to some workflows (issue 23, finding 7):
the page holds only what the token sees, and `next_page_token` is never the id of a
workflow it may not see (it was the last id of the unfiltered page)."""

from __future__ import annotations

import pytest

from tests.support.apps import DEMO, on_fakes
from tests.support.http_client import HttpClient
from workflows_api.domain.access.tokens import Grant
from workflows_api.http.tables import all_routes

ALL = ("a-hidden", "b-seen", "c-hidden", "d-hidden", "e-seen", "f-hidden")
SEEN = ("e-seen", "b-seen", "zz-absent")  # one that does not exist, out of order


@pytest.fixture
def client() -> HttpClient:
    fakes = on_fakes()
    for workflow_id in ALL:
        fakes.app.workflows.put("demo", workflow_id, DEMO)
    return HttpClient(fakes, all_routes())


def pages(client: HttpClient, token: str, page_size: int) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    tokens: list[str] = []
    page_token = ""
    while True:
        answer = client.call(
            "GET",
            "/v1/workflows",
            token=token,
            query={"page_size": str(page_size), "page_token": page_token},
        )
        assert answer.status == 200, answer.body
        ids += [w["id"] for w in answer.body["workflows"]]
        page_token = answer.body["next_page_token"] or ""
        if not page_token:
            return ids, tokens
        tokens.append(page_token)


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_a_limited_token_pages_through_its_workflows_alone(
    client: HttpClient, page_size: int
) -> None:
    limited = client.world.app.admin.create_token(
        "demo", frozenset({Grant.WORKFLOWS_READ}), workflows=SEEN
    ).secret
    ids, tokens = pages(client, limited, page_size)
    assert ids == ["b-seen", "e-seen"]
    assert all(token in ids for token in tokens), tokens
    assert not any("hidden" in token for token in tokens)


def test_an_unlimited_token_still_sees_every_workflow(client: HttpClient) -> None:
    ids, tokens = pages(client, client.token(), 4)
    assert ids == list(ALL)
    assert tokens == ["d-hidden"]
