"""The warehouse contract (tests/contract/warehouse_contract.py) on BigQueryWarehouse and
the local BigQuery: the fake the unit tests use answers as this does."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from google.cloud import bigquery

from tests.contract.warehouse_contract import ROWS, Outcome, WarehouseContract
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.states import JobStatus

pytestmark = pytest.mark.integration

# Pure DuckDB work, minutes long: a job the kit starts this way is cancelled by teardown.
ENDLESS_SQL = (
    "SELECT SUM(MOD(a * b, 7)) AS n "
    "FROM UNNEST(GENERATE_ARRAY(1, 200000)) a CROSS JOIN UNNEST(GENERATE_ARRAY(1, 200000)) b"
)
SQL = {
    "running": ENDLESS_SQL,
    "succeeded": "SELECT 1 AS x",
    "failed": "SELECT ERROR('refused on purpose')",
}
WAIT_SECONDS = 120  # a wait for the local BigQuery, never a speed bound


@dataclass
class BigQueryKit:
    warehouse: BigQueryWarehouse
    connection: Connection
    client: bigquery.Client
    started: list[str] = field(default_factory=list)

    def start(self, job_id: str, outcome: Outcome) -> JobStatus:
        self.started.append(job_id)
        self.warehouse.submit_query(
            self.connection, job_id=job_id, sql=SQL[outcome], arguments=[], labels={}
        )
        if outcome != "running":
            return self.until_done(job_id)
        return self._until(job_id, lambda status: status.state != "PENDING")

    def until_done(self, job_id: str) -> JobStatus:
        return self._until(job_id, lambda status: status.state == "DONE")

    def table(self) -> str:
        table = f"{self.connection.project}.{self.connection.dataset}.places"
        selects = " UNION ALL ".join(f"SELECT {r['id']} AS id, '{r['name']}' AS name" for r in ROWS)
        self.client.query(f"CREATE OR REPLACE TABLE `{table}` AS {selects}").result()
        return table

    def _until(self, job_id: str, done: Callable[[JobStatus], bool]) -> JobStatus:
        gives_up = time.monotonic() + WAIT_SECONDS
        while True:
            status = self.warehouse.get_job(self.connection, job_id)
            assert status is not None, job_id
            if done(status):
                return status
            assert time.monotonic() < gives_up, f"{job_id} is still {status.state}"
            time.sleep(0.05)

    def stop_everything(self) -> None:
        """Cancel what a test left running: the local BigQuery runs one job at a time."""
        for job_id in self.started:
            with contextlib.suppress(Exception):
                self.warehouse.cancel_job(self.connection, job_id)
        for job_id in self.started:
            with contextlib.suppress(Exception):
                self.until_done(job_id)


class TestBigQueryWarehouse(WarehouseContract):
    @pytest.fixture
    def kit(
        self, warehouse: BigQueryWarehouse, connection: Connection, bq_client: bigquery.Client
    ) -> Iterator[BigQueryKit]:
        kit = BigQueryKit(warehouse, connection, bq_client)
        yield kit
        kit.stop_everything()
