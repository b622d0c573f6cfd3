"""What a caller asks of the execution use cases and what it gets back.

The use cases live by concern: `admission.py` (execute: cache and idempotency
claims), `lifecycle.py` (submit, reconcile, job reports, cancel) and `queries.py`
(get, list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workflows_api.domain.execution.freshness import CacheMiss
from workflows_api.domain.execution.states import Execution

# The longest an execute or status request may hold the caller for the run's end.
MAX_WAIT_SECONDS = 60.0
# The most a caller may ask a cached result's age to be bounded by: output tables live
# at most 3650 days (a larger bound is no bound).
MAX_CACHE_AGE_SECONDS = 3650 * 86400

# Which workflows a caller may see (a token may be restricted to some).
WorkflowFilter = Callable[[str], bool]


def any_workflow(workflow_id: str) -> bool:
    return True


@dataclass(frozen=True)
class ExecuteRequest:
    parameters: Mapping[str, Any]
    cache: bool | None = None  # None: the workflow's setting
    wait_seconds: float = 0.0
    idempotency_key: str | None = None
    dry_run: bool = False  # only estimate the run (ExecutionAdmission.estimate)
    trigger: str = "http"  # what started it: http, pubsub:<topic>, schedule:<id>
    # The oldest cached result the caller accepts (seconds since its run started).
    cache_max_age_seconds: float | None = None


@dataclass(frozen=True)
class CostEstimate:
    """A dry run's answer: what the run would process, and the cap it would run under."""

    workflow_id: str
    parameters: dict[str, Any]  # canonical JSON values
    bytes_processed: int | None
    maximum_bytes_billed: int | None


@dataclass(frozen=True)
class ExecuteResult:
    execution: Execution
    # True when an earlier request's execution answered this one (no new job).
    reused: bool
    # Served by the cache: when the run that computed the answer started (its data's time).
    cached_at: dt.datetime | None = None
    # A cached run existed but did not answer (a source changed, too old...): why.
    cache_miss: CacheMiss | None = None
