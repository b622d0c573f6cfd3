"""Executions: the state machine, cache keys, output table names and BigQuery job ids.

An execution is one run of an API-enabled workflow:
[`queued` (over a concurrency limit, waiting for a slot: service/limits.py) ->]
`created` (record written, job being submitted) -> `running` -> `succeeded` | `failed`
| `cancelled`. A job may finish before it was ever seen running, so `created` may go
straight to a terminal state; a queued execution has no job yet, so it leaves `queued`
only for `created` (it got a slot) or `cancelled`. Terminal states never change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from ..workflow.sql_render import OUTPUT_TABLE_PATTERN
from .numbers import execution_number

if TYPE_CHECKING:
    from .delivery_attempts import DeliveryAttempt

JOB_ID_PREFIX = "wfapi_exec_"
# Labels on every job: what a completion event finds its execution by.
ORG_LABEL = "wfapi_org"
WORKFLOW_LABEL = "wfapi_workflow"
EXECUTION_LABEL = "wfapi_execution"
# The trace of the request that started it (tracing.py): one trace id finds the run.
TRACE_LABEL = "wfapi_trace"
# BigQuery's errorResult reason for a job stopped by jobs.cancel.
CANCELLED_REASON = "stopped"
OUTPUT_TABLE_INFIX = "_out_"
CACHE_KEY_TABLE_CHARS = 16


class State(StrEnum):
    QUEUED = "queued"
    CREATED = "created"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({State.SUCCEEDED, State.FAILED, State.CANCELLED})
_ALLOWED = {
    State.QUEUED: {State.CREATED, State.CANCELLED},
    # Back to the queue: only a job never submitted that holds no slot (a record of
    # before limits existed), by ExecutionLifecycle.start.
    State.CREATED: {State.QUEUED, State.RUNNING, *TERMINAL_STATES},
    State.RUNNING: set(TERMINAL_STATES),
}


class InvalidTransition(ValueError):
    pass


def can_transition(current: State, target: State) -> bool:
    return target in _ALLOWED.get(current, set())


@dataclass(frozen=True)
class JobError:
    """BigQuery's errorResult, kept unchanged."""

    reason: str
    message: str
    location: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"reason": self.reason, "location": self.location, "message": self.message}


JobState = Literal["PENDING", "RUNNING", "DONE"]


@dataclass(frozen=True)
class JobStatistics:
    """What a run cost, as BigQuery's job statistics report it (None: not reported)."""

    bytes_processed: int | None = None
    bytes_billed: int | None = None
    slot_ms: int | None = None
    child_jobs: int | None = None  # statements a script ran (numChildJobs)

    def to_dict(self) -> dict[str, int | None]:
        return {
            "bytes_processed": self.bytes_processed,
            "bytes_billed": self.bytes_billed,
            "slot_ms": self.slot_ms,
            "child_jobs": self.child_jobs,
        }


@dataclass(frozen=True)
class JobStatus:
    """What BigQuery says about a job: its state, errorResult and times."""

    job_id: str
    state: JobState
    error: JobError | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    statistics: JobStatistics | None = None

    @property
    def execution_state(self) -> State:
        """The execution state it stands for: a job stopped by jobs.cancel ends the
        execution cancelled."""
        if self.state != "DONE":
            return State.RUNNING if self.state == "RUNNING" else State.CREATED
        if self.error is None:
            return State.SUCCEEDED
        return State.CANCELLED if self.error.reason == CANCELLED_REASON else State.FAILED


# How the dialects without a cancelled state (CARTO, Nexadata) describe a cancelled run.
CANCELLED_ERROR = JobError(CANCELLED_REASON, "The execution was cancelled.", None)


# A trigger's longest form: "pubsub:" and a Pub/Sub topic name (at most 255 characters).
TRIGGER_MAX_LENGTH = 300


