"""The small interfaces the services need: Protocols only.

Firestore implements the stores (`adapters/firestore/`), BigQuery the warehouse
(`adapters/bigquery_warehouse.py`); unit tests use in-memory fakes (one contract suite runs
against both). The records that cross these ports are domain types (`domain/`).

Errors are part of every port's contract (`service/errors.py`): an adapter retries
transient errors itself and raises `BackendUnavailable` when retrying did not help; the
warehouse raises `WarehouseError` for what BigQuery refused; the ID-token verifier raises
`InvalidIdToken`, the webhook sender `WebhookSendError`. No other exception crosses a port.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from workflows_api.service.schedule_ports import ScheduleStore

# Annotations only: a process loads no domain module for the ports' sake (cold start).
if TYPE_CHECKING:
    from workflows_api.domain.access.connections import Connection
    from workflows_api.domain.access.tokens import Principal, Token
    from workflows_api.domain.execution.admissions import Admission
    from workflows_api.domain.execution.delivery_attempts import DeliveryAttempt
    from workflows_api.domain.execution.freshness import TableMetadata
    from workflows_api.domain.execution.limits import OrgLimits, Slot
    from workflows_api.domain.execution.records import QueryArgument, TriggerRejection
    from workflows_api.domain.execution.results import Column, ReadLimits
    from workflows_api.domain.execution.states import Execution, JobStatus
    from workflows_api.domain.execution.webhook_deliveries import WebhookDelivery
    from workflows_api.domain.execution.webhooks import WebhookConfig
    from workflows_api.domain.workflow.records import WorkflowRecord


class ConnectionStore(Protocol):
    def get_connection(self, org: str, connection_id: str) -> Connection | None: ...
    def put_connection(self, connection: Connection) -> None: ...
    def list_connections(self, org: str) -> list[Connection]: ...
    def claim_dataset(self, project: str, dataset: str, org: str) -> str:
        """Record `org` as the owner of `project.dataset` unless an org already is;
        return the owner (atomic: two orgs never both get one dataset)."""
        ...


class WorkflowStore(Protocol):
    def get_workflow(self, org: str, workflow_id: str) -> WorkflowRecord | None: ...
    def put_workflow(self, record: WorkflowRecord) -> None: ...
    def list_workflows(
        self, org: str, *, limit: int, after: str | None = None
    ) -> list[WorkflowRecord]:
        """Ordered by id; `after` is the last id of the previous page."""
        ...

    def delete_workflow(self, org: str, workflow_id: str) -> bool: ...

    def find_workflow_by_procedure(self, org: str, procedure: str) -> WorkflowRecord | None:
        """The org's workflow whose API state names `procedure` (project.dataset.routine)."""
        ...


