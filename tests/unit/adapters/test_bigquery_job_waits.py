"""Waiting on a BigQuery job (result rows, DDL): while BigQuery answers that the job
runs, the wait is not charged to the request's deadline; once it stops answering, the
next poll ends the request by that deadline (adapters/bigquery_warehouse.py).

A scripted client stands for BigQuery: its jobs answer jobs.get with the states of a
script, and a frozen BigQuery waits out each call's timeout and raises as requests does.
"""

from __future__ import annotations

import time
from typing import Any, cast

import pytest
import requests
from google.cloud import bigquery
from google.cloud.bigquery.table import Row

from workflows_api import deadlines
from workflows_api.adapters import bigquery_warehouse
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.service.errors import BackendUnavailable, WarehouseError

CONNECTION = Connection(org="acme", id="main", project="p", location="EU", dataset="d")
ROWS = [Row((1, "x"), {"a": 0, "b": 1}), Row((2, "y"), {"a": 0, "b": 1})]
FROZEN = "frozen"  # a state in a script: from then on, no call is answered


class _Job:
    def __init__(self, client: _ScriptedClient, states: list[str]) -> None:
        self._client = client
        self._states = states
        self.job_id = "job_1"
        self.state = "PENDING"
        self.error_result: dict[str, Any] | None = None
        self.destination = "p._anonymous.anon_job_1"

    def reload(self, *, retry: Any, timeout: float) -> None:
        self._client.poll_timeouts.append(timeout)
        if self._client.frozen or self._states[0] == FROZEN:
            self._client.frozen = True
            self._client.wait_out(timeout)
        self.state = self._states.pop(0) if len(self._states) > 1 else self._states[0]
        if self.state == "DONE" and self._client.fails:
            self.error_result = {"reason": "invalidQuery", "message": "Division by zero"}


class _ScriptedClient:
    def __init__(self, states: list[str], *, fails: bool = False) -> None:
        self.states = states
        self.fails = fails
        self.frozen = False
        self.poll_timeouts: list[float] = []
        self.list_timeouts: list[float] = []

    def wait_out(self, timeout: float) -> None:
        time.sleep(timeout)
        raise requests.exceptions.ReadTimeout("read timed out")

    def query(self, sql: str, *, timeout: float, **kwargs: Any) -> _Job:
        return _Job(self, list(self.states))

    def list_rows(self, table: str, *, retry: Any, timeout: float) -> list[Row]:
        self.list_timeouts.append(timeout)
        if self.frozen:
            self.wait_out(timeout)
        return ROWS


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bigquery_warehouse, "FIRST_POLL_DELAY_SECONDS", 0.05)
    monkeypatch.setattr(bigquery_warehouse, "MAX_POLL_DELAY_SECONDS", 0.05)


def _warehouse(client: _ScriptedClient) -> BigQueryWarehouse:
    return BigQueryWarehouse(
        lambda _c: cast(bigquery.Client, client), first_retry_delay_seconds=0.02
    )


def _rows(warehouse: BigQueryWarehouse) -> list[dict[str, Any]]:
    return warehouse.query_rows(CONNECTION, "SELECT 1", [QueryArgument("n", "INT64", 1)])


def test_a_job_bigquery_reports_running_may_outlast_the_requests_deadline() -> None:
    client = _ScriptedClient(["RUNNING"] * 12 + ["DONE"])
    started = time.monotonic()
    with deadlines.within(0.3):
        rows = _rows(_warehouse(client))
        left = deadlines.time_left()
    assert rows == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert time.monotonic() - started > 0.5  # twelve answered polls, 0.05 s apart
    assert left is not None and left > 0.1  # and none of that was charged
    assert client.list_timeouts and all(t <= 0.3 for t in client.list_timeouts)


def test_a_bigquery_that_freezes_during_the_wait_ends_the_request_by_its_deadline() -> None:
    client = _ScriptedClient(["RUNNING"] * 4 + [FROZEN])
    with deadlines.within(0.4), pytest.raises(BackendUnavailable) as unavailable:
        _rows(_warehouse(client))
    assert unavailable.value.backend == "bigquery"
    assert "poll rows query" in unavailable.value.reason
    # Every poll had at most what was left of the request's deadline, never the
    # 120 s the wait may take while BigQuery answers.
    assert client.frozen and client.poll_timeouts
    assert all(t <= 0.4 for t in client.poll_timeouts)
    assert sum(t for t in client.poll_timeouts[4:]) <= 0.4
    assert client.list_timeouts == []


def test_the_wait_gives_up_after_its_own_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bigquery_warehouse, "RESULT_TIMEOUT_SECONDS", 0.3)
    client = _ScriptedClient(["RUNNING"])  # runs for ever, answering
    with deadlines.within(5), pytest.raises(BackendUnavailable, match="not done in time"):
        _rows(_warehouse(client))
    assert len(client.poll_timeouts) >= 3


def test_a_job_that_fails_is_bigquerys_refusal() -> None:
    client = _ScriptedClient(["RUNNING", "DONE"], fails=True)
    with pytest.raises(WarehouseError) as refused:
        _rows(_warehouse(client))
    assert (refused.value.reason, refused.value.message) == ("invalidQuery", "Division by zero")
    assert client.list_timeouts == []