@dataclass(frozen=True)
class Execution:
    id: str
    org: str
    workflow_id: str
    version: str  # the deployed workflow version it runs
    parameters: dict[str, Any]  # canonical JSON values, in declared order
    cache_key: str
    output_table: str  # project.dataset.table
    procedure: str  # project.dataset.routine
    connection: str
    created_at: dt.datetime
    state: State = State.CREATED
    bigquery_job_id: str = ""
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    error: JobError | None = None
    cache_enabled: bool = True
    output_expires_at: dt.datetime | None = None
    # When a report of BigQuery's about its job was last applied (with_job_report); None
    # while BigQuery has never confirmed the job (see job_confirmed).
    reconciled_at: dt.datetime | None = None
    submit_attempts: int = 0
    # Admitted and submitted at once (`submitting`): marked reconciled (the sweep's search
    # for unconfirmed jobs skips it) before any report of BigQuery's was recorded.
    awaiting_report: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    # Webhook deliveries announcing its end, every attempt (appended, never rewritten).
    deliveries: tuple[DeliveryAttempt, ...] = ()
    # BigQuery's statistics of its job, from the report that ended it.
    statistics: JobStatistics | None = None
    # The trace of the request that started it (32 hex): what happens to it later, in
    # other processes (its completion event, the sweep, its webhooks), joins that trace.
    trace_id: str | None = None
    # While `queued`: which limit holds it back (`org_limit`, `workflow_limit`).
    queue_reason: str | None = None
    # While `queued`: its place in the org's queue (1: next), computed when read, never
    # stored (service/limits.py), so it is not part of an execution's equality.
    queue_position: int | None = field(default=None, compare=False)
    # What started it: `http`, `pubsub:<topic>`, `schedule:<schedule id>`
    # (at most TRIGGER_MAX_LENGTH characters).
    trigger: str = "http"

    def transition(
        self,
        target: State,
        *,
        at: dt.datetime,
        started_at: dt.datetime | None = None,
        ended_at: dt.datetime | None = None,
        error: JobError | None = None,
    ) -> Execution:
        """The execution moved to `target`; raises InvalidTransition if it cannot."""
        if target == self.state:
            return self
        if not can_transition(self.state, target):
            raise InvalidTransition(f"{self.state} -> {target}")
        # Leaving the queue starts nothing (a slot was claimed, the job is not submitted
        # yet), nor does cancelling a queued execution that never ran.
        never_ran = target in (State.CREATED, State.QUEUED) or self.state == State.QUEUED
        started = self.started_at or started_at or (None if never_ran else at)
        ended = (ended_at or at) if target.is_terminal else None
        return replace(
            self,
            state=target,
            started_at=started,
            ended_at=ended,
            error=error if target == State.FAILED else None,
            queue_reason=None,
            queue_position=None,
        )

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal

    @property
    def number(self) -> int:
        """Its number, an integer id below 2^53 derived from `id` (numbers.py)."""
        return execution_number(self.id)

    @property
    def job_confirmed(self) -> bool:
        """Has BigQuery ever reported this execution's job (an insert that answered, a
        lookup or an event that found it)? Only a job report sets `reconciled_at`, so a
        `created` execution without one may never have been submitted: the sweep looks
        for those (stored `reconciled_at: null`, what every record is created with),
        and never for one whose job BigQuery holds, however long it stays queued."""
        return self.reconciled_at is not None

    def submitting(self) -> Execution:
        """This new execution as admission records it when it submits its job at once,
        marked reconciled at its creation: the sweep's search for jobs never confirmed
        skips it, so the insert's answer need not be written. A submission that does not
        answer clears the mark (ExecutionLifecycle.submit); one cut short by a crash is
        found by the sweep's recheck of open executions (RECHECK_AFTER), which asks
        BigQuery and submits a job it does not hold."""
        return replace(self, reconciled_at=self.created_at, awaiting_report=True)

    @property
    def may_be_cancelled(self) -> bool:
        """Only a run that has not ended can be cancelled (a terminal state never moves)."""
        return not self.state.is_terminal

    def advances_to(self, target: State) -> bool:
        """Would a job report saying `target` move this execution forward? A report of
        the state it is in, or an older one (RUNNING after DONE), does not."""
        return target != self.state and can_transition(self.state, target)

    def with_job_report(self, status: JobStatus, *, at: dt.datetime) -> Execution:
        """This execution once BigQuery's report `status` is applied at `at`: marked
        reconciled, and moved to the state the report stands for unless it is there."""
        reconciled = replace(
            self,
            reconciled_at=at,
            awaiting_report=False,
            statistics=status.statistics or self.statistics,
        )
        return reconciled.transition(
            status.execution_state,
            at=at,
            started_at=status.started_at,
            ended_at=status.ended_at,
            error=status.error,
        )

    @property
    def job_error(self) -> JobError | None:
        """The errorResult a job-shaped API reports: BigQuery's when it failed, `stopped`
        when it was cancelled, else none."""
        if self.state == State.FAILED:
            return self.error
        return CANCELLED_ERROR if self.state == State.CANCELLED else None

    def reusable_at(self, now: dt.datetime) -> bool:
        """Can a request with the same cache key be answered by this execution?"""
        if self.state in (State.QUEUED, State.CREATED, State.RUNNING):
            return True
        if self.state == State.SUCCEEDED:
            return self.output_expires_at is None or now < self.output_expires_at
        return False


