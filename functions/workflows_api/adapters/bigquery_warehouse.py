"""The Warehouse port on BigQuery: the connection's dataset, DDL, and CALL jobs.

Every call goes to the client `client_for(connection)` gives (impersonating the
connection's service account), in the connection's project and location. The client
library's own retries are off; `_retrying` applies the adapters' one retry policy
(adapters/retrying.py): transient errors are retried with backoff, then BackendUnavailable.
Each attempt has a timeout, the retries a budget (JOB_CALL_DEADLINE_SECONDS for jobs.insert,
get, cancel; RETRY_DEADLINE_SECONDS else), both ending by the request's deadline
(deadlines.py): a frozen BigQuery costs an execute or a status read at most
JOB_CALL_DEADLINE_SECONDS, any other request at most its deadline, even mid-wait.
Other refusals become WarehouseError (BigQuery's reason, message).

Jobs are inserted under the caller's fixed job id, so re-inserting is idempotent (409 for
an id BigQuery has counts as submitted). A job that runs and fails is not an exception
here: its status is DONE with the job's errorResult, unchanged. Locally (bqemulator 1.4.0
behind devstack's shims) successful jobs lose their labels.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.auth import exceptions as auth_exceptions

from workflows_api import deadlines
from workflows_api.adapters.bigquery_conversions import (
    JOB_STATES,
    JobNotVisibleYet,
    impersonation_refused,
    is_transient,
    job_error,
    job_status,
    query_config,
    query_parameter,
    refused,
    within_bytes,
)
from workflows_api.adapters.bigquery_tables import TableMetadataReads
from workflows_api.adapters.retrying import attempt_timeout, call_with_retries
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.results import Column, ReadLimits
from workflows_api.domain.execution.states import JobStatus
from workflows_api.domain.workflow.sql_render import quote_table_reference
from workflows_api.service.errors import BackendUnavailable, WarehouseError

if TYPE_CHECKING:
    from google.cloud import bigquery

    from workflows_api.domain.execution.records import QueryArgument

T = TypeVar("T")

RETRY_DEADLINE_SECONDS = 20.0
FIRST_RETRY_DELAY_SECONDS = 0.5
MAX_RETRY_DELAY_SECONDS = 8.0
# jobs.insert/get/cancel: BigQuery answers them in about a second; a submission that
# runs out of time is retried later under the same job id.
JOB_CALL_DEADLINE_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 30.0  # per HTTP attempt (also ends by the current deadline)
# Waiting for rows or a DDL job BigQuery reports (beyond the request's deadline), polled.
RESULT_TIMEOUT_SECONDS = 120.0
DDL_TIMEOUT_SECONDS = 120.0
FIRST_POLL_DELAY_SECONDS = 0.02  # a small query is done in tens of ms: read it soon
MAX_POLL_DELAY_SECONDS = 2.0
DDL_JOB_ID_PREFIX = "wfapi_ddl_"

# The client library's own retries are off: `_retrying` is the only policy.
_NO_RETRY = api_retry.Retry(predicate=api_retry.if_exception_type())


def _attempt() -> float:
    return attempt_timeout(REQUEST_TIMEOUT_SECONDS)


class BigQueryWarehouse(TableMetadataReads):
    """Implements `service.ports.Warehouse` (table metadata: bigquery_tables.py)."""

    def __init__(
        self,
        client_for: Callable[[Connection], bigquery.Client],
        *,
        retry_deadline_seconds: float = RETRY_DEADLINE_SECONDS,
        first_retry_delay_seconds: float = FIRST_RETRY_DELAY_SECONDS,
    ) -> None:
        """`client_for` should be cheap (cache clients): it is called once per operation."""
        self._client_for = client_for
        self._retry_deadline = retry_deadline_seconds
        self._first_delay = first_retry_delay_seconds

    def ensure_dataset(self, connection: Connection) -> None:
        from google.cloud import bigquery  # loaded with the client (clients.py)

        client = self._client_for(connection)
        reference = f"{connection.project}.{connection.dataset}"
        wanted = bigquery.Dataset(reference)
        wanted.location = connection.location
        try:
            dataset = self._retrying(
                "get dataset",
                lambda: client.get_dataset(reference, retry=_NO_RETRY, timeout=_attempt()),
                passing=(api_exceptions.NotFound,),
            )
        except api_exceptions.NotFound:
            # Read first: an org may grant access to this dataset but not the right
            # to create datasets. exists_ok covers a concurrent creation.
            dataset = self._retrying(
                "create dataset",
                lambda: client.create_dataset(
                    wanted, exists_ok=True, retry=_NO_RETRY, timeout=_attempt()
                ),
            )
        if dataset.location and dataset.location.lower() != connection.location.lower():
            raise WarehouseError(
                "invalid",
                f"Dataset {reference} is in location {dataset.location}, "
                f"but the connection runs jobs in {connection.location}.",
            )

    def run_ddl(self, connection: Connection, sql: str) -> None:
        client = self._client_for(connection)
        job = self._insert(
            client,
            connection,
            job_id=f"{DDL_JOB_ID_PREFIX}{uuid.uuid4().hex}",
            sql=sql,
            job_config=query_config(),
        )
        self._wait_until_done(job, "DDL job", DDL_TIMEOUT_SECONDS)

    def submit_query(
        self,
        connection: Connection,
        *,
        job_id: str,
        sql: str,
        arguments: list[QueryArgument],
        labels: dict[str, str],
        maximum_bytes_billed: int | None = None,
    ) -> JobStatus:
        """Raises WarehouseError only when BigQuery refuses the request itself (no job
        exists then, e.g. invalid labels or parameter types); a job that fails is DONE
        with its error."""
        client = self._client_for(connection)
        job_config = query_config(
            query_parameters=[query_parameter(argument) for argument in arguments],
            labels=dict(labels),
        )
        if maximum_bytes_billed is not None:
            job_config.maximum_bytes_billed = maximum_bytes_billed
        job = self._insert(client, connection, job_id=job_id, sql=sql, job_config=job_config)
        return self._status(job)

    def get_job(self, connection: Connection, job_id: str) -> JobStatus | None:
        client = self._client_for(connection)
        job = self._job_request("get job", client.get_job, connection, job_id)
        return None if job is None else self._status(job)

    def cancel_job(self, connection: Connection, job_id: str) -> None:
        client = self._client_for(connection)
        self._job_request("cancel job", client.cancel_job, connection, job_id)

    def estimate_query(
        self, connection: Connection, *, sql: str, arguments: list[QueryArgument]
    ) -> int | None:
        parameters = [query_parameter(argument) for argument in arguments]
        return self._dry_run(connection, sql, parameters).total_bytes_processed

    def table_columns(self, connection: Connection, table: str) -> list[Column]:
        project, dataset, name = table.split(".")
        sql = f"SELECT * FROM {quote_table_reference(project, dataset, name)}"
        job = self._dry_run(connection, sql, [])
        return [
            Column(field.name, field.field_type.upper(), field.mode == "REPEATED")
            for field in job.schema or []
        ]

    def query_rows(
        self, connection: Connection, sql: str, arguments: list[QueryArgument], limits: ReadLimits
    ) -> list[dict[str, Any]]:
        client = self._client_for(connection)
        config = query_config(query_parameters=[query_parameter(a) for a in arguments])
        if limits.maximum_bytes_billed is not None:  # (None would be sent as "None")
            config.maximum_bytes_billed = limits.maximum_bytes_billed
        job = self._retrying(
            "run rows query",
            lambda: client.query(
                sql,
                job_config=config,
                location=connection.location,
                project=connection.project,
                retry=_NO_RETRY,
                timeout=_attempt(),
                job_retry=None,
            ),
        )
        self._wait_until_done(job, "rows query", RESULT_TIMEOUT_SECONDS)
        # The rows are in the job's (anonymous) destination table. tabledata.list reads
        # them with the attempt's timeout; jobs.getQueryResults (QueryJob.result) would
        # not: the client library gives each of its calls at least 120 s.
        return self._retrying(
            "read rows",
            lambda: within_bytes(
                client.list_rows(job.destination, retry=_NO_RETRY, timeout=_attempt()),
                limits.max_bytes,
            ),
        )

    # --- helpers ------------------------------------------------------------------

    def _dry_run(self, connection: Connection, sql: str, parameters: list[Any]) -> Any:
        """A dry run of `sql` (free, reads nothing): its schema and byte estimate."""
        client = self._client_for(connection)
        config = query_config(dry_run=True, use_query_cache=False, query_parameters=parameters)
        return self._retrying(
            "dry run",
            lambda: client.query(
                sql,
                job_config=config,
                location=connection.location,
                project=connection.project,
                retry=_NO_RETRY,
                timeout=_attempt(),
                job_retry=None,
            ),
        )

    def _insert(
        self,
        client: bigquery.Client,
        connection: Connection,
        *,
        job_id: str,
        sql: str,
        job_config: bigquery.QueryJobConfig,
    ) -> Any:
        """jobs.insert under `job_id`; an existing job with that id is returned instead."""

        def insert() -> Any:
            try:
                return client.query(
                    sql,
                    job_config=job_config,
                    job_id=job_id,
                    location=connection.location,
                    project=connection.project,
                    retry=_NO_RETRY,
                    timeout=_attempt(),
                    job_retry=None,
                )
            except api_exceptions.Conflict:  # AlreadyExists too: submitted before
                try:
                    return client.get_job(
                        job_id,
                        project=connection.project,
                        location=connection.location,
                        retry=_NO_RETRY,
                        timeout=_attempt(),
                    )
                except api_exceptions.NotFound:
                    raise JobNotVisibleYet(job_id) from None

        return self._retrying("submit job", insert, budget=JOB_CALL_DEADLINE_SECONDS)

    def _job_request(
        self, operation: str, method: Callable[..., Any], connection: Connection, job_id: str
    ) -> Any | None:
        """`method(job_id)` (client.get_job or cancel_job) with retries; None if no such job."""
        try:
            return self._retrying(
                operation,
                lambda: method(
                    job_id,
                    project=connection.project,
                    location=connection.location,
                    retry=_NO_RETRY,
                    timeout=_attempt(),
                ),
                passing=(api_exceptions.NotFound,),
                budget=JOB_CALL_DEADLINE_SECONDS,
            )
        except api_exceptions.NotFound:
            return None

    def _wait_until_done(self, job: Any, operation: str, at_most: float) -> None:
        """Poll `job` until DONE (WarehouseError if it failed), for at most `at_most` s.
        Time BigQuery answered "still running" (the pause, the poll) is not charged to the
        request's deadline, but each poll must answer within what is left of it: a
        BigQuery that freezes during the wait is BackendUnavailable in time."""
        gives_up_at = time.monotonic() + at_most
        delay = FIRST_POLL_DELAY_SECONDS
        while job.state != "DONE":
            left = gives_up_at - time.monotonic()
            if left <= 0:
                raise BackendUnavailable("bigquery", f"{operation} {job.job_id} not done in time")
            poll_budget = deadlines.capped(JOB_CALL_DEADLINE_SECONDS)  # before the pause
            with deadlines.paused(left):
                time.sleep(min(delay, left))
                self._retrying(
                    f"poll {operation}",
                    lambda: job.reload(retry=_NO_RETRY, timeout=_attempt()),
                    budget=poll_budget,
                )
            delay = min(delay * 2, MAX_POLL_DELAY_SECONDS)
        if job.error_result:
            failure = job_error(job.error_result)
            raise WarehouseError(failure.reason, failure.message, failure.location)

    def _status(self, job: Any) -> JobStatus:
        if job.state not in JOB_STATES:  # a response without status: ask again once
            self._retrying(
                "get job",
                lambda: job.reload(retry=_NO_RETRY, timeout=_attempt()),
            )
        return job_status(job)

    def _retrying(
        self,
        operation: str,
        call: Callable[[], T],
        passing: tuple[type[Exception], ...] = (),
        budget: float | None = None,
    ) -> T:
        """`call()` under the retry policy for at most `budget` seconds (the warehouse's
        retry deadline by default); a refusal BigQuery will repeat becomes a
        WarehouseError, except the `passing` ones the caller handles (NotFound)."""
        try:
            return call_with_retries(
                "bigquery",
                operation,
                call,
                is_transient=is_transient,
                first_delay=self._first_delay,
                max_delay=MAX_RETRY_DELAY_SECONDS,
                deadline=min(
                    self._retry_deadline if budget is None else budget, self._retry_deadline
                ),
            )
        except passing:
            raise
        except api_exceptions.GoogleAPICallError as error:
            raise refused(error) from error
        except auth_exceptions.RefreshError as error:
            raise impersonation_refused() from error
