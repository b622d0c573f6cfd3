"""Bounded waits: the request's deadline caps every backend call, its retries and each
attempt's timeout (deadlines.py, adapters/retrying.py and their users).

On a fake monotonic clock (tests/support/fake_monotonic.py): sleeping advances it, so
every bound here is exact and none depends on how loaded the machine is."""

from __future__ import annotations

from typing import Any, cast

import pytest
import requests
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from tests.support.fake_monotonic import FakeMonotonic
from workflows_api import deadlines
from workflows_api.adapters import bigquery_warehouse
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.adapters.firestore.documents import ATTEMPT_TIMEOUT_SECONDS, ONE_ATTEMPT
from workflows_api.adapters.retrying import call_with_retries
from workflows_api.domain.access.connections import Connection
from workflows_api.service.errors import BackendUnavailable

CONNECTION = Connection(org="acme", id="main", project="p", location="EU", dataset="d")


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeMonotonic:
    return FakeMonotonic().install(monkeypatch)


def test_no_deadline_outside_a_request() -> None:
    assert deadlines.time_left() is None
    assert deadlines.capped(7.0) == 7.0


def test_nested_deadlines_only_shorten(clock: FakeMonotonic) -> None:
    with deadlines.within(10):
        clock.sleep(2)
        with deadlines.within(60):
            assert deadlines.time_left() == 8
        with deadlines.within(1):
            assert deadlines.capped(30) == 1
        assert deadlines.time_left() == 8
        clock.sleep(9)
        assert deadlines.time_left() == -1 and deadlines.capped(30) == 0
    assert deadlines.time_left() is None


def test_time_in_a_paused_block_does_not_count_against_any_enclosing_deadline(
    clock: FakeMonotonic,
) -> None:
    with deadlines.within(10):
        with deadlines.within(2):
            with deadlines.paused(20):
                assert deadlines.time_left() == 22
                clock.sleep(3)
                assert deadlines.time_left() == 19
            # The 3 s spent waiting were given back, here and to the request.
            assert deadlines.time_left() == 2
        assert deadlines.time_left() == 10


def test_a_paused_block_gives_back_at_most_its_allowance(clock: FakeMonotonic) -> None:
    with deadlines.within(10):
        with deadlines.paused(1):
            clock.sleep(3)
        assert deadlines.time_left() == 8


def test_paused_without_a_deadline_keeps_none() -> None:
    with deadlines.paused(5):
        assert deadlines.time_left() is None


def test_retries_stop_at_the_requests_deadline_not_their_own(clock: FakeMonotonic) -> None:
    attempts: list[float] = []

    def always_unavailable() -> None:
        attempts.append(deadlines.capped(30))
        raise api_exceptions.ServiceUnavailable("frozen")

    started = clock.now
    with deadlines.within(0.5), pytest.raises(BackendUnavailable) as unavailable:
        call_with_retries(
            "firestore",
            "read",
            always_unavailable,
            is_transient=lambda e: isinstance(e, api_exceptions.ServiceUnavailable),
            first_delay=0.01,
            max_delay=0.05,
            deadline=60,
        )
    assert clock.since(started) <= 0.5  # the request's 0.5 s, not the call's 60
    assert unavailable.value.backend == "firestore"
    assert len(attempts) > 1 and clock.slept  # retried, after backing off
    assert attempts[0] == 0.5 and all(timeout <= 0.5 for timeout in attempts)


def test_a_call_out_of_time_is_not_attempted() -> None:
    attempts: list[int] = []
    with deadlines.within(0.0), pytest.raises(BackendUnavailable, match="out of time"):
        call_with_retries(
            "bigquery",
            "get job",
            lambda: attempts.append(1),
            is_transient=lambda e: True,
            first_delay=0.01,
            max_delay=0.05,
            deadline=5,
        )
    assert attempts == []


def test_firestore_attempt_timeout_ends_by_the_deadline() -> None:
    assert dict(**ONE_ATTEMPT) == {"retry": None, "timeout": ATTEMPT_TIMEOUT_SECONDS}
    with deadlines.within(1.0):
        kwargs = dict(**ONE_ATTEMPT)
    assert kwargs["retry"] is None
    assert 0 < kwargs["timeout"] <= 1.0


class _FrozenClient:
    """Stands for a BigQuery that accepts connections and never answers: each call
    waits out its timeout and raises as requests does."""

    def __init__(self, clock: FakeMonotonic) -> None:
        self.timeouts: list[float] = []
        self.clock = clock

    def _frozen(self, timeout: float) -> Any:
        self.timeouts.append(timeout)
        self.clock.sleep(timeout)
        raise requests.exceptions.ReadTimeout("read timed out")

    def query(self, sql: str, *, timeout: float, **kwargs: Any) -> Any:
        return self._frozen(timeout)

    def get_job(self, job_id: str, *, timeout: float, **kwargs: Any) -> Any:
        return self._frozen(timeout)


@pytest.fixture
def frozen(
    monkeypatch: pytest.MonkeyPatch, clock: FakeMonotonic
) -> tuple[BigQueryWarehouse, _FrozenClient]:
    monkeypatch.setattr(bigquery_warehouse, "JOB_CALL_DEADLINE_SECONDS", 0.6)
    client = _FrozenClient(clock)
    warehouse = BigQueryWarehouse(
        lambda _c: cast(bigquery.Client, client), first_retry_delay_seconds=0.05
    )
    return warehouse, client


def test_a_frozen_bigquery_costs_a_submission_its_budget(
    frozen: tuple[BigQueryWarehouse, _FrozenClient], clock: FakeMonotonic
) -> None:
    warehouse, client = frozen
    started = clock.now
    with pytest.raises(BackendUnavailable):
        warehouse.submit_query(CONNECTION, job_id="j1", sql="CALL p()", arguments=[], labels={})
    assert clock.since(started) <= 0.6  # JOB_CALL_DEADLINE_SECONDS, retries included
    assert client.timeouts[0] == 0.6 and all(t <= 0.6 for t in client.timeouts)


def test_a_frozen_bigquery_costs_a_job_read_at_most_the_requests_deadline(
    frozen: tuple[BigQueryWarehouse, _FrozenClient], clock: FakeMonotonic
) -> None:
    warehouse, client = frozen
    started = clock.now
    with deadlines.within(0.3), pytest.raises(BackendUnavailable):
        warehouse.get_job(CONNECTION, "j1")
    assert clock.since(started) <= 0.3  # the request's deadline, not the call's 0.6
    assert client.timeouts[0] == 0.3 and all(t <= 0.3 for t in client.timeouts)
