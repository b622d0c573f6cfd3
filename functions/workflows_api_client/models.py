"""The JSON bodies the native API answers with, as pydantic models: one definition.

The server builds its answers through these very classes (workflows_api.http.native.models
imports them) and the OpenAPI document is generated from them, so what the SDK parses
cannot drift from what is served. They forbid unknown fields, which keeps the server's
views honest; the SDK parses with `extra="ignore"` (protocol.parse_body) so a client
keeps working against a newer server that adds fields.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, RootModel

ExecutionState = Literal["queued", "created", "running", "succeeded", "failed", "cancelled"]
QueueReason = Literal["org_limit", "workflow_limit"]
TERMINAL_STATES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Body):
    code: str = Field(description="Stable, machine-readable code, e.g. invalid_parameters.")
    message: str
    field: str | None = Field(default=None, description="The request field or parameter at fault.")
    details: list[dict[str, Any]] | None = Field(
        default=None, description="Every problem, when there is more than one."
    )


class ErrorBody(_Body):
    error: ErrorDetail


class WorkflowResource(_Body):
    id: str
    name: str
    connection: str
    version: str = Field(description="sha256 of the canonical definition.")
    created_at: str
    updated_at: str
    api_enabled: bool
    definition: dict[str, Any] | None = Field(
        default=None, description="The definition (see schemas/workflow.schema.json)."
    )


class SavedWorkflow(WorkflowResource):
    warnings: list[dict[str, Any]]


class WorkflowList(_Body):
    workflows: list[WorkflowResource]
    next_page_token: str | None


class Argument(_Body):
    name: str
    type: str


class CompiledSql(_Body):
    workflow_id: str
    version: str
    procedure: str
    arguments: list[Argument]
    sql: str


class ApiParameter(_Body):
    name: str
    type: str
    required: bool
    description: str
    default: Any = None


class ApiState(_Body):
    workflow_id: str
    enabled: bool
    procedure: str
    deployed_version: str | None
    current_version: str
    in_sync: bool = Field(
        description="The API runs the current version on the workflow's current connection."
    )
    deployed_connection: str | None = Field(
        default=None,
        description="The connection the procedure was deployed for (runs as); while it is "
        "not `connection`, executions answer 409 api_connection_changed until an update.",
    )
    connection: str | None = Field(default=None, description="The workflow's connection.")
    enabled_at: str | None
    updated_at: str | None
    parameters: list[ApiParameter]
    parameters_schema: dict[str, Any] = Field(
        description="JSON Schema (2020-12) of the `parameters` object an execute request "
        "carries, from the deployed declarations (the current ones while disabled)."
    )
    examples: dict[str, str] | None = Field(description="Requests ready to paste.")


class _JobErrorLike(Protocol):
    """What BigQuery's errorResult is made of (the server's domain JobError is one)."""

    @property
    def reason(self) -> str: ...
    @property
    def location(self) -> str | None: ...
    @property
    def message(self) -> str: ...


class JobErrorResult(_Body):
    reason: str
    location: str | None
    message: str

    @classmethod
    def of(cls, error: _JobErrorLike) -> JobErrorResult:
        return cls(reason=error.reason, location=error.location, message=error.message)


class ExecutionStatistics(_Body):
    bytes_processed: int | None = Field(description="BigQuery's totalBytesProcessed.")
    bytes_billed: int | None = Field(description="BigQuery's totalBytesBilled.")
    slot_ms: int | None = Field(description="BigQuery's totalSlotMs.")
    child_jobs: int | None = Field(description="Statements the procedure ran (numChildJobs).")


class ExecutionLinks(_Body):
    status: str


class Delivery(_Body):
    webhook: int = Field(
        description="Which of the execution's webhook receivers (0, 1, ... in the order "
        "first attempted): the URL itself is not shown, its path is often the secret."
    )
    host: str = Field(description="The receiver URL's host (and port, if not 443).")
    attempt: int
    at: str
    state: str = Field(description="The execution state the delivery announced.")
    status_code: int | None = Field(description="The receiver's answer; null when none came.")
    error: str | None = Field(
        description="Why the attempt failed, a reason code: http_<status>, timeout, "
        "connection_failed, tls_failed, dns_failed, address_not_allowed, url_not_allowed, "
        "enqueue_failed."
    )
    event_id: str | None = Field(
        description="The delivery's event id (body `event_id`, header Workflows-Delivery): "
        "the same on every attempt, for receivers to deduplicate."
    )
    dead_lettered: bool = Field(
        description="This attempt was the last: the delivery was given up on."
    )


class CacheMissInfo(_Body):
    """Why a cached run did not answer this execute request (a new run does)."""

    reason: Literal["source_changed", "source_not_cacheable", "source_missing", "too_old"] = Field(
        description="source_changed: a table the workflow reads changed since the cached "
        "run started; source_not_cacheable: it reads a view or an external table; "
        "source_missing: a table it reads is gone; too_old: older than "
        "cache_max_age_seconds."
    )
    source: str | None = Field(default=None, description="project.dataset.table at fault.")
    changed_at: str | None = Field(
        default=None, description="source_changed: the table's lastModifiedTime."
    )
    message: str


class Execution(_Body):
    id: str
    workflow_id: str
    state: ExecutionState
    created_at: str
    started_at: str | None
    ended_at: str | None
    parameters: dict[str, Any] = Field(description="Canonical typed values.")
    output_table: str = Field(description="project.dataset.table; complete once succeeded.")
    cached: bool = Field(
        description="On execute answers: an earlier request's execution served this one."
    )
    cached_at: str | None = Field(
        default=None,
        description="On execute answers served by the cache: when the run that computed "
        "the result started (its data are as of then).",
    )
    cache_miss: CacheMissInfo | None = Field(
        default=None,
        description="On execute answers: a cached run existed and did not answer; why.",
    )
    cache_enabled: bool
    bigquery_job_id: str
    error: JobErrorResult | None = Field(description="BigQuery's errorResult when failed.")
    version: str
    links: ExecutionLinks
    notifications: list[Delivery] = Field(
        default_factory=list, description="Every webhook delivery attempt announcing its end."
    )
    statistics: ExecutionStatistics | None = Field(
        default=None, description="What the run cost, from its BigQuery job; null until it ends."
    )
    queue_reason: QueueReason | None = Field(
        default=None,
        description="While queued: the concurrency limit it waits behind (the org's, or "
        "its workflow's).",
    )
    queue_position: int | None = Field(
        default=None,
        description="While queued: its place in the org's queue, oldest first (1: next; "
        "fairness across the org's workflows may let another workflow's run go first).",
    )
    trigger: str = Field(
        default="http",
        description="What started it: http, pubsub:<topic> or schedule:<schedule id>.",
    )

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


class Limits(_Body):
    """GET /v1/orgs/current/limits: the org's concurrency limits and its use of them."""

    max_concurrent: int = Field(description="Executions submitted to BigQuery at once, at most.")
    max_queued: int = Field(description="Executions queued at most; past it execute answers 429.")
    submitted: int = Field(description="Executions holding a slot now (submitted, not ended).")
    queued: int = Field(description="Executions waiting for a slot.")
    submitted_by_workflow: dict[str, int] = Field(description="`submitted`, by workflow id.")


