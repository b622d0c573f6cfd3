"""Two requests racing with one Idempotency-Key (issue 23, finding 6): the loser is held
to the key's request as a replay is, never handed the winner's execution."""

from __future__ import annotations

import pytest

from tests.support.apps import GOOD, OnFakes, with_demo_workflow
from workflows_api.service.errors import ServiceError
from workflows_api.service.execution_requests import ExecuteRequest


def _race_past_the_replay_check(world: OnFakes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other request claims the key after this one looked for it (replay: none)."""
    monkeypatch.setattr(world.store, "get_idempotency_key", lambda org, key: None)


@pytest.mark.parametrize("cache", [False, True])
def test_the_loser_of_a_race_for_another_request_gets_422_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, cache: bool
) -> None:
    world = with_demo_workflow()
    winner = world.app.admission.execute(
        "demo", "clusters", ExecuteRequest(GOOD, cache=cache, idempotency_key="k")
    ).execution
    _race_past_the_replay_check(world, monkeypatch)
    other = ExecuteRequest({**GOOD, "number_of_clusters": 5}, cache=cache, idempotency_key="k")
    jobs_before = set(world.warehouse.jobs)

    with pytest.raises(ServiceError) as refused:
        world.app.admission.execute("demo", "clusters", other)

    assert (refused.value.code, refused.value.field) == (
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    open_runs = [e for e in world.store.executions.values() if e.id != winner.id]
    if cache:
        # Ours held its cache key (others may join it): it runs, and the key still
        # names the winner.
        assert len(open_runs) == 1 and open_runs[0].parameters["number_of_clusters"] == 5
    else:
        assert open_runs == [] and set(world.warehouse.jobs) == jobs_before


def test_the_loser_of_a_race_for_the_same_request_joins_the_winner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    request = ExecuteRequest(GOOD, cache=False, idempotency_key="k")
    winner = world.app.admission.execute("demo", "clusters", request).execution
    _race_past_the_replay_check(world, monkeypatch)

    result = world.app.admission.execute("demo", "clusters", request)

    assert (result.execution.id, result.reused) == (winner.id, True)
    assert [e.id for e in world.store.executions.values()] == [winner.id]