def new_execution_id() -> str:
    """Random ids (uuid4 hex) spread writes across Firestore's key range."""
    return uuid.uuid4().hex


def is_execution_id(text: str) -> bool:
    """Could `text` name an execution? (Anything else cannot exist: no lookup needed.)"""
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


def job_id(execution_id: str) -> str:
    """The BigQuery job id of an execution: re-submitting it is idempotent."""
    return f"{JOB_ID_PREFIX}{execution_id}"


def job_labels(
    org: str, workflow_id: str, execution_id: str, trace_id: str | None = None
) -> dict[str, str]:
    """BigQuery job labels: lowercase letters, digits, `_` and `-`, at most 63 characters
    (a 32-hex trace id fits as it is)."""

    def label(value: str) -> str:
        return re.sub(r"[^a-z0-9_-]", "_", value.lower())[:63]

    labels = {
        ORG_LABEL: label(org),
        WORKFLOW_LABEL: label(workflow_id),
        EXECUTION_LABEL: label(execution_id),
    }
    if trace_id:
        labels[TRACE_LABEL] = label(trace_id)
    return labels


def execution_id_from_job(job: str) -> str | None:
    return job[len(JOB_ID_PREFIX) :] if job.startswith(JOB_ID_PREFIX) else None


def cache_key(procedure: str, version: str, parameter_values: dict[str, Any]) -> str:
    """sha256 over the procedure, the deployed version and the canonical parameter values.

    `parameter_values` is `to_json_values(validate_parameter_values(...))`: typed and
    canonical, so `500` and `500.0` for a FLOAT64 give one key. The procedure keeps two
    workflows with the same definition (or one on two connections) apart.
    """
    payload = json.dumps(
        {"parameters": parameter_values, "procedure": procedure, "version": version},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def output_table(
    project: str, dataset: str, procedure: str, key: str, execution_id: str | None = None
) -> str:
    """`project.dataset.<procedure>_out_<key prefix>`; with `execution_id` (cache off), a
    table of that run alone, because the procedure replaces the table it writes."""
    table = f"{procedure}{OUTPUT_TABLE_INFIX}{key[:CACHE_KEY_TABLE_CHARS]}"
    if execution_id is not None:
        table = f"{table}_{execution_id[:12]}"
    name = f"{project}.{dataset}.{table}"
    if not OUTPUT_TABLE_PATTERN.fullmatch(name):
        raise ValueError(f"not a valid output table name: {name}")
    return name


def output_expiry(created_at: dt.datetime, expiration_days: int) -> dt.datetime:
    """When a cached output table stops being reusable: an hour before BigQuery drops
    it, so a caller served from cache still has time to read it."""
    return created_at + dt.timedelta(days=expiration_days) - dt.timedelta(hours=1)
