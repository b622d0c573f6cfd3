"""In-memory stand-ins for the ports, for fast service-layer tests.

The real adapters are tested against the emulators in tests/integration. The store
lives in tests/support/memory_store.py (held to the Firestore adapter's behaviour by
tests/contract/store_contract.py) and is re-exported here.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.support.memory_store import InMemoryStore
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.freshness import TableMetadata
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.results import Column, ReadLimits, row_size
from workflows_api.domain.execution.states import JobError, JobStatus
from workflows_api.service.errors import BackendUnavailable, WarehouseError

__all__ = ["FakeWarehouse", "InMemoryStore", "SubmittedJob"]

LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # a fake table's default last change
MIN_BILLED = 10 * 1024 * 1024  # BigQuery bills a query reading a table at least this
CANCELLED = JobError("stopped", "Job execution was cancelled")  # BigQuery's errorResult


@dataclass
class SubmittedJob:
    job_id: str
    sql: str
    arguments: list[QueryArgument]
    labels: dict[str, str]
    maximum_bytes_billed: int | None = None


NO_LIMITS = ReadLimits()


@dataclass
class FakeWarehouse:
    """Each job ends as its own outcome says ('running', 'succeeded' or a JobError):
    `outcomes[job_id]` when set, else `outcome`, the default every job without one of
    its own follows (a test setting it says "BigQuery now answers this for the jobs").

    Cancelling works as on BigQuery (tests/contract/warehouse_contract.py): a running
    job is stopped, that job only; a finished one stays as it ended; an unknown id is
    answered and changes nothing."""

    outcome: str | JobError = "running"
    outcomes: dict[str, str | JobError] = field(default_factory=dict)
    ddl: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    jobs: dict[str, SubmittedJob] = field(default_factory=dict)
    submissions: int = 0
    fail_submits: int = 0  # how many submits raise BackendUnavailable first
    cancelled: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # what an output table holds
    queries: list[tuple[str, list[QueryArgument]]] = field(default_factory=list)
    estimated_bytes: int | None = 10_485_760  # what a dry run answers
    missing_tables: set[str] = field(default_factory=set)  # tables that do not exist
    rows_caps: list[int | None] = field(default_factory=list)  # each rows query's cap
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ensure_dataset(self, connection: Connection) -> None:
        self.datasets.append(f"{connection.project}.{connection.dataset}")

    def run_ddl(self, connection: Connection, sql: str) -> None:
        """Refuses what is no DDL statement, as BigQuery's parser would."""
        if sql.split(maxsplit=1)[:1] not in (["CREATE"], ["DROP"], ["ALTER"]):
            raise WarehouseError("invalidQuery", f"Syntax error: Unexpected {sql[:20]!r}")
        self.ddl.append(sql)

    def submit_query(
        self,
        connection: Connection,
        *,
        job_id: str,
        sql: str,
        arguments: list[QueryArgument],
        labels: dict[str, str],
        maximum_bytes_billed: int | None = None,
    ) -> JobStatus:
        with self._lock:
            self.submissions += 1
            if self.fail_submits > 0:
                self.fail_submits -= 1
                raise BackendUnavailable("bigquery", "simulated outage")
            submitted = SubmittedJob(job_id, sql, arguments, labels, maximum_bytes_billed)
            if job_id not in self.jobs and (refusal := self._over_cap(maximum_bytes_billed)):
                self.outcomes[job_id] = refusal
            self.jobs.setdefault(job_id, submitted)
        status = self.get_job(connection, job_id)
        assert status is not None
        return status

    def _over_cap(self, cap: int | None) -> JobError | None:
        """BigQuery's refusal of a job billing over its cap (at least 10 MB per read)."""
        billed = max(self.estimated_bytes or 0, MIN_BILLED) if self.estimated_bytes else 0
        if cap is None or billed <= cap:
            return None
        message = f"Query exceeded limit for bytes billed: {cap}. {billed} or higher required."
        return JobError("bytesBilledLimitExceeded", message)

    def outcome_of(self, job_id: str) -> str | JobError:
        return self.outcomes.get(job_id, self.outcome)

    def get_job(self, connection: Connection, job_id: str) -> JobStatus | None:
        if job_id not in self.jobs:
            return None
        started = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        outcome = self.outcome_of(job_id)
        if outcome == "running":
            return JobStatus(job_id, "RUNNING", started_at=started)
        ended = started + dt.timedelta(seconds=3)
        error = outcome if isinstance(outcome, JobError) else None
        return JobStatus(job_id, "DONE", error, started, ended)

    def cancel_job(self, connection: Connection, job_id: str) -> None:
        self.cancelled.append(job_id)
        if job_id not in self.jobs:
            return  # BigQuery: 404, which the adapter answers as nothing to cancel
        # A finished job keeps its end, whatever the default later says; a running one stops.
        outcome = self.outcome_of(job_id)
        self.outcomes[job_id] = CANCELLED if outcome == "running" else outcome

    def estimate_query(
        self, connection: Connection, *, sql: str, arguments: list[QueryArgument]
    ) -> int | None:
        self.queries.append((sql, arguments))
        return self.estimated_bytes

    def table_columns(self, connection: Connection, table: str) -> list[Column]:
        if table in self.missing_tables:  # as BigQuery answers a dropped table
            raise WarehouseError("notFound", f"Not found: Table {table}")
        return list(self.columns)

    def query_rows(
        self,
        connection: Connection,
        sql: str,
        arguments: list[QueryArgument],
        limits: ReadLimits = NO_LIMITS,
    ) -> list[dict[str, Any]]:
        self.queries.append((sql, arguments))
        self.rows_caps.append(limits.maximum_bytes_billed)
        max_bytes = limits.max_bytes
        values = {a.name: a.value for a in arguments}
        offset, limit = values["wfapi_offset"], values["wfapi_limit"]
        found, size = [], 0
        for row in self.rows[offset : offset + limit]:
            found.append(dict(row))
            size += row_size(row)
            if max_bytes is not None and size >= max_bytes:
                break
        return found

    # Table metadata (the freshness of cached results). A table not listed is a plain
    # table last modified long ago; one in `missing_tables` does not exist.
    tables: dict[str, TableMetadata] = field(default_factory=dict)
    table_reads: list[tuple[str, ...]] = field(default_factory=list)

    def table_metadata(
        self, connection: Connection, tables: Sequence[str]
    ) -> dict[str, TableMetadata | None]:
        self.table_reads.append(tuple(tables))
        return {
            table: None
            if table in self.missing_tables
            else self.tables.get(table, TableMetadata(table, "TABLE", LONG_AGO))
            for table in tables
        }

    def touch_table(self, table: str, at: dt.datetime, kind: str = "TABLE") -> None:
        """What a DML, load or overwrite of `table` at `at` shows in tables.get."""
        self.tables[table] = TableMetadata(table, kind, at)
