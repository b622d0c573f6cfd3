"""The stores of `service/ports.py` on Firestore.

Layout (partitioned by org; ids are random, so writes do not hotspot):

    orgs/{org}/connections/{connection_id}
    orgs/{org}/workflows/{workflow_id}
    orgs/{org}/executions/{execution_id}       expire_at: TTL field
    orgs/{org}/cache_entries/{cache_key}       expire_at: TTL field
    orgs/{org}/idempotency_keys/{key_hash}     expire_at: TTL field
    tokens/{token_id}                          top level: looked up before the org is known

Dicts whose key order matters (workflow definitions, execution parameters) are kept
as JSON strings: Firestore maps do not keep key order. Datetimes go in as tz-aware
timestamps and come back as plain UTC `datetime`s.

Every call is one attempt per RPC; `_call` retries transient errors with backoff for
a few seconds and then raises BackendUnavailable. Conditional writes are lock-free:
create-if-absent (`create()`) and compare-and-swap on the last update time, never a
read-write transaction (the emulator serialises contended ones with lock timeouts).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TypedDict, TypeVar

from google.api_core import exceptions
from google.api_core.retry import if_exception_type
from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from workflows_api.adapters.retrying import call_with_retries
from workflows_api.domain.executions import Execution, JobError, State
from workflows_api.domain.tokens import Grant, Principal, Token, principal_key
from workflows_api.domain.webhooks import DeliveryAttempt, WebhookConfig
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.ports import ApiState, Connection, TriggerRejection, WorkflowRecord

# The composite indexes the queries above need (collection group, fields in order).
# Firestore answers these queries only once the index exists; infra/ declares them.
COMPOSITE_INDEXES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("executions", (("workflow_id", "ASCENDING"), ("created_at", "DESCENDING"))),
    (
        "executions",
        (("workflow_id", "ASCENDING"), ("state", "ASCENDING"), ("created_at", "DESCENDING")),
    ),
)

T = TypeVar("T")

_TRANSIENT = (
    exceptions.ServiceUnavailable,
    exceptions.DeadlineExceeded,
    exceptions.InternalServerError,
    exceptions.TooManyRequests,  # also ResourceExhausted (its subclass)
    exceptions.Aborted,
)
# How long one store call keeps retrying transient errors before BackendUnavailable.
RETRY_DEADLINE_SECONDS = 10.0
_CLAIM_ATTEMPTS = 3


class _OneAttempt(TypedDict):
    retry: None
    timeout: float


# Passed to every client call: the library's own retries (up to 60-300 s) are off,
# `_call` decides instead.
_ONE_ATTEMPT: _OneAttempt = {"retry": None, "timeout": 5.0}


def _call(operation: Callable[[], T]) -> T:
    """Run `operation`, retrying transient Firestore errors; BackendUnavailable after."""
    return call_with_retries(
        "firestore",
        "a Firestore request",
        operation,
        is_transient=if_exception_type(*_TRANSIENT),
        first_delay=0.1,
        max_delay=2.0,
        deadline=RETRY_DEADLINE_SECONDS,
    )


class FirestoreStore:
    """ConnectionStore, WorkflowStore, ExecutionStore and TokenStore on one client."""

    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def _org(self, org: str, collection: str) -> firestore.CollectionReference:
        return self._client.collection("orgs").document(org).collection(collection)

    def _update_unchanged(
        self,
        ref: firestore.DocumentReference,
        snapshot: firestore.DocumentSnapshot,
        doc: dict[str, Any],
    ) -> bool:
        """Compare-and-swap: update only if nobody wrote since `snapshot` was read."""
        unchanged = self._client.write_option(last_update_time=snapshot.update_time)
        try:
            _call(lambda: ref.update(doc, option=unchanged, **_ONE_ATTEMPT))
        except (exceptions.FailedPrecondition, exceptions.NotFound):
            return False
        return True

    def _delete_existing(self, ref: firestore.DocumentReference) -> bool:
        """Delete in one atomic call that fails when there is nothing to delete."""
        must_exist = self._client.write_option(exists=True)
        try:
            _call(lambda: ref.delete(option=must_exist, **_ONE_ATTEMPT))
        except exceptions.NotFound:
            return False
        return True

    # Connections

    def get_connection(self, org: str, connection_id: str) -> Connection | None:
        data = _read(self._org(org, "connections").document(connection_id))
        return None if data is None else _connection_from_doc(org, connection_id, data)

    def put_connection(self, connection: Connection) -> None:
        ref = self._org(connection.org, "connections").document(connection.id)
        _write(ref, _connection_to_doc(connection))

    def list_connections(self, org: str) -> list[Connection]:
        query = self._org(org, "connections").order_by(FieldPath.document_id())
        snapshots = _call(lambda: query.get(**_ONE_ATTEMPT))
        return [_connection_from_doc(org, s.id, s.to_dict() or {}) for s in snapshots]

    # Workflows

    def get_workflow(self, org: str, workflow_id: str) -> WorkflowRecord | None:
        data = _read(self._org(org, "workflows").document(workflow_id))
        return None if data is None else _workflow_from_doc(org, workflow_id, data)

    def put_workflow(self, record: WorkflowRecord) -> None:
        ref = self._org(record.org, "workflows").document(record.id)
        _write(ref, _workflow_to_doc(record))

    def list_workflows(
        self, org: str, *, limit: int, after: str | None = None
    ) -> list[WorkflowRecord]:
        query = self._org(org, "workflows").order_by(FieldPath.document_id()).limit(limit)
        if after is not None:
            query = query.start_after({FieldPath.document_id(): after})
        snapshots = _call(lambda: query.get(**_ONE_ATTEMPT))
        return [_workflow_from_doc(org, s.id, s.to_dict() or {}) for s in snapshots]

    def find_workflow_by_procedure(self, org: str, procedure: str) -> WorkflowRecord | None:
        query = (
            self._org(org, "workflows")
            .where(filter=firestore.FieldFilter("api.procedure", "==", procedure))
            .limit(1)
        )
        snapshots = _call(lambda: query.get(**_ONE_ATTEMPT))
        return next((_workflow_from_doc(org, s.id, s.to_dict() or {}) for s in snapshots), None)

    def delete_workflow(self, org: str, workflow_id: str) -> bool:
        ref = self._org(org, "workflows").document(workflow_id)
        return self._delete_existing(ref)

    # Executions

    def create_execution(self, execution: Execution, expire_at: dt.datetime) -> None:
        ref = self._org(execution.org, "executions").document(execution.id)
        doc = {**_execution_to_doc(execution), "expire_at": _timestamp(expire_at)}
        _write(ref, doc)

    def get_execution(self, org: str, execution_id: str) -> Execution | None:
        ref = self._org(org, "executions").document(execution_id)
        data = _read(ref)
        return None if data is None else _execution_from_doc(data)

    def save_execution(self, execution: Execution, *, expected_state: str) -> bool:
        # A read, then an update conditioned on the read's update time: no transaction,
        # so concurrent writers (status reads, completion events) never wait on locks.
        ref = self._org(execution.org, "executions").document(execution.id)
        snapshot = _call(lambda: ref.get(**_ONE_ATTEMPT))
        if not snapshot.exists or snapshot.get("state") != expected_state:
            return False
        # No expire_at in the doc: update() keeps the stored one.
        return self._update_unchanged(ref, snapshot, _execution_to_doc(execution))

    def record_delivery_attempt(
        self, org: str, execution_id: str, attempt: DeliveryAttempt
    ) -> None:
        # ArrayUnion appends without reading: attempts never race with state writes,
        # which end once the execution is terminal.
        ref = self._org(org, "executions").document(execution_id)
        entry = {
            "url": attempt.url,
            "attempt": attempt.attempt,
            "at": _timestamp(attempt.at),
            "state": attempt.state,
            "status_code": attempt.status_code,
            "error": attempt.error,
        }
        _call(
            lambda: ref.update(
                {"webhook_deliveries": firestore.ArrayUnion([entry])}, **_ONE_ATTEMPT
            )
        )

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
        # Served by the composite indexes in COMPOSITE_INDEXES (Terraform creates them).
        executions = self._org(org, "executions")
        query = executions.where(filter=firestore.FieldFilter("workflow_id", "==", workflow_id))
        if state is not None:
            query = query.where(filter=firestore.FieldFilter("state", "==", state))
        if created_after is not None:
            query = query.where(
                filter=firestore.FieldFilter("created_at", ">=", _timestamp(created_after))
            )
        if created_before is not None:
            query = query.where(
                filter=firestore.FieldFilter("created_at", "<", _timestamp(created_before))
            )
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).order_by(
            FieldPath.document_id(), direction=firestore.Query.DESCENDING
        )
        if after_id is not None:
            last = _call(lambda: executions.document(after_id).get(**_ONE_ATTEMPT))
            if not last.exists:
                return []
            query = query.start_after(last)
        snapshots = _call(lambda: query.limit(limit).get(**_ONE_ATTEMPT))
        return [_execution_from_doc(s.to_dict() or {}) for s in snapshots]

    def delete_execution(self, org: str, execution_id: str) -> None:
        ref = self._org(org, "executions").document(execution_id)
        _delete(ref)

    # Cache entries: the execution currently answering a cache key.

    def claim_cache_entry(
        self, org: str, key: str, execution_id: str, expire_at: dt.datetime
    ) -> str | None:
        ref = self._org(org, "cache_entries").document(key)
        doc = _cache_entry_doc(execution_id, expire_at)
        # create() is an atomic create-if-absent: no transaction, so no lock waits
        # when many identical requests arrive at once.
        for _ in range(_CLAIM_ATTEMPTS):
            try:
                _call(lambda: ref.create(doc, **_ONE_ATTEMPT))
                return None
            except exceptions.Conflict:
                pass
            holder = self._cache_holder(ref)
            if holder is not None:
                # Our own id: an earlier attempt of this create went through.
                return None if holder == execution_id else holder
            # Deleted between our create and our read (TTL, or its holder): try again.
        raise BackendUnavailable("firestore", f"cache entry {key!r} keeps changing")

    def replace_cache_entry(
        self,
        org: str,
        key: str,
        expected_execution_id: str,
        execution_id: str,
        expire_at: dt.datetime,
    ) -> bool:
        ref = self._org(org, "cache_entries").document(key)
        snapshot = _call(lambda: ref.get(**_ONE_ATTEMPT))
        if not snapshot.exists:
            return self.claim_cache_entry(org, key, execution_id, expire_at) is None
        if snapshot.get("execution_id") != expected_execution_id:
            return False
        if self._update_unchanged(ref, snapshot, _cache_entry_doc(execution_id, expire_at)):
            return True
        # Someone else wrote first, unless it was an earlier attempt of ours
        # (execution ids are unique to their request).
        return self._cache_holder(ref) == execution_id

    def _cache_holder(self, ref: firestore.DocumentReference) -> str | None:
        data = _read(ref)
        return None if data is None else str(data["execution_id"])

    # Idempotency keys

    def get_idempotency_key(self, org: str, key_hash: str) -> tuple[str, str] | None:
        ref = self._org(org, "idempotency_keys").document(key_hash)
        data = _read(ref)
        return None if data is None else (data["execution_id"], data["fingerprint"])

    def claim_idempotency_key(
        self, org: str, key_hash: str, execution_id: str, fingerprint: str, expire_at: dt.datetime
    ) -> tuple[str, str] | None:
        ref = self._org(org, "idempotency_keys").document(key_hash)
        doc = {
            "execution_id": execution_id,
            "fingerprint": fingerprint,
            "expire_at": _timestamp(expire_at),
        }
        try:
            _call(lambda: ref.create(doc, **_ONE_ATTEMPT))
            return None
        except exceptions.Conflict:
            pass
        held = self.get_idempotency_key(org, key_hash)
        # Our own id: an earlier attempt of this create went through.
        return None if held is None or held[0] == execution_id else held

    # Pub/Sub messages that started no execution, and why.

    def record_trigger_rejection(self, rejection: TriggerRejection, expire_at: dt.datetime) -> None:
        ref = self._org(rejection.org, "trigger_rejections").document(rejection.message_id)
        doc = {
            "message_id": rejection.message_id,
            "topic": rejection.topic,
            "workflow_id": rejection.workflow_id,
            "code": rejection.code,
            "message": rejection.message,
            "received_at": _timestamp(rejection.received_at),
            "expire_at": _timestamp(expire_at),
        }
        _write(ref, doc)

    def get_trigger_rejection(self, org: str, message_id: str) -> TriggerRejection | None:
        ref = self._org(org, "trigger_rejections").document(message_id)
        data = _read(ref)
        if data is None:
            return None
        return TriggerRejection(
            org=org,
            message_id=data["message_id"],
            topic=data["topic"],
            workflow_id=data["workflow_id"],
            code=data["code"],
            message=data["message"],
            received_at=_utc(data["received_at"]),
        )

    # Principals: Google service accounts registered to an org (Cloud Scheduler).

    def get_principal(self, email: str) -> Principal | None:
        ref = self._client.collection("principals").document(principal_key(email))
        data = _read(ref)
        return None if data is None else _principal_from_doc(data)

    def put_principal(self, principal: Principal) -> None:
        ref = self._client.collection("principals").document(principal_key(principal.email))
        doc = {
            "email": principal.email,
            "org": principal.org,
            "grants": sorted(g.value for g in principal.grants),
            "workflows": list(principal.workflows) if principal.workflows is not None else None,
            "created_at": _timestamp(principal.created_at),
        }
        _write(ref, doc)

    def delete_principal(self, email: str) -> bool:
        ref = self._client.collection("principals").document(principal_key(email))
        return self._delete_existing(ref)

    def list_principals(self, org: str) -> list[Principal]:
        query = self._client.collection("principals").where(
            filter=firestore.FieldFilter("org", "==", org)
        )
        snapshots = _call(lambda: query.get(**_ONE_ATTEMPT))
        principals = [_principal_from_doc(s.to_dict() or {}) for s in snapshots]
        return sorted(principals, key=lambda p: p.email)

    # Webhooks: URLs per workflow; the signing secret (local stack) in a document of its own.

    def get_webhooks(self, org: str, workflow_id: str) -> WebhookConfig | None:
        ref = self._org(org, "webhooks").document(workflow_id)
        data = _read(ref)
        if data is None:
            return None
        return WebhookConfig(org, workflow_id, tuple(data["urls"]), _utc(data["updated_at"]))

    def put_webhooks(self, config: WebhookConfig) -> None:
        ref = self._org(config.org, "webhooks").document(config.workflow_id)
        doc = {"urls": list(config.urls), "updated_at": _timestamp(config.updated_at)}
        _write(ref, doc)

    def delete_webhooks(self, org: str, workflow_id: str) -> None:
        ref = self._org(org, "webhooks").document(workflow_id)
        _delete(ref)

    def delete_signing_secret(self, org: str, workflow_id: str) -> None:
        ref = self._org(org, "webhook_secrets").document(workflow_id)
        _delete(ref)

    def get_signing_secret(self, org: str, workflow_id: str) -> str | None:
        ref = self._org(org, "webhook_secrets").document(workflow_id)
        data = _read(ref)
        return None if data is None else str(data["secret"])

    def put_signing_secret(self, org: str, workflow_id: str, secret: str) -> None:
        ref = self._org(org, "webhook_secrets").document(workflow_id)
        _write(ref, {"secret": secret})

    # Tokens

    def create_token(self, token: Token) -> None:
        ref = self._client.collection("tokens").document(token.token_id)
        _call(lambda: ref.create(_token_to_doc(token), **_ONE_ATTEMPT))

    def get_token(self, token_id: str) -> Token | None:
        data = _read(self._client.collection("tokens").document(token_id))
        return None if data is None else _token_from_doc(token_id, data)

    def list_tokens(self, org: str) -> list[Token]:
        # An equality filter alone needs no composite index; sorted here instead.
        query = self._client.collection("tokens").where(
            filter=firestore.FieldFilter("org", "==", org)
        )
        snapshots = _call(lambda: query.get(**_ONE_ATTEMPT))
        tokens = [_token_from_doc(s.id, s.to_dict() or {}) for s in snapshots]
        return sorted(tokens, key=lambda token: (token.created_at, token.token_id))

    def revoke_token(self, token_id: str, at: dt.datetime) -> bool:
        ref = self._client.collection("tokens").document(token_id)
        try:
            _call(lambda: ref.update({"revoked_at": _timestamp(at)}, **_ONE_ATTEMPT))
        except exceptions.NotFound:
            return False
        return True


# Conversions. Field names follow the dataclasses'.


def _data(snapshot: firestore.DocumentSnapshot) -> dict[str, Any] | None:
    return snapshot.to_dict() if snapshot.exists else None


def _read(ref: firestore.DocumentReference) -> dict[str, Any] | None:
    """The document's fields, None when it does not exist."""
    return _data(_call(lambda: ref.get(**_ONE_ATTEMPT)))


