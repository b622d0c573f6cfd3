"""The sweep: submit the executions left `created`, and re-read the ones left open.

Admission records an execution before submitting its job. When the submission does
not happen (BigQuery did not answer within its deadline, or the process died in
between), the execution stays `created` until something reconciles it: a status
read, the job-completion event (only for jobs that exist), or this sweep, which a
schedule runs every few minutes (infra: Cloud Scheduler -> Pub/Sub -> the
`sweep_executions` function). Reconciling asks BigQuery for the job (its id is derived
from the execution's, so a submission that did land is found, not repeated) and
submits it when BigQuery does not know it.

The sweep looks only for executions BigQuery has never confirmed a job for
(`Execution.job_confirmed`): a reconcile that found the job confirms it, and admission
commits one it submits at once as confirmed (`Execution.submitting`), writing it back
unconfirmed if its insert does not answer; a process that dies in between leaves it to
the backstop below, which finds no job and submits it. A job BigQuery accepted but has
not started (PENDING, queued behind others) keeps its execution `created`, yet the sweep
never reads it again, so any number of queued executions cannot hide one whose
submission did not happen; each run reconciles at most SWEEP_BATCH, oldest first, and
each one it reaches is confirmed or ended (and leaves the query), or left for the next
run (BigQuery did not answer).

The backstop: an execution whose job BigQuery confirmed ends through its completion
event, or a status read. An event can be lost (a connection in a project without the
log sink, a sink misconfigured, a message dead-lettered), and nobody polls a run started
by Pub/Sub or a schedule. So each run also re-reads, from BigQuery, up to SWEEP_BATCH
executions that are still open and were last reconciled more than `recheck_after` ago
(10 minutes by default), least recently checked first. Each re-read moves its
`reconciled_at` (still running) or ends it, so the open executions take turns: any
number of long jobs cannot starve one another, and they never touch the unconfirmed
query above. Deployed (a sweep every 5 minutes), every execution reaches its terminal
state at most `recheck_after` + one sweep period (15 minutes) after its job ends when
every completion event is lost, as long as fewer than SWEEP_BATCH executions per sweep
period come due.

Queues: each run also moves the queue of every org with `queued` executions among the
SWEEP_BATCH oldest (a promotion lost to a crash, or a stack restarted mid-flood), after
freeing that org's slots whose execution ended or is gone (ConcurrencyLimits.
release_leaked: a crash between a terminal write and its release). A leaked slot matters
only once the org is full, and a full org queues, so looking at orgs with a queue finds
every leak that holds anyone back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from workflows_api import deadlines, logs, tracing
from workflows_api.domain.execution.states import Execution
from workflows_api.service.errors import ServiceError
from workflows_api.service.lifecycle import ExecutionLifecycle
from workflows_api.service.ports import ExecutionStore

logger = logging.getLogger(__name__)

# Younger executions may still be in their admission's hands (submitting now).
SWEEP_MIN_AGE = dt.timedelta(seconds=60)
SWEEP_BATCH = 100
# An open execution not reconciled for this long is re-read from BigQuery (backstop).
RECHECK_AFTER = dt.timedelta(minutes=10)
# One sweep's total budget: well inside its function's timeout (infra: 120 s).
SWEEP_DEADLINE_SECONDS = 90.0
# Stop starting reconciliations when less than this is left (one may take a few s).
_RESERVE_SECONDS = 15.0


@dataclass(frozen=True)
class SweepReport:
    found: int
    submitted: int  # BigQuery holds their jobs now (submitted now, or found submitted)
    ended: int  # ended now (job found done, refused by BigQuery, or its workflow changed)
    left: int  # BigQuery did not answer, refused by us, or out of time: for the next sweep
    rechecked: int = 0  # open executions BigQuery confirmed, re-read (the backstop)
    settled: int = 0  # of those, ended now (their completion event never came)
    freed: int = 0  # slots of ended or missing executions freed (leaked by a crash)
    promoted: int = 0  # queued executions given a slot and submitted


@dataclass(frozen=True, kw_only=True)
class ExecutionSweep:
    executions: ExecutionStore
    lifecycle: ExecutionLifecycle
    clock: Callable[[], dt.datetime]
    recheck_after: dt.timedelta = RECHECK_AFTER

    def sweep(
        self, limit: int = SWEEP_BATCH, older_than: dt.timedelta = SWEEP_MIN_AGE
    ) -> SweepReport:
        """Reconcile up to `limit` executions left `created` for `older_than` whose job
        BigQuery never confirmed, oldest first; then re-read up to `limit` open ones not
        reconciled for `recheck_after`, least recently checked first."""
        with deadlines.within(SWEEP_DEADLINE_SECONDS):
            now = self.clock()
            stale = self.executions.list_unconfirmed_executions(now - older_than, limit)
            swept = self._reconcile_each(stale)
            unsettled = self.executions.list_unsettled_executions(now - self.recheck_after, limit)
            rechecked = self._reconcile_each(unsettled)
            freed, promoted = self._move_queues(limit)
        ended = sum(1 for e in swept if e.is_terminal)
        submitted = sum(1 for e in swept if not e.is_terminal and e.job_confirmed)
        settled = sum(1 for e in rechecked if e.is_terminal)
        reread = sum(
            1 for before, after in zip(unsettled, rechecked, strict=False) if after != before
        )
        report = SweepReport(
            found=len(stale),
            submitted=submitted,
            ended=ended,
            left=len(stale) - submitted - ended + len(unsettled) - reread,
            rechecked=len(unsettled),
            settled=settled,
            freed=freed,
            promoted=promoted,
        )
        logs.log(
            logger,
            logging.INFO if report.left == 0 else logging.WARNING,
            "sweep of executions left created",
            found=report.found,
            submitted=report.submitted,
            ended=report.ended,
            left=report.left,
            rechecked=report.rechecked,
            settled=report.settled,
            freed=report.freed,
            promoted=report.promoted,
        )
        return report

    def _move_queues(self, limit: int) -> tuple[int, int]:
        """Free leaked slots of, and promote, every org with an old enough queue."""
        limits = self.lifecycle.limits
        freed = promoted = 0
        for org in limits.slots.list_queued_orgs(limit):
            if deadlines.capped(SWEEP_DEADLINE_SECONDS) < _RESERVE_SECONDS:
                break
            try:
                freed += limits.release_leaked(org)
                promoted += self.lifecycle.promote(org)
            except ServiceError as refused:
                logs.log(
                    logger, logging.WARNING, "sweep: queue not moved", org=org, code=refused.code
                )
        return freed, promoted

    def _reconcile_each(self, executions: list[Execution]) -> list[Execution]:
        """Each execution reconciled with BigQuery, in order, while time is left; one
        refused by us (e.g. its connection was deleted) is logged and skipped."""
        swept = []
        for execution in executions:
            if deadlines.capped(SWEEP_DEADLINE_SECONDS) < _RESERVE_SECONDS:
                break
            # Each in the trace of the request that began it.
            with tracing.following(execution.trace_id, "sweep execution"):
                try:
                    swept.append(self.lifecycle.reconcile(execution, force=True))
                except ServiceError as refused:
                    logs.log(
                        logger,
                        logging.WARNING,
                        "sweep: execution cannot be submitted",
                        execution_id=execution.id,
                        code=refused.code,
                    )
        return swept