class ExecutionStore(Protocol):
    def create_execution(self, execution: Execution, expire_at: dt.datetime) -> None: ...
    def get_execution(self, org: str, execution_id: str) -> Execution | None: ...
    def find_executions_by_number(self, org: str, number: int, *, limit: int) -> list[Execution]:
        """The org's executions whose `number` is `number`, by id, at most `limit`:
        more than one is a collision (domain/execution/numbers.py), for the caller to
        detect. One indexed query; the number is stored by create_execution."""
        ...

    def save_execution(self, execution: Execution, *, expected_state: str) -> bool:
        """Write `execution` only if the stored one is still in `expected_state`
        (atomically); False when another writer moved it first."""
        ...

    def delete_execution(self, org: str, execution_id: str) -> None: ...

    def record_delivery_attempt(
        self, org: str, execution_id: str, attempt: DeliveryAttempt
    ) -> None:
        """Append one webhook delivery attempt to the execution's record."""
        ...

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
        trigger: str | None = None,
    ) -> list[Execution]:
        """Newest first (created_at, then id, descending); `after_id` is the last
        execution of the previous page; `trigger`: only those it started."""
        ...

    def list_unconfirmed_executions(self, before: dt.datetime, limit: int) -> list[Execution]:
        """Every org's executions created before `before`, still `created` and never
        `job_confirmed` (maybe never submitted), oldest first."""
        ...

    def list_unsettled_executions(self, checked_before: dt.datetime, limit: int) -> list[Execution]:
        """Every org's executions whose job BigQuery confirmed but that are not terminal
        (`created` queued, or `running`) and were last reconciled before
        `checked_before`: the least recently checked first (the sweep's backstop)."""
        ...

    def list_org_executions(
        self,
        org: str,
        *,
        limit: int,
        workflow_ids: tuple[str, ...] | None = None,
        after_id: str | None = None,
    ) -> list[Execution]:
        """The org's (of `workflow_ids` alone, when given), ordered as list_executions."""
        ...

    def admit_execution(self, admission: Admission) -> bool:
        """Create, in one atomic commit, everything `admission` names, each only if it
        does not exist: True when all were written, False (nothing written) when any
        existed. The record is created as create_execution creates it."""
        ...

    def get_cache_entry(self, org: str, key: str) -> str | None:
        """The execution id holding `key`; None when there is no entry."""

    def cache_entry_with_connection(
        self, org: str, key: str, connection_id: str
    ) -> tuple[str | None, Connection | None]:
        """`get_cache_entry` and the org's connection (None: none), in one round trip."""

    def workflow_with_cache_entry(
        self, org: str, workflow_id: str, key: str, connection_id: str
    ) -> tuple[WorkflowRecord | None, OrgLimits | None, str | None, Connection | None]:
        """The workflow and the org's limits (SlotStore.get_org_limits), then as
        `cache_entry_with_connection`: one round, one snapshot."""

    def claim_cache_entry(
        self, org: str, key: str, execution_id: str, expire_at: dt.datetime
    ) -> str | None:
        """Atomically make `execution_id` the holder of `key` if no entry exists.

        Returns None when claimed, else the current holder's execution id.
        """
        ...

    def replace_cache_entry(
        self,
        org: str,
        key: str,
        expected_execution_id: str,
        execution_id: str,
        expire_at: dt.datetime,
    ) -> bool:
        """Compare-and-swap the holder of `key`; False if it is no longer `expected`."""
        ...

    def get_idempotency_key(self, org: str, key_hash: str) -> tuple[str, str] | None:
        """(execution id, request fingerprint) recorded for the key, if any."""
        ...

    def claim_idempotency_key(
        self, org: str, key_hash: str, execution_id: str, fingerprint: str, expire_at: dt.datetime
    ) -> tuple[str, str] | None:
        """Atomically record the key for `execution_id` if it is new; else return the
        (execution id, fingerprint) already recorded."""
        ...


class SlotStore(Protocol):
    """Concurrency slots (leases naming an execution), the org's limits and its queue."""

    def list_slots(self, org: str) -> list[Slot]:
        """Every slot of the org held now (org and workflow slots)."""
        ...

    def claim_slot(self, org: str, slot: Slot) -> bool:
        """Create the slot naming `slot.execution_id` if nobody holds it (atomic); True
        when it names that execution now (also when it already did)."""
        ...

    def release_slot(self, org: str, slot_id: str, execution_id: str) -> bool:
        """Delete the slot if it still names `execution_id` (atomic); False otherwise."""
        ...

    def list_queued_executions(self, org: str, limit: int) -> list[Execution]:
        """The org's `queued` executions, oldest first (created_at, then id)."""
        ...

    def count_queued_executions(self, org: str, before: dt.datetime | None = None) -> int:
        """How many of the org's executions are `queued` (created before `before`)."""
        ...

    def list_queued_orgs(self, limit: int) -> list[str]:
        """The orgs whose oldest `queued` executions are among every org's `limit`
        oldest (the sweep's look for queues to move), each once."""
        ...

    def get_org_limits(self, org: str) -> OrgLimits | None: ...
    def put_org_limits(self, limits: OrgLimits) -> None: ...

    def replace_org_limits(self, expected: OrgLimits, limits: OrgLimits) -> bool:
        """Write `limits` only while the stored ones equal `expected` (compare-and-swap)."""


class TriggerRejectionStore(Protocol):
    def record_trigger_rejection(
        self, rejection: TriggerRejection, expire_at: dt.datetime
    ) -> None: ...

    def get_trigger_rejection(self, org: str, message_id: str) -> TriggerRejection | None: ...


class PrincipalStore(Protocol):
    def get_principal(self, email: str) -> Principal | None: ...
    def put_principal(self, principal: Principal) -> None: ...
    def delete_principal(self, email: str) -> bool: ...
    def list_principals(self, org: str) -> list[Principal]: ...


class IdTokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a Google-signed ID token for our audience; raises InvalidIdToken."""
        ...


class WebhookStore(Protocol):
    """A workflow's notification URLs."""

    def get_webhooks(self, org: str, workflow_id: str) -> WebhookConfig | None: ...
    def put_webhooks(self, config: WebhookConfig) -> None: ...
    def delete_webhooks(self, org: str, workflow_id: str) -> None: ...
    def list_webhook_workflows(self) -> list[tuple[str, str]]:
        """(org, workflow id) of every workflow with webhooks, in every org (operator
        commands such as the signing-secret migration)."""
        ...


class SigningSecrets(Protocol):
    """A workflow's webhook signing secret: Secret Manager in production, Firestore on
    the local stack (which has no Secret Manager emulator)."""

    def get_signing_secret(self, org: str, workflow_id: str) -> str | None: ...
    def put_signing_secret(self, org: str, workflow_id: str, secret: str) -> None: ...
    def delete_signing_secret(self, org: str, workflow_id: str) -> None: ...


class WebhookSender(Protocol):
    def send(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST `body`; the receiver's status code, or WebhookSendError."""
        ...


class DeliveryQueue(Protocol):
    """Where ending an execution leaves its webhook deliveries (Pub/Sub in production,
    pushed to the delivery function); a delivery is attempted once per queue delivery."""

    def enqueue(self, deliveries: list[WebhookDelivery]) -> None:
        """Queue each delivery as one message, within a deadline; raises
        BackendUnavailable when the queue did not take them."""
        ...


class TokenStore(Protocol):
    def create_token(self, token: Token) -> None: ...
    def get_token(self, token_id: str) -> Token | None: ...
    def list_tokens(self, org: str) -> list[Token]: ...
    def revoke_token(self, token_id: str, at: dt.datetime) -> bool: ...


class Store(
    ConnectionStore,
    WorkflowStore,
    ExecutionStore,
    SlotStore,
    TriggerRejectionStore,
    PrincipalStore,
    ScheduleStore,
    WebhookStore,
    SigningSecrets,
    TokenStore,
    Protocol,
):
    """Every store port at once: what one database adapter implements (FirestoreStore;
    the in-memory fake in unit tests)."""


class Warehouse(Protocol):
    """BigQuery, seen from the services. Jobs run in the connection's project."""

    def ensure_dataset(self, connection: Connection) -> None:
        """Create the connection's dataset for generated objects if it is missing."""
        ...

    def run_ddl(self, connection: Connection, sql: str) -> None:
        """Run one DDL statement (create/drop procedure) and wait; raises WarehouseError."""
        ...

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
        """Submit `sql` (a CALL) with named typed query parameters as job `job_id`, capped
        at `maximum_bytes_billed` (None: no cap); an existing job with that id counts as
        submitted. Returns the job's status as known
        right after submitting (the emulator answers only once the job is done)."""
        ...

    def get_job(self, connection: Connection, job_id: str) -> JobStatus | None:
        """None when BigQuery has no such job."""
        ...

    def cancel_job(self, connection: Connection, job_id: str) -> None: ...

    def estimate_query(
        self, connection: Connection, *, sql: str, arguments: list[QueryArgument]
    ) -> int | None:
        """The bytes `sql` would process (a dry run: nothing runs, nothing is billed);
        None when BigQuery gives no estimate."""
        ...

    def table_columns(self, connection: Connection, table: str) -> list[Column]:
        """The columns of `project.dataset.table` (a dry run: free, reads nothing)."""
        ...

    def table_metadata(
        self, connection: Connection, tables: Sequence[str]
    ) -> dict[str, TableMetadata | None]:
        """Each table's kind and last modification (tables.get, all at once); None for a
        table that does not exist."""
        ...

    def query_rows(
        self, connection: Connection, sql: str, arguments: list[QueryArgument], limits: ReadLimits
    ) -> list[dict[str, Any]]:
        """Run a read-only query with named parameters (billing at most
        `limits.maximum_bytes_billed`) and return its rows, stopping after the row that
        takes their size (`domain.execution.results.row_size`) to `limits.max_bytes`."""
        ...
