"""Whether a cached run may answer a request: its sources unchanged, its age in bounds.

BigQuery's own query cache is the standard: a cached result is never used once a table
it read has changed. A run's result is as of the moment it started (`as_of`: BigQuery's
job start time once known, else the execution's creation, which is earlier: a
conservative bound). It may answer a request when every source table's
`lastModifiedTime` is no later than that, and, when the caller bounds the age of
what it is served, when it is recent enough.

The rules for what cannot be compared (said in the answer, `CacheMiss`):
- a view, a materialized view or an external table among the sources: BigQuery's
  `lastModifiedTime` of a view is its definition's, not its data's, and an external
  table's data lives outside BigQuery; a finished run over one is never served from the
  cache (a run still in progress is joined: it reads the data when it runs);
- a source that no longer exists: never served (the run would fail now);
- wildcard tables (`dataset.prefix*`) never get this far: the read allowlist refuses
  them when the definition is stored (`table_invalid`).

A run that has not started (queued, or created and waiting for BigQuery) reads its
sources when it starts, so it is joined whatever changed before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .states import Execution, State

# tables.get's `type`: only plain tables (and snapshots and clones, which BigQuery also
# reports as tables or SNAPSHOT) have a lastModifiedTime that moves with their data.
COMPARABLE_KINDS = frozenset({"TABLE", "SNAPSHOT", "CLONE"})

MissReason = Literal["source_changed", "source_not_cacheable", "source_missing", "too_old"]


@dataclass(frozen=True)
class TableMetadata:
    """What tables.get says of a source: its kind and when its data last changed."""

    table: str  # project.dataset.table
    kind: str  # TABLE, VIEW, MATERIALIZED_VIEW, EXTERNAL, SNAPSHOT, CLONE
    last_modified: dt.datetime


@dataclass(frozen=True)
class CacheMiss:
    """Why an earlier run did not answer this request (a new run does)."""

    reason: MissReason
    source: str | None = None  # the table, for the source_* reasons
    changed_at: dt.datetime | None = None  # source_changed: its lastModifiedTime

    def message(self) -> str:
        if self.reason == "source_changed":
            return f"{self.source} changed since the cached run started"
        if self.reason == "source_not_cacheable":
            return f"{self.source} is a view or an external table: never served from the cache"
        if self.reason == "source_missing":
            return f"{self.source} no longer exists"
        return "the cached result is older than cache_max_age_seconds"


def as_of(execution: Execution) -> dt.datetime | None:
    """When the run's data were read from (None: not started, it will read them later)."""
    if execution.state == State.QUEUED:
        return None
    return execution.started_at or execution.created_at


def needs_sources(execution: Execution) -> bool:
    """Whether deciding on `execution` needs its sources' metadata at all."""
    return as_of(execution) is not None


def cache_miss(
    holder: Execution,
    sources: Mapping[str, TableMetadata | None],
    *,
    now: dt.datetime,
    max_age: dt.timedelta | None = None,
) -> CacheMiss | None:
    """None when `holder` (reusable by state and expiry) may answer; else why not.
    `sources` maps each source table to what tables.get said (None: not found)."""
    started = as_of(holder)
    if started is None:
        return None
    if max_age is not None and holder.is_terminal and now - started > max_age:
        return CacheMiss("too_old")
    for table, metadata in sources.items():
        if metadata is None:
            return CacheMiss("source_missing", table)
        if metadata.kind not in COMPARABLE_KINDS:
            if holder.is_terminal:
                return CacheMiss("source_not_cacheable", table)
            continue
        if metadata.last_modified > started:
            return CacheMiss("source_changed", table, metadata.last_modified)
    return None
