"""In-memory stand-ins for the ports, for fast service-layer tests.

The real adapters are tested against the emulators in tests/integration.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from workflows_api.domain.executions import Execution, JobError
from workflows_api.domain.results import Column
from workflows_api.domain.tokens import Principal, Token
from workflows_api.domain.webhooks import DeliveryAttempt, WebhookConfig
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.ports import (
    Connection,
    JobStatus,
    QueryArgument,
    TriggerRejection,
    WorkflowRecord,
)


class InMemoryStore:
    """Connections, workflows, executions, cache entries, idempotency keys and tokens."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.connections: dict[tuple[str, str], Connection] = {}
        self.workflows: dict[tuple[str, str], WorkflowRecord] = {}
        self.executions: dict[tuple[str, str], Execution] = {}
        self.cache_entries: dict[tuple[str, str], str] = {}
        self.idempotency_keys: dict[tuple[str, str], tuple[str, str]] = {}
        self.tokens: dict[str, Token] = {}
        self.rejections: dict[tuple[str, str], TriggerRejection] = {}
        self.principals: dict[str, Principal] = {}
        self.webhooks: dict[tuple[str, str], WebhookConfig] = {}
        self.signing_secrets: dict[tuple[str, str], str] = {}
        self.token_reads = 0

    # connections
    def get_connection(self, org: str, connection_id: str) -> Connection | None:
        return self.connections.get((org, connection_id))

    def put_connection(self, connection: Connection) -> None:
        self.connections[(connection.org, connection.id)] = connection

    def list_connections(self, org: str) -> list[Connection]:
        return [c for (o, _), c in sorted(self.connections.items()) if o == org]

    # workflows
    def get_workflow(self, org: str, workflow_id: str) -> WorkflowRecord | None:
        return self.workflows.get((org, workflow_id))

    def put_workflow(self, record: WorkflowRecord) -> None:
        self.workflows[(record.org, record.id)] = record

    def list_workflows(
        self, org: str, *, limit: int, after: str | None = None
    ) -> list[WorkflowRecord]:
        ids = sorted(i for (o, i) in self.workflows if o == org and (after is None or i > after))
        return [self.workflows[(org, i)] for i in ids[:limit]]

    def delete_workflow(self, org: str, workflow_id: str) -> bool:
        return self.workflows.pop((org, workflow_id), None) is not None

    def find_workflow_by_procedure(self, org: str, procedure: str) -> WorkflowRecord | None:
        for (o, _), record in sorted(self.workflows.items()):
            if o == org and record.api is not None and record.api.procedure == procedure:
                return record
        return None

    # executions
    def list_executions(
        self,
        org: str,
        workflow_id: str,
        *,
        limit: int,
        state: str | None = None,
        created_after: dt.datetime | None = None,
        created_before: dt.datetime | None = None,
        after_id: str | None = None,
    ) -> list[Execution]:
        rows = sorted(
            (
                e
                for (o, _), e in self.executions.items()
                if o == org
                and e.workflow_id == workflow_id
                and (state is None or e.state == state)
                and (created_after is None or e.created_at >= created_after)
                and (created_before is None or e.created_at < created_before)
            ),
            key=lambda e: (e.created_at, e.id),
            reverse=True,
        )
        if after_id is not None:
            last = self.executions[(org, after_id)]
            rows = [e for e in rows if (e.created_at, e.id) < (last.created_at, last.id)]
        return rows[:limit]

    def create_execution(self, execution: Execution, expire_at: dt.datetime) -> None:
        with self._lock:
            self.executions[(execution.org, execution.id)] = execution

    def get_execution(self, org: str, execution_id: str) -> Execution | None:
        return self.executions.get((org, execution_id))

    def save_execution(self, execution: Execution, *, expected_state: str) -> bool:
        with self._lock:
            stored = self.executions.get((execution.org, execution.id))
            if stored is None or stored.state != expected_state:
                return False
            self.executions[(execution.org, execution.id)] = execution
            return True

    def delete_execution(self, org: str, execution_id: str) -> None:
        with self._lock:
            self.executions.pop((org, execution_id), None)

    def claim_cache_entry(
        self, org: str, key: str, execution_id: str, expire_at: dt.datetime
    ) -> str | None:
        with self._lock:
            holder = self.cache_entries.setdefault((org, key), execution_id)
            return None if holder == execution_id else holder

    def replace_cache_entry(
        self,
        org: str,
        key: str,
        expected_execution_id: str,
        execution_id: str,
        expire_at: dt.datetime,
    ) -> bool:
        with self._lock:
            if self.cache_entries.get((org, key)) != expected_execution_id:
                return False
            self.cache_entries[(org, key)] = execution_id
            return True

    def get_idempotency_key(self, org: str, key_hash: str) -> tuple[str, str] | None:
        return self.idempotency_keys.get((org, key_hash))

    def claim_idempotency_key(
        self, org: str, key_hash: str, execution_id: str, fingerprint: str, expire_at: dt.datetime
    ) -> tuple[str, str] | None:
        with self._lock:
            held = self.idempotency_keys.setdefault((org, key_hash), (execution_id, fingerprint))
            return None if held[0] == execution_id else held

    # Pub/Sub rejections
    def record_trigger_rejection(self, rejection: TriggerRejection, expire_at: dt.datetime) -> None:
        self.rejections[(rejection.org, rejection.message_id)] = rejection

    def get_trigger_rejection(self, org: str, message_id: str) -> TriggerRejection | None:
        return self.rejections.get((org, message_id))

    # webhooks
    def get_webhooks(self, org: str, workflow_id: str) -> WebhookConfig | None:
        return self.webhooks.get((org, workflow_id))

    def put_webhooks(self, config: WebhookConfig) -> None:
        self.webhooks[(config.org, config.workflow_id)] = config

    def delete_webhooks(self, org: str, workflow_id: str) -> None:
        self.webhooks.pop((org, workflow_id), None)

    def delete_signing_secret(self, org: str, workflow_id: str) -> None:
        self.signing_secrets.pop((org, workflow_id), None)

    def get_signing_secret(self, org: str, workflow_id: str) -> str | None:
        return self.signing_secrets.get((org, workflow_id))

    def put_signing_secret(self, org: str, workflow_id: str, secret: str) -> None:
        self.signing_secrets[(org, workflow_id)] = secret

    def record_delivery_attempt(
        self, org: str, execution_id: str, attempt: DeliveryAttempt
    ) -> None:
        with self._lock:
            execution = self.executions[(org, execution_id)]
            self.executions[(org, execution_id)] = replace(
                execution, deliveries=(*execution.deliveries, attempt)
            )

    # principals
    def get_principal(self, email: str) -> Principal | None:
        return self.principals.get(email.strip().lower())

    def put_principal(self, principal: Principal) -> None:
        self.principals[principal.email.strip().lower()] = principal

    def delete_principal(self, email: str) -> bool:
        return self.principals.pop(email.strip().lower(), None) is not None

    def list_principals(self, org: str) -> list[Principal]:
        return sorted((p for p in self.principals.values() if p.org == org), key=lambda p: p.email)

    # tokens
    def create_token(self, token: Token) -> None:
        self.tokens[token.token_id] = token

    def get_token(self, token_id: str) -> Token | None:
        self.token_reads += 1
        return self.tokens.get(token_id)

    def list_tokens(self, org: str) -> list[Token]:
        return [t for t in self.tokens.values() if t.org == org]

    def revoke_token(self, token_id: str, at: dt.datetime) -> bool:
        token = self.tokens.get(token_id)
        if token is None:
            return False
        self.tokens[token_id] = replace(token, revoked_at=at)
        return True


@dataclass
class SubmittedJob:
    job_id: str
    sql: str
    arguments: list[QueryArgument]
    labels: dict[str, str]


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
    ) -> JobStatus:
        with self._lock:
            self.submissions += 1
            if self.fail_submits > 0:
                self.fail_submits -= 1
                raise BackendUnavailable("bigquery", "simulated outage")
            self.jobs.setdefault(job_id, SubmittedJob(job_id, sql, arguments, labels))
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

    def table_columns(self, connection: Connection, table: str) -> list[Column]:
        return list(self.columns)

    def query_rows(
        self, connection: Connection, sql: str, arguments: list[QueryArgument]
    ) -> list[dict[str, Any]]:
        self.queries.append((sql, arguments))
        values = {a.name: a.value for a in arguments}
        offset, limit = values["wfapi_offset"], values["wfapi_limit"]
        return [dict(row) for row in self.rows[offset : offset + limit]]