def _write(ref: firestore.DocumentReference, doc: dict[str, Any]) -> None:
    _call(lambda: ref.set(doc, **_ONE_ATTEMPT))


def _delete(ref: firestore.DocumentReference) -> None:
    _call(lambda: ref.delete(**_ONE_ATTEMPT))


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=False, separators=(",", ":"), ensure_ascii=False)


def _timestamp(value: dt.datetime) -> dt.datetime:
    """Firestore would read a naive datetime as UTC; refuse it rather than guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime: {value!r}")
    return value


def _optional_timestamp(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else _timestamp(value)


def _utc(value: dt.datetime) -> dt.datetime:
    """Firestore's DatetimeWithNanoseconds as a plain UTC datetime (microseconds kept)."""
    value = value.astimezone(dt.UTC)
    return dt.datetime.combine(value.date(), value.time(), tzinfo=dt.UTC)


def _optional_utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else _utc(value)


def _connection_to_doc(connection: Connection) -> dict[str, Any]:
    return {
        "project": connection.project,
        "location": connection.location,
        "dataset": connection.dataset,
        "service_account": connection.service_account,
    }


def _connection_from_doc(org: str, connection_id: str, data: dict[str, Any]) -> Connection:
    return Connection(
        org=org,
        id=connection_id,
        project=data["project"],
        location=data["location"],
        dataset=data["dataset"],
        service_account=data["service_account"],
    )


