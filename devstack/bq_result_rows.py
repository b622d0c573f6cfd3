"""Local-only shim: tabledata.list reads a query job's result table, as on BigQuery.

BigQuery writes a query's rows to an anonymous table (the job's
``destinationTable``), which tabledata.list reads page by page like any table. The
API reads result pages that way (adapters/bigquery_warehouse.py): unlike
jobs.getQueryResults, to which the client library gives at least 120 s per call,
tabledata.list takes the request's own timeout. bqemulator 1.4.0 names the table
(``_bqemu_anonymous.anon<job id>``) and answers tables.get for it, but answers
tabledata.list with 404. This shim serves those pages from the job's results, with
bqemulator's own getQueryResults handler. The canary
``test_bqemulator_still_cannot_list_a_result_table`` in
tests/integration/test_bigquery_result_rows.py fails on the day upstream serves them.
"""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request

ANONYMOUS_DATASET = "_bqemu_anonymous"
_UUID_HEX_LENGTH = 32


def list_result_rows(
    project_id: str,
    table_id: str,
    request: Request,
    maxResults: int = Query(default=10000, alias="maxResults"),
    startIndex: int = Query(default=0, alias="startIndex"),
    pageToken: str | None = Query(default=None, alias="pageToken"),
) -> Any:
    """tabledata.list of `_bqemu_anonymous.anon<job id>`: the job's result rows."""
    from bqemulator.api.dependencies import get_context
    from bqemulator.api.routes import jobs as jobs_routes

    page = jobs_routes.get_query_results(
        project_id, _job_id(table_id), get_context(request), maxResults, startIndex, pageToken
    )
    listing = {"kind": "bigquery#tableDataList", "totalRows": page["totalRows"]}
    listing["rows"] = page["rows"]
    if "pageToken" in page:
        listing["pageToken"] = page["pageToken"]
    return listing


def _job_id(table_id: str) -> str:
    """The job id in `anon<job id>`; bqemulator drops a UUID's hyphens there."""
    flat = table_id.removeprefix("anon")
    if len(flat) != _UUID_HEX_LENGTH:
        return flat
    return f"{flat[:8]}-{flat[8:12]}-{flat[12:16]}-{flat[16:20]}-{flat[20:]}"


def install() -> None:
    """Route tabledata.list of anonymous result tables here (before the app is built)."""
    from bqemulator.api.routes import tabledata

    router = tabledata.router
    path = f"/projects/{{project_id}}/datasets/{ANONYMOUS_DATASET}/tables/{{table_id}}/data"
    if any(getattr(route, "path", None) == router.prefix + path for route in router.routes):
        return
    router.add_api_route(path, list_result_rows, methods=["GET"])
    # First, so that it wins over the generic /datasets/{dataset_id}/... route.
    router.routes.insert(0, router.routes.pop())