class CostEstimate(_Body):
    """The answer to an execute request with `"dry_run": true`: nothing ran or was recorded."""

    dry_run: Literal[True] = True
    workflow_id: str
    parameters: dict[str, Any] = Field(description="Canonical typed values.")
    estimated_bytes_processed: int | None = Field(
        description="BigQuery's dry-run totalBytesProcessed of the run's CALL."
    )
    maximum_bytes_billed: int | None = Field(
        description="The cap the run would be submitted with (workflow's or connection's)."
    )


class ExecuteAnswer(RootModel[Execution | CostEstimate]):
    """An execution, or a dry run's estimate when the request asked for one."""


class ExecutionList(_Body):
    executions: list[Execution]
    next_page_token: str | None


class ResultColumn(_Body):
    name: str
    type: str
    mode: Literal["NULLABLE", "REPEATED"]


class Results(_Body):
    execution_id: str
    schema_: list[ResultColumn] = Field(alias="schema", serialization_alias="schema")
    rows: list[dict[str, Any]]
    next_page_token: str | None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScheduleError(_Body):
    code: str = Field(description="Why the fire started nothing, e.g. api_disabled.")
    message: str


class ScheduleAttempt(_Body):
    at: str = Field(description="When the fire (or run-now) was handled.")
    scheduled_at: str = Field(description="The time Cloud Scheduler fired it for.")
    execution_id: str | None = Field(description="The execution it started or found.")
    error: ScheduleError | None = Field(description="Why it started nothing.")


class ScheduleRun(_Body):
    execution_id: str
    scheduled_at: str
    state: ExecutionState | None = Field(description="The execution's state; null once gone.")


class Schedule(_Body):
    id: str
    workflow_id: str
    cron: str = Field(description="Cloud Scheduler's unix-cron: five fields.")
    time_zone: str = Field(description="IANA time zone the cron is read in.")
    parameters: dict[str, Any] = Field(description="Canonical typed values each run gets.")
    cache: bool = Field(description="Whether a run may be served by an identical earlier one.")
    description: str
    paused: bool
    created_at: str
    updated_at: str
    next_run_at: str | None = Field(description="The next fire; null while paused.")
    last_attempt_at: str | None
    last_attempt: ScheduleAttempt | None
    last_runs: list[ScheduleRun] = Field(description="The newest runs first (at most 5).")
    job_name: str = Field(description="The Cloud Scheduler job behind it.")


class ScheduleList(_Body):
    schedules: list[Schedule]
    next_page_token: str | None