def _principal_from_doc(data: dict[str, Any]) -> Principal:
    return Principal(
        email=data["email"],
        org=data["org"],
        grants=frozenset(Grant(g) for g in data["grants"]),
        created_at=_utc(data["created_at"]),
        workflows=tuple(data["workflows"]) if data["workflows"] is not None else None,
    )


def _workflow_to_doc(record: WorkflowRecord) -> dict[str, Any]:
    return {
        "connection": record.connection,
        "definition": _json(record.definition),
        "version": record.version,
        "created_at": _timestamp(record.created_at),
        "updated_at": _timestamp(record.updated_at),
        "api": None if record.api is None else _api_to_doc(record.api),
    }


def _workflow_from_doc(org: str, workflow_id: str, data: dict[str, Any]) -> WorkflowRecord:
    return WorkflowRecord(
        org=org,
        id=workflow_id,
        connection=data["connection"],
        definition=json.loads(data["definition"]),
        version=data["version"],
        created_at=_utc(data["created_at"]),
        updated_at=_utc(data["updated_at"]),
        api=None if data["api"] is None else _api_from_doc(data["api"]),
    )


def _api_to_doc(api: ApiState) -> dict[str, Any]:
    return {
        "enabled": api.enabled,
        "procedure": api.procedure,
        "deployed_version": api.deployed_version,
        "deployed_definition": _json(api.deployed_definition),
        "enabled_at": _timestamp(api.enabled_at),
        "updated_at": _timestamp(api.updated_at),
    }


