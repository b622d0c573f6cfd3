"""Reading a succeeded execution's output rows, page by page (GEOGRAPHY as GeoJSON or WKT)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workflows_api.domain.execution import results
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.results import Column, GeographyFormat
from workflows_api.domain.execution.states import Execution, State
from workflows_api.service.errors import ServiceError, WarehouseError
from workflows_api.service.execution_requests import WorkflowFilter, any_workflow
from workflows_api.service.job_calls import bytes_billed_cap
from workflows_api.service.output_tables import expire_output
from workflows_api.service.ports import Warehouse
from workflows_api.service.queries import ExecutionQueries
from workflows_api.service.workflows import WorkflowService


@dataclass(frozen=True)
class ResultsPage:
    columns: list[Column]
    rows: list[dict[str, Any]]  # JSON-ready values
    next_page_token: str | None


@dataclass(frozen=True, kw_only=True)
class ExecutionResults:
    executions: ExecutionQueries
    workflows: WorkflowService
    warehouse: Warehouse
    clock: Callable[[], dt.datetime]

    def page(
        self,
        org: str,
        execution_id: str,
        may_see: WorkflowFilter = any_workflow,
        *,
        page_size: int,
        page_token: str | None,
        geography_format: GeographyFormat,
    ) -> ResultsPage:
        """One page of a succeeded execution's output rows, with the table's columns."""
        execution = self._readable(self.executions.get(org, execution_id, may_see))
        offset = 0 if page_token is None else results.offset_of(page_token)
        if offset is None:
            raise ServiceError(
                "invalid",
                "invalid_page_token",
                "page_token: not a token this API gave",
                "page_token",
            )
        connection = self.workflows.connection(org, execution.connection)
        limits = results.ReadLimits(
            bytes_billed_cap(results.MAX_BYTES_BILLED, connection.maximum_bytes_billed),
            results.MAX_PAGE_BYTES,
        )
        project, dataset, table = execution.output_table.split(".")
        try:
            columns = self.warehouse.table_columns(connection, execution.output_table)
            sql = results.results_query(project, dataset, table, columns, geography_format)
            limit = QueryArgument(results.LIMIT_PARAMETER, "INT64", page_size + 1)
            skip = QueryArgument(results.OFFSET_PARAMETER, "INT64", offset)
            rows = self.warehouse.query_rows(connection, sql, [limit, skip], limits)
        except WarehouseError as error:
            raise self._unreadable(execution, error) from None
        # A page ends early once its rows reach MAX_PAGE_BYTES; the token goes on from there.
        kept = rows[:page_size]
        more = len(rows) > page_size or sum(map(results.row_size, kept)) >= results.MAX_PAGE_BYTES
        geojson = [c.name for c in columns if c.is_geography and geography_format == "geojson"]
        return ResultsPage(
            columns=columns,
            rows=[_json_row(row, geojson) for row in kept],
            next_page_token=results.page_token(offset + len(kept)) if more and kept else None,
        )

    def _unreadable(self, execution: Execution, error: WarehouseError) -> ServiceError:
        """A results read BigQuery refused: a table gone is `output_expired` (and the
        execution's output is recorded as expired, so no cache hit serves it again);
        anything else, its reason (never a 500)."""
        if error.reason == "notFound":
            expire_output(self.executions.executions, execution, self.clock())
            return _expired(execution)
        return ServiceError(
            "unprocessable",
            "results_unreadable",
            f"BigQuery refused to read the output table: {error.reason}",
            "execution_id",
            details=[{"reason": error.reason, "location": error.location}],
        )

    def _readable(self, execution: Execution) -> Execution:
        """409 unless the execution succeeded and its output table is still there."""
        if execution.state != State.SUCCEEDED:
            raise ServiceError(
                "conflict",
                "execution_not_succeeded",
                f"Execution {execution.id!r} is {execution.state.value}; results exist once "
                "it has succeeded.",
                "execution_id",
            )
        if execution.output_expires_at is not None and self.clock() >= execution.output_expires_at:
            raise _expired(execution)
        return execution


def _expired(execution: Execution) -> ServiceError:
    return ServiceError(
        "conflict",
        "output_expired",
        f"The output table of {execution.id!r} has expired (or was deleted); execute the "
        "workflow again.",
        "execution_id",
    )


def _json_row(row: Mapping[str, Any], geojson_columns: list[str]) -> dict[str, Any]:
    """A result row as JSON values: GeoJSON parsed, times ISO 8601, NUMERIC as text."""
    out = {name: _json_cell(value) for name, value in row.items()}
    for name in geojson_columns:
        if isinstance(out.get(name), str):
            out[name] = json.loads(out[name])
    return out


def _json_cell(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [_json_cell(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _json_cell(item) for key, item in value.items()}
    return value
