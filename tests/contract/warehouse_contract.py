"""The warehouse contract: the Warehouse port of service/ports.py, written once.

Run against the fake the unit tests use (tests/unit/adapters/test_warehouse_contract.py)
and against BigQueryWarehouse on the local BigQuery
(tests/integration/test_bigquery_warehouse_contract.py): subclass WarehouseContract and
give it a `kit` fixture, a `WarehouseKit` on a fresh connection. What the contract cannot
say in SQL both understand (a job that runs until cancelled, one that fails, a table of
rows) the kit makes; everything else goes through the port itself.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, Protocol

import pytest

from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.results import (
    LIMIT_PARAMETER,
    OFFSET_PARAMETER,
    Column,
    ReadLimits,
    results_query,
)
from workflows_api.domain.execution.states import JobStatus, State
from workflows_api.service.errors import WarehouseError
from workflows_api.service.ports import Warehouse

Outcome = Literal["running", "succeeded", "failed"]
MB = 1024 * 1024
# The rows kit.table holds, and its columns as BigQuery's schema names their types.
ROWS = [{"id": i, "name": f"place {i:02d}"} for i in range(1, 8)]
COLUMNS = [Column("id", "INTEGER", False), Column("name", "STRING", False)]


class WarehouseKit(Protocol):
    warehouse: Warehouse
    connection: Connection  # its dataset exists

    def start(self, job_id: str, outcome: Outcome) -> JobStatus:
        """Submit job `job_id` through the port: one that runs until cancelled (returned
        once RUNNING), succeeds or fails (returned once DONE)."""
        ...

    def until_done(self, job_id: str) -> JobStatus:
        """The job's status once DONE (a cancel lands asynchronously on BigQuery)."""
        ...

    def table(self) -> str:
        """`project.dataset.table` holding ROWS, typed as COLUMNS."""
        ...


def new_job_id() -> str:
    return f"contract_{uuid.uuid4().hex}"


def page(kit: WarehouseKit, table: str, limit: int, offset: int) -> list[dict[str, Any]]:
    """The rows of `table` as the results service reads them: ordered, one page."""
    project, dataset, name = table.split(".")
    sql = results_query(project, dataset, name, COLUMNS, "wkt")
    arguments = [
        QueryArgument(LIMIT_PARAMETER, "INT64", limit),
        QueryArgument(OFFSET_PARAMETER, "INT64", offset),
    ]
    return kit.warehouse.query_rows(kit.connection, sql, arguments, ReadLimits())


