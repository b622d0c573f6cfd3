"""The warehouse contract on the fake the unit tests use (BigQueryWarehouse runs the
same contract on the local BigQuery in tests/integration/test_bigquery_warehouse_contract.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.contract.warehouse_contract import COLUMNS, ROWS, Outcome, WarehouseContract
from tests.support.fakes import FakeWarehouse
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.states import JobError, JobStatus


@dataclass
class FakeKit:
    warehouse: FakeWarehouse
    connection: Connection

    def start(self, job_id: str, outcome: Outcome) -> JobStatus:
        if outcome == "running":
            self.warehouse.outcomes[job_id] = "running"
        elif outcome == "failed":
            self.warehouse.outcomes[job_id] = JobError("invalidQuery", "refused on purpose")
        # "succeeded": the fake's default outcome, as the kit builds it
        return self.warehouse.submit_query(
            self.connection, job_id=job_id, sql="SELECT 1", arguments=[], labels={}
        )

    def until_done(self, job_id: str) -> JobStatus:
        status = self.warehouse.get_job(self.connection, job_id)
        assert status is not None and status.state == "DONE", status
        return status

    def table(self) -> str:
        self.warehouse.columns, self.warehouse.rows = list(COLUMNS), [dict(r) for r in ROWS]
        return f"{self.connection.project}.{self.connection.dataset}.places"


class TestFakeWarehouse(WarehouseContract):
    @pytest.fixture
    def kit(self) -> FakeKit:
        connection = Connection("acme", "main", "demo-project")
        return FakeKit(FakeWarehouse(outcome="succeeded"), connection)
