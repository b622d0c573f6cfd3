"""What the execution use cases share: requests, results, visibility and the one
compare-and-swap loop.

The use cases live by concern: `admission.py` (execute: cache and idempotency
claims), `lifecycle.py` (submit, reconcile, job reports, cancel) and `queries.py`
(get, list). The adapters retry transient backend errors themselves (api-core
Retry); the only loop here re-reads a record after losing a compare-and-swap race.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from workflows_api.domain.errors import ParameterValuesInvalid
from workflows_api.domain.execution.states import Execution
from workflows_api.service.errors import ServiceError

if TYPE_CHECKING:
    from workflows_api.domain.workflow.parts import Parameter

# Execution records (and idempotency keys) are kept this long (Firestore TTL).
RECORD_RETENTION = dt.timedelta(days=90)
# A non-terminal execution is compared with its BigQuery job at most this often.
RECONCILE_INTERVAL = dt.timedelta(seconds=1)
MAX_WAIT_SECONDS = 60.0
CAS_ATTEMPTS = 5

WorkflowFilter = Callable[[str], bool]
T = TypeVar("T")


def any_workflow(workflow_id: str) -> bool:
    return True


@dataclass(frozen=True)
class ExecuteRequest:
    parameters: Mapping[str, Any]
    cache: bool | None = None  # None: the workflow's setting
    wait_seconds: float = 0.0
    idempotency_key: str | None = None
    dry_run: bool = False  # only estimate the run (ExecutionAdmission.estimate)


@dataclass(frozen=True)
class CostEstimate:
    """A dry run's answer: what the run would process, and the cap it would run under."""

    workflow_id: str
    parameters: dict[str, Any]  # canonical JSON values
    bytes_processed: int | None
    maximum_bytes_billed: int | None


@dataclass(frozen=True)
class ExecuteResult:
    execution: Execution
    # True when an earlier request's execution answered this one (no new job).
    reused: bool


@dataclass(frozen=True)
class Settled(Generic[T]):
    """A compare-and-swap attempt's final answer (None from an attempt: lost the race)."""

    value: T


def until_settled(
    attempt: Callable[[], Settled[T] | None],
    code: str = "busy",
    message: str = "The execution keeps changing; retry.",
) -> T:
    """Run `attempt` until it settles: each attempt re-reads what a concurrent writer
    stored and tries its compare-and-swap again; 503 `code` after CAS_ATTEMPTS."""
    for _ in range(CAS_ATTEMPTS):
        settled = attempt()
        if settled is not None:
            return settled.value
    raise ServiceError("unavailable", code, message)


def parameter_values(declared: Sequence[Parameter], supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical JSON values of the supplied parameters; 400 listing every problem."""
    # Imported here, as everywhere on the status path: a process that only reads
    # executions never loads the definition model (cold start).
    from workflows_api.domain.workflow.parameters import to_json_values, validate_parameter_values

    try:
        return to_json_values(validate_parameter_values(declared, supplied))
    except ParameterValuesInvalid as invalid:
        raise ServiceError(
            "invalid",
            "invalid_parameters",
            "; ".join(error.message for error in invalid.errors),
            invalid.errors[0].parameter if len(invalid.errors) == 1 else "parameters",
            details=[error.to_dict() for error in invalid.errors],
        ) from None