class WarehouseContract:
    # --- jobs -----------------------------------------------------------------------

    def test_an_unknown_job_is_none(self, kit: WarehouseKit) -> None:
        assert kit.warehouse.get_job(kit.connection, new_job_id()) is None

    def test_a_running_job_reads_running_with_its_start_and_no_cost_yet(
        self, kit: WarehouseKit
    ) -> None:
        job_id = new_job_id()
        kit.start(job_id, "running")
        status = kit.warehouse.get_job(kit.connection, job_id)
        assert status is not None and (status.job_id, status.state) == (job_id, "RUNNING")
        assert status.execution_state == State.RUNNING
        assert status.started_at is not None and status.ended_at is None
        assert status.error is None and status.statistics is None

    def test_a_succeeded_job_is_done_without_error(self, kit: WarehouseKit) -> None:
        job_id = new_job_id()
        kit.start(job_id, "succeeded")
        status = kit.warehouse.get_job(kit.connection, job_id)
        assert status is not None and status.state == "DONE" and status.error is None
        assert status.execution_state == State.SUCCEEDED
        assert status.started_at is not None and status.ended_at is not None

    def test_a_failed_job_is_done_with_its_error_and_submitting_it_did_not_raise(
        self, kit: WarehouseKit
    ) -> None:
        job_id = new_job_id()
        kit.start(job_id, "failed")
        status = kit.warehouse.get_job(kit.connection, job_id)
        assert status is not None and status.state == "DONE"
        assert status.error is not None and status.error.reason and status.error.message
        assert status.execution_state == State.FAILED

    def test_submitting_a_job_id_again_is_the_first_job(self, kit: WarehouseKit) -> None:
        job_id = new_job_id()
        first = kit.start(job_id, "succeeded")
        again = kit.warehouse.submit_query(
            kit.connection, job_id=job_id, sql="SELECT ERROR('not run')", arguments=[], labels={}
        )
        assert again.job_id == job_id
        assert kit.until_done(job_id) == first  # not run again, not failed

    # --- cancel ---------------------------------------------------------------------

    def test_cancelling_a_running_job_stops_it(self, kit: WarehouseKit) -> None:
        job_id = new_job_id()
        kit.start(job_id, "running")
        kit.warehouse.cancel_job(kit.connection, job_id)
        stopped = kit.until_done(job_id)
        assert stopped.error is not None and stopped.error.reason == "stopped"
        assert stopped.execution_state == State.CANCELLED
        assert stopped.ended_at is not None

    def test_cancelling_a_finished_job_changes_no_job(self, kit: WarehouseKit) -> None:
        # The old fake answered every job `stopped` after this, cancelled or not (issue 29).
        cancelled, other = new_job_id(), new_job_id()
        kit.start(cancelled, "succeeded")
        kit.start(other, "succeeded")
        before = {job_id: kit.until_done(job_id) for job_id in (cancelled, other)}

        kit.warehouse.cancel_job(kit.connection, cancelled)

        assert {j: kit.warehouse.get_job(kit.connection, j) for j in before} == before

    def test_cancelling_a_failed_job_keeps_its_error(self, kit: WarehouseKit) -> None:
        job_id = new_job_id()
        kit.start(job_id, "failed")
        failed = kit.until_done(job_id)
        kit.warehouse.cancel_job(kit.connection, job_id)
        assert kit.warehouse.get_job(kit.connection, job_id) == failed

    def test_cancelling_one_job_leaves_a_running_job_running(self, kit: WarehouseKit) -> None:
        finished, running, unknown = new_job_id(), new_job_id(), new_job_id()
        kit.start(finished, "succeeded")
        kit.start(running, "running")

        kit.warehouse.cancel_job(kit.connection, finished)
        kit.warehouse.cancel_job(kit.connection, unknown)  # answered; nothing to stop

        status = kit.warehouse.get_job(kit.connection, running)
        assert status is not None and status.state == "RUNNING" and status.error is None
        assert kit.warehouse.get_job(kit.connection, unknown) is None

    # --- rows and columns -----------------------------------------------------------

    def test_a_tables_columns_and_its_rows_page_by_page(self, kit: WarehouseKit) -> None:
        table = kit.table()
        assert kit.warehouse.table_columns(kit.connection, table) == COLUMNS
        assert page(kit, table, limit=3, offset=0) == ROWS[:3]
        assert page(kit, table, limit=3, offset=3) == ROWS[3:6]
        assert page(kit, table, limit=3, offset=6) == ROWS[6:]
        assert page(kit, table, limit=3, offset=9) == []

    # --- DDL ------------------------------------------------------------------------

    def test_ensure_dataset_is_idempotent(self, kit: WarehouseKit) -> None:
        kit.warehouse.ensure_dataset(kit.connection)
        kit.warehouse.ensure_dataset(kit.connection)

    def test_ddl_creates_replaces_and_drops_a_procedure(self, kit: WarehouseKit) -> None:
        procedure = f"`{kit.connection.project}.{kit.connection.dataset}.wfproc_contract`"
        create = f"CREATE OR REPLACE PROCEDURE {procedure}()\nBEGIN\n  SELECT 1 AS x;\nEND"
        kit.warehouse.run_ddl(kit.connection, create)
        kit.warehouse.run_ddl(kit.connection, create)  # replaced
        kit.warehouse.run_ddl(kit.connection, f"DROP PROCEDURE IF EXISTS {procedure}")
        kit.warehouse.run_ddl(kit.connection, f"DROP PROCEDURE IF EXISTS {procedure}")

    def test_refused_ddl_raises_with_bigquerys_reason(self, kit: WarehouseKit) -> None:
        with pytest.raises(WarehouseError) as refused:
            kit.warehouse.run_ddl(kit.connection, "CREAT TABLE t AS SELECT 1 AS x")
        assert refused.value.reason == "invalidQuery"
        assert "CREAT" in refused.value.message

    # --- dry runs and costs ---------------------------------------------------------

    def test_a_dry_run_estimates_a_read_and_runs_nothing(self, kit: WarehouseKit) -> None:
        table = kit.table()
        reading = kit.warehouse.estimate_query(
            kit.connection, sql=f"SELECT name FROM `{table}` WHERE id > @n", arguments=[_n()]
        )
        assert isinstance(reading, int) and reading > 0
        deleting = f"DELETE FROM `{table}` WHERE id > @n"
        estimate = kit.warehouse.estimate_query(kit.connection, sql=deleting, arguments=[_n()])
        assert estimate is None or estimate >= 0
        assert page(kit, table, limit=100, offset=0) == ROWS  # nothing was deleted

    def test_a_job_capped_under_what_it_bills_fails_with_bigquerys_error(
        self, kit: WarehouseKit
    ) -> None:
        table, job_id = kit.table(), new_job_id()
        kit.warehouse.submit_query(
            kit.connection,
            job_id=job_id,
            sql=f"SELECT COUNT(*) AS n FROM `{table}`",
            arguments=[],
            labels={},
            maximum_bytes_billed=MB,
        )
        status = kit.until_done(job_id)
        assert status.error is not None and status.error.reason == "bytesBilledLimitExceeded"
        assert status.error.message.startswith(f"Query exceeded limit for bytes billed: {MB}.")
        assert status.execution_state == State.FAILED

    def test_a_job_within_its_cap_runs(self, kit: WarehouseKit) -> None:
        table, job_id = kit.table(), new_job_id()
        kit.warehouse.submit_query(
            kit.connection,
            job_id=job_id,
            sql=f"SELECT COUNT(*) AS n FROM `{table}`",
            arguments=[],
            labels={},
            maximum_bytes_billed=100 * MB,
        )
        status = kit.until_done(job_id)
        assert status.error is None, status.error


def _n() -> QueryArgument:
    return QueryArgument("n", "INT64", 3)
