"""A BigQuery job's change as its audit-log entry reports it: what the completion path
applies to an execution (events/ parses entries into it; no cloud library here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows_api.domain.execution.states import JobStatus


@dataclass(frozen=True)
class BigQueryJobEvent:
    """What one audit-log entry says about one BigQuery job (events/ parses it)."""

    project: str
    job_id: str
    status: JobStatus
    labels: dict[str, str] = field(default_factory=dict)
    location: str | None = None
    # Set on the child jobs a script (our CALL) runs; they never end an execution.
    parent_job: str | None = None
    # The google.rpc.Code of the event's error, when it reports one.
    rpc_code: int | None = None
