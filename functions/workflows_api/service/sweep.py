"""The sweep: submit the executions left `created`.

Admission records an execution before submitting its job. When the submission does
not happen (BigQuery did not answer within its deadline, or the process died in
between), the execution stays `created` until something reconciles it: a status
read, the job-completion event (only for jobs that exist), or this sweep, which a
schedule runs every few minutes (infra: Cloud Scheduler -> Pub/Sub -> the
`sweep_executions` function). Reconciling asks BigQuery for the job (its id is derived
from the execution's, so a submission that did land is found, not repeated) and
submits it when BigQuery does not know it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from workflows_api import logs
from workflows_api.domain.executions import State
from workflows_api.service import deadlines
from workflows_api.service.errors import ServiceError
from workflows_api.service.lifecycle import ExecutionLifecycle
from workflows_api.service.ports import ExecutionStore

logger = logging.getLogger(__name__)

# Younger executions may still be in their admission's hands (submitting now).
SWEEP_MIN_AGE = dt.timedelta(seconds=60)
SWEEP_BATCH = 100
# One sweep's total budget: well inside its function's timeout (infra: 120 s).
SWEEP_DEADLINE_SECONDS = 90.0
# Stop starting reconciliations when less than this is left (one may take a few s).
_RESERVE_SECONDS = 15.0


@dataclass(frozen=True)
class SweepReport:
    found: int
    submitted: int  # BigQuery has their jobs now (submitted now, or found submitted)
    left: int  # BigQuery did not answer (or out of time): for the next sweep


class ExecutionSweep:
    def __init__(
        self,
        *,
        executions: ExecutionStore,
        lifecycle: ExecutionLifecycle,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._executions = executions
        self._lifecycle = lifecycle
        self._clock = clock

    def sweep(
        self, limit: int = SWEEP_BATCH, older_than: dt.timedelta = SWEEP_MIN_AGE
    ) -> SweepReport:
        """Reconcile up to `limit` executions left `created` for `older_than`, oldest
        first."""
        with deadlines.within(SWEEP_DEADLINE_SECONDS):
            stale = self._executions.list_created_executions(self._clock() - older_than, limit)
            submitted = 0
            for execution in stale:
                if deadlines.capped(SWEEP_DEADLINE_SECONDS) < _RESERVE_SECONDS:
                    break
                try:
                    reconciled = self._lifecycle.reconcile(execution, force=True)
                except ServiceError as refused:  # e.g. its connection was deleted
                    logs.log(
                        logger,
                        logging.WARNING,
                        "sweep: execution cannot be submitted",
                        execution_id=execution.id,
                        code=refused.code,
                    )
                    continue
                # A job BigQuery reported (maybe still PENDING, so still `created`)
                # marks the execution reconciled; one BigQuery did not answer for not.
                if (
                    reconciled.state != State.CREATED
                    or reconciled.reconciled_at != execution.reconciled_at
                ):
                    submitted += 1
        report = SweepReport(len(stale), submitted, len(stale) - submitted)
        logs.log(
            logger,
            logging.INFO if report.left == 0 else logging.WARNING,
            "sweep of executions left created",
            found=report.found,
            submitted=report.submitted,
            left=report.left,
        )
        return report
