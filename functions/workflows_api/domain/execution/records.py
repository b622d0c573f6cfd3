"""Small records the execution ports carry: a job's query arguments, a cache entry, a
Pub/Sub message that started nothing. (What an admission creates at once, which every
execute builds: admissions.py.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


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
class TriggerRejection:
    """Why a Pub/Sub message started no execution (kept for the org to read)."""

    org: str
    message_id: str
    topic: str
    code: str
    message: str
    received_at: dt.datetime
    workflow_id: str | None = None
