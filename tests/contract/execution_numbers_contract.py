"""ExecutionStore's lookup by number (the Nexadata dialect's integer ids): what
find_executions_by_number finds, in which org, and a real collision found whole."""

from __future__ import annotations

from dataclasses import replace

from tests.contract.support import ORG, OTHER_ORG, Store, at, execution
from tests.support.number_collision import COLLIDING_IDS
from workflows_api.domain.execution.states import State


class ExecutionNumbersContract:
    def test_an_execution_is_found_by_its_number(self, store: Store) -> None:
        runs = [execution() for _ in range(3)]
        for run in runs:
            store.create_execution(run, expire_at=at(3600))
        for run in runs:
            assert store.find_executions_by_number(ORG, run.number, limit=2) == [run]
        assert store.find_executions_by_number(ORG, runs[0].number + 1, limit=2) == []

    def test_another_orgs_number_finds_nothing(self, store: Store) -> None:
        theirs = execution(org=OTHER_ORG)
        store.create_execution(theirs, expire_at=at(3600))
        assert store.find_executions_by_number(ORG, theirs.number, limit=2) == []
        assert store.find_executions_by_number(OTHER_ORG, theirs.number, limit=2) == [theirs]

    def test_the_number_survives_state_writes(self, store: Store) -> None:
        created = execution()
        store.create_execution(created, expire_at=at(3600))
        running = created.transition(State.RUNNING, at=at(5))
        assert store.save_execution(running, expected_state=State.CREATED)
        done = running.transition(State.SUCCEEDED, at=at(9))
        assert store.save_execution(done, expected_state=State.RUNNING)
        assert store.find_executions_by_number(ORG, created.number, limit=2) == [done]

    def test_a_collision_finds_every_execution_with_the_number_by_id(self, store: Store) -> None:
        first, second = (
            replace(execution(i), created_at=at(n)) for n, i in enumerate(COLLIDING_IDS)
        )
        assert first.number == second.number
        store.create_execution(second, expire_at=at(3600))
        assert store.find_executions_by_number(ORG, first.number, limit=2) == [second]
        store.create_execution(first, expire_at=at(3600))
        by_id = sorted([first, second], key=lambda run: run.id)
        assert store.find_executions_by_number(ORG, first.number, limit=5) == by_id
        assert store.find_executions_by_number(ORG, first.number, limit=1) == by_id[:1]
        # The same number in another org is not a collision in this one.
        store.create_execution(execution(COLLIDING_IDS[0], org=OTHER_ORG), expire_at=at(3600))
        assert len(store.find_executions_by_number(OTHER_ORG, first.number, limit=5)) == 1
        # Once one of them is gone, the number names the other alone.
        store.delete_execution(ORG, first.id)
        assert store.find_executions_by_number(ORG, first.number, limit=5) == [second]
