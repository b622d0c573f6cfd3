"""InMemoryStore: every store port in memory, behaving like the Firestore adapter.

tests/contract/store_contract.py holds both to the same behaviour (this one in
tests/unit, FirestoreStore on the emulator in tests/integration). What Firestore does
that a dict would not, done here on purpose:
- records are copied in and out (a caller changing its dict changes nothing stored);
- naive datetimes are refused (ValueError), as the adapter refuses them;
- create_execution stores no delivery attempts and save_execution keeps the recorded
  ones (only record_delivery_attempt writes them);
- recording an attempt equal to a recorded one adds nothing (ArrayUnion);
- replace_cache_entry claims a key that has no entry; list_executions after an unknown
  id is empty; tokens list by (created_at, id); principals key on principal_key(email);
- creating an existing token raises Conflict and recording a delivery attempt of a
  missing execution raises NotFound, as the client library does under the adapter.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from dataclasses import replace

from google.api_core import exceptions

from tests.support.memory_admissions import InMemoryAdmissions
from tests.support.memory_schedules import InMemorySchedules
from tests.support.memory_slots import InMemorySlots
from tests.support.stored_copies import refuse_naive as _refuse_naive
from tests.support.stored_copies import stored as _stored
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.tokens import Principal, Token, principal_key
from workflows_api.domain.execution.delivery_attempts import DeliveryAttempt
from workflows_api.domain.execution.limits import OrgLimits, Slot
from workflows_api.domain.execution.records import TriggerRejection
from workflows_api.domain.execution.states import Execution, State
from workflows_api.domain.execution.webhooks import WebhookConfig
from workflows_api.domain.workflow.records import WorkflowRecord


class InMemoryStore(InMemoryAdmissions, InMemorySlots, InMemorySchedules):
    """Connections, workflows, executions, cache entries, idempotency keys, tokens,
    principals, webhooks, signing secrets, trigger rejections and schedules."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.connections: dict[tuple[str, str], Connection] = {}
        self.dataset_owners: dict[tuple[str, str], str] = {}
        self.workflows: dict[tuple[str, str], WorkflowRecord] = {}
        self.executions: dict[tuple[str, str], Execution] = {}
        self.cache_entries: dict[tuple[str, str], str] = {}
        self.idempotency_keys: dict[tuple[str, str], tuple[str, str]] = {}
        self.tokens: dict[str, Token] = {}
        self.rejections: dict[tuple[str, str], TriggerRejection] = {}
        self.principals: dict[str, Principal] = {}  # by principal_key(email)
        self.webhooks: dict[tuple[str, str], WebhookConfig] = {}
        self.signing_secrets: dict[tuple[str, str], str] = {}
        self.token_reads = 0
        self.slots: dict[tuple[str, str], Slot] = {}
        self.org_limits: dict[str, OrgLimits] = {}

    # connections
    def get_connection(self, org: str, connection_id: str) -> Connection | None:
        return self.connections.get((org, connection_id))

    def put_connection(self, connection: Connection) -> None:
        self.connections[(connection.org, connection.id)] = _stored(connection)

    def list_connections(self, org: str) -> list[Connection]:
        return [c for (o, _), c in sorted(self.connections.items()) if o == org]

    def claim_dataset(self, project: str, dataset: str, org: str) -> str:
        return self.dataset_owners.setdefault((project, dataset), org)

    # workflows
    def get_workflow(self, org: str, workflow_id: str) -> WorkflowRecord | None:
        return copy.deepcopy(self.workflows.get((org, workflow_id)))

    def put_workflow(self, record: WorkflowRecord) -> None:
        self.workflows[(record.org, record.id)] = _stored(record)

    def list_workflows(
        self, org: str, *, limit: int, after: str | None = None
    ) -> list[WorkflowRecord]:
        ids = sorted(i for (o, i) in self.workflows if o == org and (after is None or i > after))
        return [copy.deepcopy(self.workflows[(org, i)]) for i in ids[:limit]]

    def delete_workflow(self, org: str, workflow_id: str) -> bool:
        return self.workflows.pop((org, workflow_id), None) is not None

    def find_workflow_by_procedure(self, org: str, procedure: str) -> WorkflowRecord | None:
        for (o, _), record in sorted(self.workflows.items()):
            if o == org and record.api is not None and record.api.procedure == procedure:
                return copy.deepcopy(record)
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
        trigger: str | None = None,
    ) -> list[Execution]:
        _refuse_naive([created_after, created_before])
        rows = sorted(
            (
                e
                for (o, _), e in self.executions.items()
                if o == org
                and e.workflow_id == workflow_id
                and (state is None or e.state == state)
                and (trigger is None or e.trigger == trigger)
                and (created_after is None or e.created_at >= created_after)
                and (created_before is None or e.created_at < created_before)
            ),
            key=lambda e: (e.created_at, e.id),
            reverse=True,
        )
        if after_id is not None:
            last = self.executions.get((org, after_id))
            if last is None:
                return []
            rows = [e for e in rows if (e.created_at, e.id) < (last.created_at, last.id)]
        return copy.deepcopy(rows[:limit])

    def list_unconfirmed_executions(self, before: dt.datetime, limit: int) -> list[Execution]:
        _refuse_naive([before])
        rows = sorted(
            (
                e
                for e in self.executions.values()
                if e.state == State.CREATED and not e.job_confirmed and e.created_at < before
            ),
            key=lambda e: (e.created_at, e.org, e.id),  # Firestore: ties by document path
        )
        return copy.deepcopy(rows[:limit])

    def list_unsettled_executions(self, checked_before: dt.datetime, limit: int) -> list[Execution]:
        _refuse_naive([checked_before])
        rows = sorted(
            (
                e
                for e in self.executions.values()
                if not e.is_terminal
                and e.reconciled_at is not None
                and e.reconciled_at < checked_before
            ),
            key=lambda e: (e.reconciled_at, e.org, e.id),
        )
        return copy.deepcopy(rows[:limit])

    def list_org_executions(
        self,
        org: str,
        *,
        limit: int,
        workflow_ids: tuple[str, ...] | None = None,
        after_id: str | None = None,
    ) -> list[Execution]:
        rows = sorted(
            (
                e
                for (o, _), e in self.executions.items()
                if o == org and (workflow_ids is None or e.workflow_id in workflow_ids)
            ),
            key=lambda e: (e.created_at, e.id),
            reverse=True,
        )
        if after_id is not None:
            last = self.executions.get((org, after_id))
            if last is None:
                return []
            rows = [e for e in rows if (e.created_at, e.id) < (last.created_at, last.id)]
        return copy.deepcopy(rows[:limit])

    def create_execution(self, execution: Execution, expire_at: dt.datetime) -> None:
        _refuse_naive(expire_at)
        stored = _stored(replace(execution, deliveries=()))
        with self._lock:
            self.executions[(execution.org, execution.id)] = stored

    def get_execution(self, org: str, execution_id: str) -> Execution | None:
        return copy.deepcopy(self.executions.get((org, execution_id)))

    def find_executions_by_number(self, org: str, number: int, *, limit: int) -> list[Execution]:
        found = sorted(
            (e for (o, _), e in self.executions.items() if o == org and e.number == number),
            key=lambda e: e.id,
        )
        return copy.deepcopy(found[:limit])

    def save_execution(self, execution: Execution, *, expected_state: str) -> bool:
        with self._lock:
            stored = self.executions.get((execution.org, execution.id))
            if stored is None or stored.state != expected_state:
                return False
            saved = _stored(replace(execution, deliveries=stored.deliveries))
            self.executions[(execution.org, execution.id)] = saved
            return True

    def delete_execution(self, org: str, execution_id: str) -> None:
        with self._lock:
            self.executions.pop((org, execution_id), None)

    def record_delivery_attempt(
        self, org: str, execution_id: str, attempt: DeliveryAttempt
    ) -> None:
        _refuse_naive(attempt)
        with self._lock:
            execution = self.executions.get((org, execution_id))
            if execution is None:
                raise exceptions.NotFound(f"no execution {execution_id}")
            if attempt in execution.deliveries:
                return  # Firestore's ArrayUnion adds an equal element only once
            self.executions[(org, execution_id)] = replace(
                execution, deliveries=(*execution.deliveries, attempt)
            )

    def get_cache_entry(self, org: str, key: str) -> str | None:
        return self.cache_entries.get((org, key))

    def cache_entry_with_connection(
        self, org: str, key: str, connection_id: str
    ) -> tuple[str | None, Connection | None]:
        return self.get_cache_entry(org, key), self.get_connection(org, connection_id)

    def workflow_with_cache_entry(
        self, org: str, workflow_id: str, key: str, connection_id: str
    ) -> tuple[WorkflowRecord | None, OrgLimits | None, str | None, Connection | None]:
        return (
            copy.deepcopy(self.workflows.get((org, workflow_id))),
            self.get_org_limits(org),
            self.cache_entries.get((org, key)),
            self.connections.get((org, connection_id)),
        )

    def claim_cache_entry(
        self, org: str, key: str, execution_id: str, expire_at: dt.datetime
    ) -> str | None:
        _refuse_naive(expire_at)
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
        _refuse_naive(expire_at)
        with self._lock:
            holder = self.cache_entries.get((org, key))
            # No entry (it expired): claim it, as the adapter does.
            if holder is not None and holder != expected_execution_id:
                return False
            self.cache_entries[(org, key)] = execution_id
            return True

    def get_idempotency_key(self, org: str, key_hash: str) -> tuple[str, str] | None:
        return self.idempotency_keys.get((org, key_hash))

    def claim_idempotency_key(
        self, org: str, key_hash: str, execution_id: str, fingerprint: str, expire_at: dt.datetime
    ) -> tuple[str, str] | None:
        _refuse_naive(expire_at)
        with self._lock:
            held = self.idempotency_keys.setdefault((org, key_hash), (execution_id, fingerprint))
            return None if held[0] == execution_id else held

    # Pub/Sub rejections
    def record_trigger_rejection(self, rejection: TriggerRejection, expire_at: dt.datetime) -> None:
        _refuse_naive(expire_at)
        self.rejections[(rejection.org, rejection.message_id)] = _stored(rejection)

    def get_trigger_rejection(self, org: str, message_id: str) -> TriggerRejection | None:
        return self.rejections.get((org, message_id))

    # webhooks
    def get_webhooks(self, org: str, workflow_id: str) -> WebhookConfig | None:
        return self.webhooks.get((org, workflow_id))

    def put_webhooks(self, config: WebhookConfig) -> None:
        self.webhooks[(config.org, config.workflow_id)] = _stored(config)

    def delete_webhooks(self, org: str, workflow_id: str) -> None:
        self.webhooks.pop((org, workflow_id), None)

    def list_webhook_workflows(self) -> list[tuple[str, str]]:
        return sorted(self.webhooks)

    def delete_signing_secret(self, org: str, workflow_id: str) -> None:
        self.signing_secrets.pop((org, workflow_id), None)

    def get_signing_secret(self, org: str, workflow_id: str) -> str | None:
        return self.signing_secrets.get((org, workflow_id))

    def put_signing_secret(self, org: str, workflow_id: str, secret: str) -> None:
        self.signing_secrets[(org, workflow_id)] = secret

    # principals
    def get_principal(self, email: str) -> Principal | None:
        return self.principals.get(principal_key(email))

    def put_principal(self, principal: Principal) -> None:
        self.principals[principal_key(principal.email)] = _stored(principal)

    def delete_principal(self, email: str) -> bool:
        return self.principals.pop(principal_key(email), None) is not None

    def list_principals(self, org: str) -> list[Principal]:
        return sorted((p for p in self.principals.values() if p.org == org), key=lambda p: p.email)

    # tokens
    def create_token(self, token: Token) -> None:
        stored = _stored(token)
        with self._lock:
            if token.token_id in self.tokens:
                raise exceptions.Conflict(f"token {token.token_id} exists")
            self.tokens[token.token_id] = stored

    def get_token(self, token_id: str) -> Token | None:
        self.token_reads += 1
        return self.tokens.get(token_id)

    def list_tokens(self, org: str) -> list[Token]:
        tokens = [t for t in self.tokens.values() if t.org == org]
        return sorted(tokens, key=lambda token: (token.created_at, token.token_id))

    def revoke_token(self, token_id: str, at: dt.datetime) -> bool:
        _refuse_naive(at)
        with self._lock:
            token = self.tokens.get(token_id)
            if token is None:
                return False
            self.tokens[token_id] = replace(token, revoked_at=at)
            return True
