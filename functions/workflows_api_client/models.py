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

ExecutionState = Literal["created", "running", "succeeded", "failed", "cancelled"]
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
    in_sync: bool
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
    url: str
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

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


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
