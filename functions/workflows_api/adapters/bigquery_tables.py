"""The Warehouse port's table metadata on BigQuery: one parallel round of tables.get.

What a cache hit checks its sources with (domain/execution/freshness.py): each table's
kind (`type`: TABLE, VIEW, MATERIALIZED_VIEW, EXTERNAL, SNAPSHOT, CLONE) and
`lastModifiedTime`. The calls go out at once (workflows_api.parallel), each under the
warehouse's retry policy with JOB_CALL_DEADLINE_SECONDS of budget and the request's
deadline: a hit costs one tables.get round trip (tens of ms on BigQuery), however many
sources the workflow reads. tables.get is a metadata read: free, no job, no slot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry

from workflows_api import parallel
from workflows_api.adapters.retrying import attempt_timeout
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.freshness import TableMetadata

if TYPE_CHECKING:
    from google.cloud import bigquery

T = TypeVar("T")

# As the warehouse's jobs.get: BigQuery answers tables.get well within a second.
JOB_CALL_DEADLINE_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 30.0
_NO_RETRY = api_retry.Retry(predicate=api_retry.if_exception_type())
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class TableMetadataReads:
    """`table_metadata` for BigQueryWarehouse (which supplies the client and retries)."""

    _client_for: Callable[[Connection], bigquery.Client]

    def _retrying(
        self,
        operation: str,
        call: Callable[[], T],
        passing: tuple[type[Exception], ...] = (),
        budget: float | None = None,
    ) -> T:
        raise NotImplementedError

    def table_metadata(
        self, connection: Connection, tables: Sequence[str]
    ) -> dict[str, TableMetadata | None]:
        client = self._client_for(connection)
        found = parallel.all_of([_reading(self, client, table) for table in tables])
        return dict(zip(tables, found, strict=True))


def _reading(
    warehouse: TableMetadataReads, client: bigquery.Client, table: str
) -> Callable[[], TableMetadata | None]:
    def read() -> TableMetadata | None:
        try:
            found: Any = warehouse._retrying(
                "get table",
                lambda: client.get_table(
                    table, retry=_NO_RETRY, timeout=attempt_timeout(REQUEST_TIMEOUT_SECONDS)
                ),
                passing=(api_exceptions.NotFound,),
                budget=JOB_CALL_DEADLINE_SECONDS,
            )
        except api_exceptions.NotFound:
            return None
        return TableMetadata(table, str(found.table_type or "TABLE"), found.modified or _EPOCH)

    return read
