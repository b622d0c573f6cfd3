"""Small records the execution ports carry: a job's query arguments, a cache entry, a
new execution with everything it claims, a Pub/Sub message that started nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflows_api.domain.execution.limits import Slot
    from workflows_api.domain.execution.states import Execution


@dataclass(frozen=True)
class QueryArgument:
    """One named, typed query parameter of a job (value canonical: int, Decimal, date...)."""

    name: str
    type: str  # "INT64", "ARRAY<STRING>"...
    value: Any


@dataclass(frozen=True)
class CacheEntry:
    key: str
    execution_id: str


@dataclass(frozen=True)
class IdempotencyClaim:
    key_hash: str
    fingerprint: str  # of the request that used the key
    expire_at: dt.datetime


@dataclass(frozen=True)
class Admission:
    """What an uncontended admission creates at once (ExecutionStore.admit_execution):
    the execution's record, the slots it takes, and, when given, its cache entry (the
    entry's expiry) and its idempotency key; each must not exist yet."""

    execution: Execution
    expire_at: dt.datetime  # the record's (and the cache entry's, when it has none)
    slots: tuple[Slot, ...]
    cache_entry_expire_at: dt.datetime | None = None
    idempotency_key: IdempotencyClaim | None = None


@dataclass(frozen=True)
class TriggerRejection:
    """Why a Pub/Sub message started no execution (kept for the org to read)."""

    org: str
    message_id: str
    topic: str
    code: str
    message: str
    received_at: dt.datetime
    workflow_id: str | None = None
