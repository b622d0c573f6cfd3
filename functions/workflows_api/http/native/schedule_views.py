"""Schedules as the native API's JSON: plain data shaped like the SDK's `Schedule`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from workflows_api.domain.execution.states import Execution
from workflows_api.domain.schedules import Schedule, ScheduleAttempt
from workflows_api.domain.timestamps import iso_utc, optional_iso_utc

SHOWN_RUNS = 5


def attempt_view(attempt: ScheduleAttempt) -> dict[str, Any]:
    error = (
        None
        if attempt.error_code is None
        else {"code": attempt.error_code, "message": attempt.error_message or ""}
    )
    return {
        "at": iso_utc(attempt.at),
        "scheduled_at": iso_utc(attempt.scheduled_at),
        "execution_id": attempt.execution_id,
        "error": error,
    }


def schedule_view(
    schedule: Schedule, now: dt.datetime, execution: Callable[[str], Execution | None]
) -> dict[str, Any]:
    """`execution` reads a run's execution (its state), None once it is gone."""
    last = schedule.last_attempt
    runs = []
    for run in schedule.runs[:SHOWN_RUNS]:
        assert run.execution_id is not None
        found = execution(run.execution_id)
        runs.append(
            {
                "execution_id": run.execution_id,
                "scheduled_at": iso_utc(run.scheduled_at),
                "state": None if found is None else found.state.value,
            }
        )
    return {
        "id": schedule.id,
        "workflow_id": schedule.workflow_id,
        "cron": schedule.cron,
        "time_zone": schedule.time_zone,
        "parameters": schedule.parameters,
        "cache": schedule.cache,
        "description": schedule.description,
        "paused": schedule.paused,
        "created_at": iso_utc(schedule.created_at),
        "updated_at": iso_utc(schedule.updated_at),
        "next_run_at": optional_iso_utc(schedule.next_run_at(now)),
        "last_attempt_at": None if last is None else iso_utc(last.at),
        "last_attempt": None if last is None else attempt_view(last),
        "last_runs": runs,
        "job_name": schedule.job_name,
    }
