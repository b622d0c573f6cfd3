"""What an uncontended admission creates at once: the execution's record, its slots, its
cache entry and its idempotency key's claim (ExecutionStore.admit_execution).

Apart from records.py's rarer records (query arguments, trigger rejections), so that an
execute answered by the cache loads only these (cold start).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows_api.domain.execution.limits import Slot
    from workflows_api.domain.execution.states import Execution


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
