"""The Warehouse port's records to and from the BigQuery client's: typed query
parameters going in, job status and errorResult coming out, and the client's errors
sorted into transient ones (retried) and refusals (WarehouseError)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import requests
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions

from workflows_api.domain.execution.results import row_size
from workflows_api.domain.execution.states import JobError, JobState, JobStatistics, JobStatus
from workflows_api.service.errors import WarehouseError

if TYPE_CHECKING:
    from google.cloud import bigquery

    from workflows_api.domain.execution.records import QueryArgument

SCALAR_TYPES = frozenset({"STRING", "INT64", "FLOAT64", "NUMERIC", "BOOL", "DATE", "TIMESTAMP"})
JOB_STATES: frozenset[str] = frozenset({"PENDING", "RUNNING", "DONE"})


def query_config(**settings: Any) -> bigquery.QueryJobConfig:
    """A query job's configuration (`bigquery.QueryJobConfig(**settings)`)."""
    from google.cloud import bigquery  # loaded with the client (clients.py)

    return bigquery.QueryJobConfig(**settings)


def query_parameter(
    argument: QueryArgument,
) -> bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter:
    """A named, typed query parameter. NULL scalars stay typed NULLs; a NULL array is
    sent as an empty array (the client library cannot send a NULL array, and BigQuery
    treats the two alike in `IN UNNEST(...)`)."""
    from google.cloud import bigquery  # loaded with the client (clients.py)

    kind = argument.type.upper().replace(" ", "")
    if kind.startswith("ARRAY<") and kind.endswith(">"):
        element = kind[len("ARRAY<") : -1]
        if element not in SCALAR_TYPES:
            raise ValueError(f"{argument.name}: unsupported array element type {element}")
        values = [] if argument.value is None else list(argument.value)
        return bigquery.ArrayQueryParameter(argument.name, element, values)
    if kind not in SCALAR_TYPES:
        raise ValueError(f"{argument.name}: unsupported query parameter type {argument.type}")
    return bigquery.ScalarQueryParameter(argument.name, kind, argument.value)


def job_status(job: Any) -> JobStatus:
    """A client job's status; a state BigQuery did not send reads as PENDING."""
    state = job.state if job.state in JOB_STATES else "PENDING"
    return JobStatus(
        job_id=job.job_id,
        state=cast(JobState, state),
        error=job_error(job.error_result) if job.error_result else None,
        started_at=_utc(job.started),
        ended_at=_utc(job.ended),
        statistics=job_statistics(job) if state == "DONE" else None,
    )


def job_statistics(job: Any) -> JobStatistics:
    """jobs.get's statistics: totalBytesProcessed, totalBytesBilled, totalSlotMs and
    numChildJobs (a script's statements), each None when BigQuery did not report it."""
    return JobStatistics(
        bytes_processed=getattr(job, "total_bytes_processed", None),
        bytes_billed=getattr(job, "total_bytes_billed", None),
        slot_ms=getattr(job, "slot_millis", None),
        child_jobs=getattr(job, "num_child_jobs", None),
    )


def job_error(error_result: Mapping[str, Any]) -> JobError:
    location = error_result.get("location")
    return JobError(
        reason=str(error_result.get("reason") or ""),
        message=str(error_result.get("message") or ""),
        location=None if location is None else str(location),
    )


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class JobNotVisibleYet(Exception):
    """jobs.insert said 409 but jobs.get says 404: BigQuery is catching up; retry."""


_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    api_exceptions.ServiceUnavailable,
    api_exceptions.InternalServerError,
    api_exceptions.TooManyRequests,
    api_exceptions.BadGateway,
    api_exceptions.GatewayTimeout,
    ConnectionError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    auth_exceptions.TransportError,
    JobNotVisibleYet,
)


# BigQuery's errors[0].reason values that mean "try again" (as its client library).
_TRANSIENT_REASONS = frozenset({"rateLimitExceeded", "backendError", "internalError", "badGateway"})


def is_transient(error: BaseException) -> bool:
    if isinstance(error, requests.exceptions.SSLError):
        return False
    errors = getattr(error, "errors", None)
    if (
        isinstance(errors, list)
        and errors
        and isinstance(errors[0], Mapping)
        and errors[0].get("reason") in _TRANSIENT_REASONS
    ):
        return True
    return isinstance(error, _TRANSIENT_TYPES)


def refused(error: api_exceptions.GoogleAPICallError) -> WarehouseError:
    """A non-transient API error as WarehouseError (BigQuery's first error, else the status)."""
    first = error.errors[0] if error.errors and isinstance(error.errors[0], Mapping) else {}
    reason = str(first.get("reason") or getattr(error, "reason", None) or error.code or "error")
    message = str(first.get("message") or _REQUEST_LINE.sub("", error.message, count=1))
    location = first.get("location")
    return WarehouseError(reason, message, None if location is None else str(location))


def impersonation_refused() -> WarehouseError:
    """The IAM Credentials API refused to mint a token for the connection's service
    account (a RefreshError; its text is the API's answer: not repeated)."""
    return WarehouseError(
        "impersonation_refused",
        "The runtime may not impersonate the connection's service account: it "
        "needs roles/iam.serviceAccountTokenCreator on that account.",
    )


# The client library starts an HTTP error's message with the request ("POST
# https://host:port/bigquery/v2/...: "): an endpoint's address is not for callers.
_REQUEST_LINE = re.compile(r"^[A-Z]+ \S+://\S+: ")


def within_bytes(rows: Iterable[Any], max_bytes: int | None) -> list[dict[str, Any]]:
    """The rows as dicts, read (page by page, as tabledata.list serves them) until the
    one that takes their size to `max_bytes`: no more is held in memory."""
    found: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        found.append(dict(row.items()))
        size += row_size(found[-1])
        if max_bytes is not None and size >= max_bytes:
            break
    return found
