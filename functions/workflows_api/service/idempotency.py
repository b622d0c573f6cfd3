"""An execute request's Idempotency-Key: kept hashed, beside the fingerprint of the
request that used it, so a retry gets the execution the first attempt made and another
request with the same key is refused (422), whether it comes after or races."""

from __future__ import annotations

import datetime as dt
import hashlib

from workflows_api.domain.execution.states import Execution
from workflows_api.service.errors import ServiceError
from workflows_api.service.ports import ExecutionStore


def key_hash(idempotency_key: str) -> str:
    return _hash(idempotency_key)


def fingerprint(workflow_id: str, cache_key: str, use_cache: bool) -> str:
    """What makes two requests the same request: workflow, parameters, cache use."""
    return _hash(f"{workflow_id}\x00{cache_key}\x00{use_cache}")


def replay(
    executions: ExecutionStore, org: str, idempotency_key: str, fingerprint: str
) -> Execution | None:
    """The execution the key already names, if the same request used it (422 if not)."""
    found = executions.get_idempotency_key(org, key_hash(idempotency_key))
    if found is None:
        return None
    execution_id, recorded = found
    if recorded != fingerprint:
        raise _key_reused()
    return executions.get_execution(org, execution_id)


def claim(
    executions: ExecutionStore,
    idempotency_key: str,
    execution: Execution,
    fingerprint: str,
    expire_at: dt.datetime,
) -> Execution | None:
    """None when the key now names `execution`; else the execution it named before,
    if that was the same request (422 otherwise: checked as on a replay)."""
    earlier = executions.claim_idempotency_key(
        execution.org, key_hash(idempotency_key), execution.id, fingerprint, expire_at
    )
    if earlier is None:
        return None
    if earlier[1] != fingerprint:
        raise _key_reused()
    return executions.get_execution(execution.org, earlier[0])


def _key_reused() -> ServiceError:
    return ServiceError(
        "unprocessable",
        "idempotency_key_reused",
        "Idempotency-Key was already used for a different request.",
        "Idempotency-Key",
    )


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
