"""Local-only shim: bqemulator runs query jobs asynchronously, as BigQuery does.

bqemulator 1.4.0 runs a query inside the ``jobs.insert`` call, on its event
loop, so the insert answers only when the job is DONE and every other request
waits meanwhile; a second insert under an existing job id runs the job again;
``jobs.cancel`` only reports the job. BigQuery answers the insert at once
(PENDING/RUNNING), refuses an existing job id with 409 ``duplicate``, and a
cancelled job ends DONE with ``errorResult.reason`` ``stopped``.

This shim replaces those routes in the shim process. A query job is recorded
PENDING and handed to one worker thread, which runs bqemulator's own query
handler on a DuckDB cursor of its own (a second connection to the same
database), so the event loop keeps answering ``jobs.get``, ``tables.get``,
dataset calls and other inserts while a job runs. Jobs queue and run one at a
time. ``jobs.cancel`` interrupts the worker's DuckDB cursor
(``connection.interrupt()``) and the scripting hook in
:mod:`devstack.bq_scripting` stops a script between statements.
``getQueryResults`` waits (up to its ``timeoutMs``) for a running job, as
BigQuery does, and reports a failed job's error. A job's end is handed, once DONE is
recorded, to Cloud Logging's stand-in (:mod:`devstack.completion_events`), which
publishes its audit-log entry as the deployed log sink does. Dry runs and load/extract/copy
jobs keep bqemulator's synchronous path (costs: bq_costs). Canaries in
tests/integration/test_bigquery_async_jobs.py fail on the day upstream answers
inserts before the job is done, refuses duplicate ids, or stops cancelled jobs.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from devstack import bq_costs, bq_scripting, completion_events

STOPPED_ERROR = {
    "reason": "stopped",
    "message": "Job execution was cancelled: Job cancelled by user request",
}
# BigQuery holds a getQueryResults call open at most ~10 s, whatever timeoutMs asks.
MAX_RESULTS_WAIT_SECONDS = 10.0
# How often a cancelled job's statement is interrupted again until the job ends.
_INTERRUPT_EVERY_SECONDS = 0.05

_worker = threading.local()  # .cursor: the DuckDB connection of the job the worker runs


@dataclass
class _Job:
    project_id: str
    job_id: str
    config: dict[str, Any]
    caller: Any
    created: datetime
    done: asyncio.Event = field(default_factory=asyncio.Event)
    cancel_requested: bool = False
    started: datetime | None = None
    cursor: Any = None
    own_cost: bq_costs.Cost = field(default_factory=bq_costs.Cost)


class JobRunner:
    """Query jobs of this process: queued, run one at a time on the worker thread."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bq-job")
        self._jobs: dict[tuple[str, str], _Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def active(self, project_id: str, job_id: str) -> _Job | None:
        return self._jobs.get((project_id, job_id))

    def submit(self, job: _Job, ctx: Any) -> None:
        self._jobs[(job.project_id, job.job_id)] = job
        task = asyncio.create_task(self._run(job, ctx))
        self._tasks.add(task)  # keep a reference until it ends
        task.add_done_callback(self._tasks.discard)

    def cancel(self, project_id: str, job_id: str) -> None:
        job = self.active(project_id, job_id)
        if job is None:
            return
        job.cancel_requested = True
        threading.Thread(target=_interrupt_until_done, args=(job,), daemon=True).start()

    async def _run(self, job: _Job, ctx: Any) -> None:
        loop = asyncio.get_running_loop()
        try:
            meta = await loop.run_in_executor(self._executor, _run_in_worker, job, ctx, loop)
            ctx.catalog.upsert_job(meta)
            completion_events.job_ended(meta)  # queued, published by Logging's stand-in
        finally:
            del self._jobs[(job.project_id, job.job_id)]
            job.done.set()


RUNNER = JobRunner()


def _interrupt_until_done(job: _Job) -> None:
    """DuckDB's interrupt stops only the statement running at that moment: one that
    arrives while the worker is about to start a statement (its cursor just opened) is
    lost, and the statement would then run to its end. So it is repeated until the job
    ends; a queued job sees `cancel_requested` when its turn comes."""
    while not job.done.is_set():
        cursor = job.cursor
        if cursor is not None:
            cursor.interrupt()
        time.sleep(_INTERRUPT_EVERY_SECONDS)


def worker_cursor() -> Any | None:
    """The DuckDB connection of the job the worker runs when called on it, else None."""
    return getattr(_worker, "cursor", None)


def _open_job_cursor(ctx: Any) -> Any:
    """A DuckDB connection of the job's own (a cursor of the engine's): interrupting it
    can never reach the job after it, and the worker thread is where it is used."""
    from bqemulator.storage.engine import DuckDBEngine

    assert isinstance(ctx.engine, DuckDBEngine) and _main_connection is not None
    cursor = _main_connection(ctx.engine).cursor()
    cursor.execute("SET TimeZone = 'UTC'")  # as the engine sets its own connection
    return cursor


def _run_in_worker(job: _Job, ctx: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """Runs on the worker thread: the job from PENDING to its final JobMeta."""
    if job.cancel_requested:
        return _finished_meta(job, ctx, None, STOPPED_ERROR)
    cursor = job.cursor = _worker.cursor = _open_job_cursor(ctx)
    try:
        return _run_started(job, ctx, loop)
    finally:
        job.cursor = _worker.cursor = None
        cursor.close()


def _run_started(job: _Job, ctx: Any, loop: asyncio.AbstractEventLoop) -> Any:
    job.started = ctx.clock.now()
    running = _job_meta(job, ctx, state="RUNNING")
    loop.call_soon_threadsafe(ctx.catalog.upsert_job, running)
    limit = job.config["query"].get("maximumBytesBilled")
    try:
        with bq_scripting.recording_children(job.job_id, lambda: job.cancel_requested, limit):
            job.own_cost = bq_costs.query_cost(job.cursor, job.config["query"], job.project_id)
            result = asyncio.run(_run_query(job, ctx))
    except Exception as exc:
        error = STOPPED_ERROR if job.cancel_requested else _error_result(exc)
        return _finished_meta(job, ctx, None, error)
    if job.cancel_requested:
        return _finished_meta(job, ctx, None, STOPPED_ERROR)
    return _finished_meta(job, ctx, result, result.error_result)


async def _run_query(job: _Job, ctx: Any) -> Any:
    from bqemulator.api.routes import jobs as jobs_routes

    return await jobs_routes._handle_query_job(
        job.project_id,
        job.job_id,
        job.config,
        dry_run=False,
        ctx=ctx,
        caller=job.caller,
        now=job.created,
    )


def _error_result(exc: Exception) -> dict[str, Any]:
    from bqemulator.domain.errors import DomainError

    if isinstance(exc, DomainError | bq_costs.BytesBilledLimitExceeded):
        return {"reason": exc.bq_reason, "message": exc.message}
    return {"reason": "invalidQuery", "message": str(exc)}


def _job_meta(job: _Job, ctx: Any, *, state: str) -> Any:
    from bqemulator.catalog.etag import generate_etag
    from bqemulator.catalog.models import JobMeta

    return JobMeta(
        project_id=job.project_id,
        job_id=job.job_id,
        job_type="QUERY",
        state=state,  # type: ignore[arg-type]
        configuration=job.config,
        statistics={},
        creation_time=job.created,
        start_time=job.started,
        etag=generate_etag(job.project_id, job.job_id, state),
    )


def _finished_meta(job: _Job, ctx: Any, result: Any, error: dict[str, Any] | None) -> Any:
    from bqemulator.api.routes import jobs as jobs_routes

    statistics: dict[str, Any] = dict(result.statistics) if result is not None else {}
    if result is not None:
        jobs_routes._merge_executor_config(job.config, result.configuration)
    started, ended = job.started or ctx.clock.now(), ctx.clock.now()
    children = bq_scripting.child_jobs(job.job_id)  # a script's costs are its children's
    statistics = bq_costs.with_costs(statistics, job.own_cost, children, started, ended)
    return _job_meta(job, ctx, state="DONE").model_copy(
        update={
            "statistics": statistics,
            "error_result": error,
            "start_time": started,
            "end_time": ended,
        }
    )


# --- routes ---------------------------------------------------------------------------


async def insert_job(project_id: str, request: Request) -> Any:
    """jobs.insert: 409 for an existing id; a query job answers PENDING and runs later."""
    from bqemulator.api.dependencies import get_caller, get_context
    from bqemulator.api.routes import jobs as jobs_routes
    from bqemulator.domain.errors import AlreadyExistsError

    ctx, caller = get_context(request), get_caller(request)
    body = await request.json()
    config = body.get("configuration", {})
    job_id = body.get("jobReference", {}).get("jobId") or f"bqemu_{uuid4().hex[:12]}"
    if "query" not in config or config.get("dryRun", False):
        dry_run = await jobs_routes.insert_job(project_id, request, ctx, caller)
        return bq_costs.with_dry_run_estimate(dry_run, ctx, project_id, config)
    if ctx.catalog.get_job(project_id, job_id) is not None:
        raise AlreadyExistsError(f"Already Exists: Job {project_id}:US.{job_id}")
    job = _Job(project_id, job_id, config, caller, ctx.clock.now())
    pending = _job_meta(job, ctx, state="PENDING")
    ctx.catalog.upsert_job(pending)
    RUNNER.submit(job, ctx)
    return jobs_routes._build_job_response(project_id, job_id, pending, config)


def cancel_job(project_id: str, job_id: str, request: Request) -> Any:
    """jobs.cancel: ask a queued or running job to stop; answers the job as it stands."""
    from bqemulator.api.dependencies import get_context
    from bqemulator.api.routes import jobs as jobs_routes

    ctx = get_context(request)
    response = jobs_routes.cancel_job(project_id, job_id, ctx)  # 404 for an unknown job
    RUNNER.cancel(project_id, job_id)
    return response


async def get_query_results(
    project_id: str,
    job_id: str,
    request: Request,
    maxResults: int = Query(default=10000, alias="maxResults"),
    startIndex: int = Query(default=0, alias="startIndex"),
    pageToken: str | None = Query(default=None, alias="pageToken"),
    timeoutMs: int = Query(default=10000, alias="timeoutMs"),
) -> Any:
    """getQueryResults: wait for a running job up to timeoutMs; a failed job's error."""
    from bqemulator.api.dependencies import get_context
    from bqemulator.api.routes import jobs as jobs_routes

    ctx = get_context(request)
    job = RUNNER.active(project_id, job_id)
    if job is not None:
        wait = min(max(timeoutMs, 0) / 1000, MAX_RESULTS_WAIT_SECONDS)
        try:
            await asyncio.wait_for(job.done.wait(), timeout=wait)
        except TimeoutError:
            return {
                "kind": "bigquery#getQueryResultsResponse",
                "jobReference": {"projectId": project_id, "jobId": job_id, "location": "US"},
                "jobComplete": False,
            }
    meta = ctx.catalog.get_job(project_id, job_id)
    if meta is not None and meta.error_result:
        return _error_response(meta.error_result)
    return jobs_routes.get_query_results(project_id, job_id, ctx, maxResults, startIndex, pageToken)


def _error_response(error: dict[str, Any]) -> JSONResponse:
    status = {"notFound": 404, "duplicate": 409, "accessDenied": 403}.get(error["reason"], 400)
    body = {"error": {"code": status, "message": error["message"], "errors": [error]}}
    return JSONResponse(body, status_code=status)


def list_jobs(
    project_id: str,
    request: Request,
    maxResults: int = Query(default=100, alias="maxResults"),
    stateFilter: str | None = Query(default=None, alias="stateFilter"),
    parentJobId: str | None = Query(default=None, alias="parentJobId"),
) -> Any:
    """jobs.list; with parentJobId, the script's child jobs (bqemulator lists none)."""
    from bqemulator.api.dependencies import get_context
    from bqemulator.api.routes import jobs as jobs_routes

    ctx = get_context(request)
    if parentJobId is None:
        return jobs_routes.list_jobs(project_id, ctx, maxResults, stateFilter, None)
    children = bq_scripting.child_jobs(parentJobId)[:maxResults]
    return {
        "kind": "bigquery#jobList",
        "jobs": [
            jobs_routes._build_job_response(project_id, child.job_id, child, child.configuration)
            for child in children
        ],
        "totalItems": len(children),
    }


# --- installation -----------------------------------------------------------------------

_main_connection: Callable[[Any], Any] | None = None  # bqemulator's engine.connection


def install() -> None:
    """Patch bqemulator in this process, before its app is built (idempotent)."""
    global _main_connection
    if _main_connection is not None:
        return
    from bqemulator.api.routes import jobs as jobs_routes
    from bqemulator.storage.engine import DuckDBEngine

    main_connection = _main_connection = DuckDBEngine.__dict__["connection"].fget
    original_write_lock = DuckDBEngine.write_lock

    def connection(engine: DuckDBEngine) -> Any:
        return worker_cursor() or main_connection(engine)

    def write_lock(engine: DuckDBEngine) -> Any:
        # The engine's asyncio.Lock belongs to the server's loop; the worker's own
        # connection is serialised by DuckDB's transactions instead.
        return _no_lock() if worker_cursor() is not None else original_write_lock(engine)

    DuckDBEngine.connection = property(connection)  # type: ignore[assignment,method-assign]
    DuckDBEngine.write_lock = write_lock  # type: ignore[assignment,method-assign]
    router = jobs_routes.router
    _replace_route(router, "/projects/{project_id}/jobs", "POST", insert_job)
    _replace_route(router, "/projects/{project_id}/jobs", "GET", list_jobs)
    _replace_route(router, "/projects/{project_id}/jobs/{job_id}/cancel", "POST", cancel_job)
    _replace_route(router, "/projects/{project_id}/queries/{job_id}", "GET", get_query_results)
    bq_scripting.install()


class _no_lock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def _replace_route(router: Any, path: str, method: str, endpoint: Any) -> None:
    """Swap the endpoint of one route of `router`, keeping its place in the order."""
    full_path = router.prefix + path
    index = next(
        i
        for i, route in enumerate(router.routes)
        if getattr(route, "path", None) == full_path and method in getattr(route, "methods", ())
    )
    router.routes.pop(index)
    router.add_api_route(path, endpoint, methods=[method])
    router.routes.insert(index, router.routes.pop())
