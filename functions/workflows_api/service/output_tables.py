"""Is an execution's output table still there? (issue 23, finding 5)

A succeeded execution's table can be gone before `output_expires_at` (deleted by hand,
a dataset's own expiration, a run of an older release that kept a table BigQuery was
about to drop). Such an execution is never served from cache: the cache check asks
BigQuery (`tables.get`, in the round that reads the sources' metadata:
cache_freshness.RequestFreshness.output_found) and a results read that finds the table
gone records the output as expired, so the next identical request runs anew."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from workflows_api.domain.execution.states import Execution, State
from workflows_api.service.ports import ExecutionStore


def expire_output(executions: ExecutionStore, execution: Execution, now: dt.datetime) -> None:
    """Record that the execution's output is gone (no state moves; a lost race is fine:
    whoever won wrote a state that is not served from cache either, or this again)."""
    if execution.state == State.SUCCEEDED and (
        execution.output_expires_at is None or execution.output_expires_at > now
    ):
        executions.save_execution(
            replace(execution, output_expires_at=now), expected_state=State.SUCCEEDED
        )
