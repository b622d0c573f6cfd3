"""The Nexadata dialect's integer ids through the dispatcher on fakes: execute answers
the execution's number, status takes it (or the native id), another org's number is
404 and a collision is 409, never a guess."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.apps import GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from tests.support.number_collision import COLLIDING_IDS
from workflows_api.domain.access.tokens import ALL_GRANTS
from workflows_api.domain.execution.numbers import LARGEST_NUMBER, execution_number
from workflows_api.domain.execution.states import Execution
from workflows_api.http.tables import all_routes

STATUS = "/api/v1/workflows/executions/{}"


@pytest.fixture
def client() -> HttpClient:
    world = with_demo_workflow()
    world.app.workflows.put("demo", "29", world.app.workflows.get("demo", "clusters").definition)
    world.app.workflows.enable_api("demo", "29")
    return HttpClient(world, all_routes())


def run(client: HttpClient, token: str, workflow_id: str = "clusters") -> int:
    answer = client.call(
        "POST", f"/api/v1/workflows/{workflow_id}/execute", token=token, body={"parameters": GOOD}
    )
    assert answer.status == 200, answer.body
    assert type(answer.body["id"]) is int and answer.body["state"] == "created"
    return int(answer.body["id"])


def recorded(client: HttpClient, number: int) -> Execution:
    [execution] = [e for e in client.world.store.executions.values() if e.number == number]
    return execution


def test_execute_answers_the_number_and_status_takes_it_or_the_id(client: HttpClient) -> None:
    token = client.token()
    number = run(client, token)
    execution = recorded(client, number)
    assert number == execution_number(execution.id) and 0 <= number <= LARGEST_NUMBER
    for reference in (str(number), execution.id):
        answer = client.call("GET", STATUS.format(reference), token=token)
        assert answer.status == 200, answer.body
        assert (answer.body["id"], answer.body["state"]) == (number, "running")


def test_a_workflow_id_of_digits_runs_as_before(client: HttpClient) -> None:
    token = client.token()
    number = run(client, token, "29")
    answer = client.call("GET", STATUS.format(number), token=token)
    assert (answer.status, answer.body["workflow_id"], answer.body["id"]) == (200, "29", number)


def test_another_orgs_number_is_404_and_the_token_is_checked_first(client: HttpClient) -> None:
    number = run(client, client.token())
    other = client.call("GET", STATUS.format(number), token=client.token("other"))
    assert (other.status, other.body["error"]["code"]) == (404, "execution_not_found")
    missing = client.call("GET", STATUS.format(number))
    assert (missing.status, missing.body["error"]["code"]) == (401, "missing_token")


@pytest.mark.parametrize(
    "reference", ["0", "170", "0170", "9007199254740992", "12345678901234567", "-1", "1.0"]
)
def test_a_number_no_execution_has_is_404(client: HttpClient, reference: str) -> None:
    run(client, client.token())
    answer = client.call("GET", STATUS.format(reference), token=client.token())
    assert (answer.status, answer.body["error"]["code"]) == (404, "execution_not_found")


def test_a_collision_is_409_naming_both_ids(client: HttpClient) -> None:
    token = client.token()
    original = recorded(client, run(client, token))
    first, second = (replace(original, id=i) for i in COLLIDING_IDS)
    for copy in (first, second):
        client.world.store.create_execution(copy, expire_at=copy.created_at)
    answer = client.call("GET", STATUS.format(first.number), token=token)
    assert answer.status == 409, answer.body
    error = answer.body["error"]
    assert error["code"] == "execution_number_ambiguous"
    assert [d["execution_id"] for d in error["details"]] == sorted(COLLIDING_IDS)
    assert all(i in error["message"] for i in COLLIDING_IDS)
    for execution_id in COLLIDING_IDS:  # each still reads by its id
        by_id = client.call("GET", STATUS.format(execution_id), token=token)
        assert (by_id.status, by_id.body["id"]) == (200, first.number)


def test_a_collision_with_an_execution_the_token_may_not_see_is_no_collision_to_it(
    client: HttpClient,
) -> None:
    original = recorded(client, run(client, client.token()))
    mine = replace(original, id=COLLIDING_IDS[0])
    hidden = replace(original, id=COLLIDING_IDS[1], workflow_id="29")
    for copy in (mine, hidden):
        client.world.store.create_execution(copy, expire_at=copy.created_at)
    limited = client.world.app.admin.create_token(
        "demo", frozenset(ALL_GRANTS), workflows=("clusters",)
    ).secret
    answer = client.call("GET", STATUS.format(mine.number), token=limited)
    assert answer.status == 200, answer.body
    assert answer.body["workflow_id"] == "clusters"
    # Nor does it learn that the other exists: a 404, as for any execution it may not see.
    gone = client.call("GET", STATUS.format(hidden.id), token=limited)
    assert gone.status == 404