def _api_from_doc(data: dict[str, Any]) -> ApiState:
    return ApiState(
        enabled=data["enabled"],
        procedure=data["procedure"],
        deployed_version=data["deployed_version"],
        deployed_definition=json.loads(data["deployed_definition"]),
        enabled_at=_utc(data["enabled_at"]),
        updated_at=_utc(data["updated_at"]),
    )


def _execution_to_doc(execution: Execution) -> dict[str, Any]:
    """Every field but expire_at, which only create_execution sets."""
    error = execution.error
    return {
        "id": execution.id,
        "org": execution.org,
        "workflow_id": execution.workflow_id,
        "version": execution.version,
        "parameters": _json(execution.parameters),
        "cache_key": execution.cache_key,
        "output_table": execution.output_table,
        "procedure": execution.procedure,
        "connection": execution.connection,
        "created_at": _timestamp(execution.created_at),
        "state": execution.state.value,
        "bigquery_job_id": execution.bigquery_job_id,
        "started_at": _optional_timestamp(execution.started_at),
        "ended_at": _optional_timestamp(execution.ended_at),
        "error": None if error is None else error.to_dict(),
        "cache_enabled": execution.cache_enabled,
        "output_expires_at": _optional_timestamp(execution.output_expires_at),
        "reconciled_at": _optional_timestamp(execution.reconciled_at),
        "submit_attempts": execution.submit_attempts,
        "labels": dict(execution.labels),
    }


