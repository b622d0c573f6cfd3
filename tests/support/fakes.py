"""In-memory stand-ins for the ports, for fast service-layer tests.

The real adapters are tested against the emulators in tests/integration. The store
lives in tests/support/memory_store.py (held to the Firestore adapter's behaviour by
tests/contract/store_contract.py) and is re-exported here.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.support.memory_store import InMemoryStore
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.results import Column
from workflows_api.domain.execution.states import JobError, JobStatus
from workflows_api.service.errors import BackendUnavailable

__all__ = ["FakeWarehouse", "InMemoryStore", "SubmittedJob"]


@dataclass
class SubmittedJob:
    job_id: str
    sql: str
    arguments: list[QueryArgument]
    labels: dict[str, str]
    maximum_bytes_billed: int | None = None


@dataclass
class FakeWarehouse:
    """Jobs finish as `outcome` says: 'running', 'succeeded' or a JobError."""

    outcome: str | JobError = "running"
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
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ensure_dataset(self, connection: Connection) -> None:
        self.datasets.append(f"{connection.project}.{connection.dataset}")

    def run_ddl(self, connection: Connection, sql: str) -> None:
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
            self.jobs.setdefault(job_id, submitted)
        status = self.get_job(connection, job_id)
        assert status is not None
        return status

    def get_job(self, connection: Connection, job_id: str) -> JobStatus | None:
        if job_id not in self.jobs:
            return None
        started = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        if self.outcome == "running":
            return JobStatus(job_id, "RUNNING", started_at=started)
        ended = started + dt.timedelta(seconds=3)
        error = self.outcome if isinstance(self.outcome, JobError) else None
        return JobStatus(job_id, "DONE", error, started, ended)

    def cancel_job(self, connection: Connection, job_id: str) -> None:
        self.cancelled.append(job_id)
        self.outcome = JobError("stopped", "Job execution was cancelled")

    def estimate_query(
        self, connection: Connection, *, sql: str, arguments: list[QueryArgument]
    ) -> int | None:
        self.queries.append((sql, arguments))
        return self.estimated_bytes

    def table_columns(self, connection: Connection, table: str) -> list[Column]:
        return list(self.columns)

    def query_rows(
        self, connection: Connection, sql: str, arguments: list[QueryArgument]
    ) -> list[dict[str, Any]]:
        self.queries.append((sql, arguments))
        values = {a.name: a.value for a in arguments}
        offset, limit = values["wfapi_offset"], values["wfapi_limit"]
        return [dict(row) for row in self.rows[offset : offset + limit]]
