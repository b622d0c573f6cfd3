"""BigQuery job-completion events end executions without anyone polling.

An audit-log entry (events/bigquery_audit.py; delivered as a Pub/Sub message of the
log sink's topic, events/job_events.py) names a job and its labels. Ours carry
`wfapi_org` and `wfapi_execution` (domain/execution/states.job_labels) and the job id
`wfapi_exec_<execution id>`; both must agree with the stored execution. An event
without those labels is not ours and is acknowledged: the job id alone would give
the execution but not its org, and executions are kept per org.

An event is a hint, never the truth: anything that can write an AuditLog-shaped entry
into a sinked project could forge one. So an event whose project is not the execution's
connection project is ignored, and otherwise the job is read back from BigQuery as the
connection's own identity; what BigQuery answers is applied, not what the event says. A
forged DONE for a running job reads RUNNING and changes nothing. Nothing is lost by
ignoring an event: a status read, or the sweep's backstop (service/sweep.py), reconciles
every execution that is still open.

Events may come twice and in any order: ExecutionLifecycle.apply_job_status never
changes a terminal execution and ignores a report older than what is recorded.
Only a transient backend failure raises (BackendUnavailable), so that Pub/Sub (or
Eventarc) delivers the event again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from workflows_api import logs, tracing
from workflows_api.domain.execution import states as ex
from workflows_api.domain.execution.job_events import BigQueryJobEvent
from workflows_api.domain.execution.states import Execution, State
from workflows_api.service.errors import ServiceError
from workflows_api.service.lifecycle import ExecutionLifecycle
from workflows_api.service.ports import ExecutionStore, Warehouse
from workflows_api.service.workflows import WorkflowService

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompletionOutcome:
    """What an event did: `applied` (the execution moved), `unchanged` (already there
    or a stale report) or `ignored` (not an event about one of our executions)."""

    status: Literal["applied", "unchanged", "ignored"]
    reason: str
    org: str | None = None
    execution_id: str | None = None
    state: State | None = None


@dataclass(frozen=True, kw_only=True)
class JobCompletions:
    lifecycle: ExecutionLifecycle
    store: ExecutionStore
    workflows: WorkflowService
    warehouse: Warehouse

    def handle_job_event(
        self, event: BigQueryJobEvent, event_id: str | None = None
    ) -> CompletionOutcome:
        """Apply `event` to its execution. Never raises for an event that is not ours or
        already applied; raises BackendUnavailable when Firestore or BigQuery is down.
        `event_id` (the Pub/Sub message id, or the CloudEvent's) is logged."""
        found = self._execution_of(event)
        # What is done for an execution is done in the trace of the request that began it.
        trace = found.trace_id if isinstance(found, Execution) else None
        with tracing.following(trace, "BigQuery job event"):
            outcome = found if isinstance(found, CompletionOutcome) else self._apply(event, found)
            logs.log(
                logger,
                logging.INFO,
                f"BigQuery job event {outcome.status}: {outcome.reason}",
                event_id=event_id,
                job_id=event.job_id,
                job_state=event.status.state,
                org=outcome.org,
                execution_id=outcome.execution_id,
                state=outcome.state.value if outcome.state else None,
            )
        return outcome

    def _execution_of(self, event: BigQueryJobEvent) -> Execution | CompletionOutcome:
        """The execution the event is about, or why it is not about one of ours."""
        org = event.labels.get(ex.ORG_LABEL)
        execution_id = event.labels.get(ex.EXECUTION_LABEL)
        if not org or not execution_id:
            return CompletionOutcome("ignored", "the job has no Workflows API labels")
        if event.parent_job is not None:
            # A statement of our CALL: only the CALL's own job ends the execution.
            return CompletionOutcome("ignored", "a child job of a script", org, execution_id)
        if event.job_id != ex.job_id(execution_id):
            return CompletionOutcome(
                "ignored", "the job id does not match its execution label", org, execution_id
            )
        execution = self.store.get_execution(org, execution_id)
        if execution is None or execution.bigquery_job_id != event.job_id:
            return CompletionOutcome("ignored", "no such execution", org, execution_id)
        return execution

    def _apply(self, event: BigQueryJobEvent, execution: Execution) -> CompletionOutcome:
        org, execution_id = execution.org, execution.id
        if execution.state.is_terminal:
            return CompletionOutcome(
                "unchanged", "the execution already ended", org, execution_id, execution.state
            )
        try:
            connection = self.workflows.connection(org, execution.connection)
        except ServiceError:
            return CompletionOutcome(
                "ignored", "the execution's connection is gone", org, execution_id
            )
        if connection.project != event.project:
            return CompletionOutcome(
                "ignored", "the job ran in another project than the execution's", org, execution_id
            )
        status = self.warehouse.get_job(connection, event.job_id)
        if status is None:
            return CompletionOutcome("ignored", "BigQuery has no such job", org, execution_id)
        updated = self.lifecycle.apply_job_status(execution, status)
        if updated.state == execution.state or (
            status.state != "DONE" and updated.state.is_terminal
        ):
            # Not newer than what is recorded, or another report got there first. Two
            # identical reports racing may both say "applied": only one write wins.
            return CompletionOutcome(
                "unchanged", "not newer than what is recorded", org, execution_id, updated.state
            )
        return CompletionOutcome(
            "applied",
            f"{execution.state.value} -> {updated.state.value}",
            org,
            execution_id,
            updated.state,
        )
