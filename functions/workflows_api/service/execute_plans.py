"""What an execute reads and works out before it decides to run, join or answer from
the cache: the workflow's record and signature, the new execution (canonical values,
cache key, output table) and, when the cache is looked up, the cache entry and the
connection.

The record decides the rest (its signature checks the values, its version and the
values make the cache key, it names the connection), so reading it first costs a
round trip of its own. A process keeps the record each workflow had when last read
(`LastReadWorkflows`): an execute works out its cache key from that record and reads
the workflow, the org's limits, the cache entry and the connection in one round
(`ExecutionStore.workflow_with_cache_entry`, one snapshot). When the record read is
the one kept, that round is all. When it changed, the execute works out again from
the record read and reads the entry and the connection for it: nothing is decided on a
record older than the request's own read.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from workflows_api import tracing
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.limits import OrgLimits
from workflows_api.domain.execution.states import Execution
from workflows_api.domain.workflow.records import WorkflowRecord
from workflows_api.domain.workflow.signature import ExecutionSignature
from workflows_api.service.errors import ServiceError
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api.service.parameter_values import parameter_values
from workflows_api.service.ports import ExecutionStore
from workflows_api.service.workflows import WorkflowService, execution_signature_of

_KEPT_MOST = 256  # workflows; a definition can be large


class LastReadWorkflows:
    """The record each (org, workflow) had when this process last read it: a guess,
    used only once a read in the same round shows it unchanged."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], WorkflowRecord] = {}
        self._lock = threading.Lock()

    def get(self, org: str, workflow_id: str) -> WorkflowRecord | None:
        with self._lock:
            return self._records.get((org, workflow_id))

    def keep(self, record: WorkflowRecord) -> None:
        with self._lock:
            if len(self._records) >= _KEPT_MOST:
                self._records.clear()
            self._records[(record.org, record.id)] = record


@dataclass(frozen=True)
class ExecutePlan:
    record: WorkflowRecord
    workflow: ExecutionSignature
    execution: Execution  # new: nothing written yet
    use_cache: bool
    looked_up: bool  # whether the cache entry was read (then holder_id, connection)
    holder_id: str | None = None
    connection: Connection | None = None  # read with the entry; None: none there
    limits: OrgLimits | None = None  # the org's, when read in the plan's round


@dataclass(frozen=True, kw_only=True)
class ExecutePlanner:
    workflows: WorkflowService
    executions: ExecutionStore
    clock: Callable[[], dt.datetime]
    last_read: LastReadWorkflows = field(default_factory=LastReadWorkflows)

    def guess(self, org: str, workflow_id: str, request: ExecuteRequest) -> ExecutePlan | None:
        """The plan worked out from the record this process last read, nothing read: None
        without one, or when the request looks no cache entry up (with a key, or
        refusing the cache). With it, `plan` reads everything in one round."""
        if request.idempotency_key is not None or request.cache is False:
            return None
        kept = self.last_read.get(org, workflow_id)
        if kept is None:
            return None
        try:
            guessed = self.worked_out(kept, request)
        except ServiceError:  # the guess may be stale: the request's own read decides
            return None
        return guessed if guessed.looked_up else None

    def plan(
        self, org: str, workflow_id: str, request: ExecuteRequest, guessed: ExecutePlan | None
    ) -> ExecutePlan:
        """The request's plan, its reads made (a 404, 409 or 400 as the record says); with
        a guess (`guess`), the org's limits too, read in its round."""
        record = limits = None
        if guessed is not None:
            record, limits, holder_id, connection = self.executions.workflow_with_cache_entry(
                org, workflow_id, guessed.execution.cache_key, guessed.record.connection
            )
            limits = limits or OrgLimits(org)  # none stored: the defaults
            if record == guessed.record:
                return replace(guessed, holder_id=holder_id, connection=connection, limits=limits)
        if record is None:  # not read yet, or gone: 404
            record = self.workflows.get(org, workflow_id)
        self.last_read.keep(record)
        return replace(self._looked_up(self.worked_out(record, request)), limits=limits)

    def _looked_up(self, plan: ExecutePlan) -> ExecutePlan:
        if not plan.looked_up:
            return plan
        holder_id, connection = self.executions.cache_entry_with_connection(
            plan.record.org, plan.execution.cache_key, plan.record.connection
        )
        return replace(plan, holder_id=holder_id, connection=connection)

    def worked_out(self, record: WorkflowRecord, request: ExecuteRequest) -> ExecutePlan:
        """The plan from `record`, before any read of the cache."""
        workflow = execution_signature_of(record)
        values = parameter_values(workflow.parameters, request.parameters)
        use_cache = workflow.settings.cache if request.cache is None else request.cache
        execution = replace(
            self.new_execution(record, workflow, values, use_cache), trigger=request.trigger
        )
        looks_up = use_cache and request.idempotency_key is None
        return ExecutePlan(record, workflow, execution, use_cache, looks_up)

    def new_execution(
        self,
        record: WorkflowRecord,
        workflow: ExecutionSignature,
        values: dict[str, object],
        use_cache: bool,
    ) -> Execution:
        api = record.api
        assert api is not None  # execution_signature_of checked it
        key = ex.cache_key(api.procedure, api.deployed_version, values)
        project, dataset, routine = api.procedure.split(".")
        now = self.clock()
        execution_id = ex.new_execution_id()
        trace = tracing.trace_id()  # the request's: its job and later work carry it
        return Execution(
            id=execution_id,
            org=record.org,
            workflow_id=record.id,
            version=api.deployed_version,
            parameters=values,
            cache_key=key,
            output_table=ex.output_table(
                project, dataset, routine, key, None if use_cache else execution_id
            ),
            procedure=api.procedure,
            connection=record.connection,
            created_at=now,
            bigquery_job_id=ex.job_id(execution_id),
            cache_enabled=use_cache,
            output_expires_at=ex.output_expiry(now, workflow.settings.output_expiration_days),
            labels=ex.job_labels(record.org, record.id, execution_id, trace),
            trace_id=trace,
        )