def _execution_from_doc(data: dict[str, Any]) -> Execution:
    error = data["error"]
    return Execution(
        id=data["id"],
        org=data["org"],
        workflow_id=data["workflow_id"],
        version=data["version"],
        parameters=json.loads(data["parameters"]),
        cache_key=data["cache_key"],
        output_table=data["output_table"],
        procedure=data["procedure"],
        connection=data["connection"],
        created_at=_utc(data["created_at"]),
        state=State(data["state"]),
        bigquery_job_id=data["bigquery_job_id"],
        started_at=_optional_utc(data["started_at"]),
        ended_at=_optional_utc(data["ended_at"]),
        error=None if error is None else JobError(**error),
        cache_enabled=data["cache_enabled"],
        output_expires_at=_optional_utc(data["output_expires_at"]),
        reconciled_at=_optional_utc(data["reconciled_at"]),
        submit_attempts=data["submit_attempts"],
        labels=dict(data["labels"]),
        deliveries=tuple(
            DeliveryAttempt(
                url=d["url"],
                attempt=d["attempt"],
                at=_utc(d["at"]),
                state=d["state"],
                status_code=d["status_code"],
                error=d["error"],
            )
            for d in data.get("webhook_deliveries", [])
        ),
    )


def _cache_entry_doc(execution_id: str, expire_at: dt.datetime) -> dict[str, Any]:
    return {
        "execution_id": execution_id,
        "expire_at": _timestamp(expire_at),
        "updated_at": firestore.SERVER_TIMESTAMP,
    }


def _token_to_doc(token: Token) -> dict[str, Any]:
    """Only the secret's hash is stored, never the secret."""
    return {
        "org": token.org,
        "secret_hash": token.secret_hash,
        "grants": sorted(grant.value for grant in token.grants),
        "created_at": _timestamp(token.created_at),
        "name": token.name,
        "workflows": None if token.workflows is None else list(token.workflows),
        "expires_at": _optional_timestamp(token.expires_at),
        "revoked_at": _optional_timestamp(token.revoked_at),
    }


def _token_from_doc(token_id: str, data: dict[str, Any]) -> Token:
    workflows = data["workflows"]
    return Token(
        token_id=token_id,
        org=data["org"],
        secret_hash=data["secret_hash"],
        grants=frozenset(Grant(grant) for grant in data["grants"]),
        created_at=_utc(data["created_at"]),
        name=data["name"],
        workflows=None if workflows is None else tuple(workflows),
        expires_at=_optional_utc(data["expires_at"]),
        revoked_at=_optional_utc(data["revoked_at"]),
    )
