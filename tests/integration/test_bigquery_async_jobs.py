"""Jobs on the local BigQuery behave as on BigQuery (devstack/bq_async.py), through the
real google-cloud-bigquery client; and the canaries that fail on the day upstream
bqemulator behaves so itself (then the matching part of the shim can go)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from typing import Any

import pytest
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

pytestmark = pytest.mark.integration

# Pure DuckDB work, minutes long: each test that starts it cancels it.
ENDLESS_SQL = (
    "SELECT SUM(MOD(a * b, 7)) AS n "
    "FROM UNNEST(GENERATE_ARRAY(1, 200000)) a CROSS JOIN UNNEST(GENERATE_ARRAY(1, 200000)) b"
)
# About a second of DuckDB work here; long enough to overlap the plain emulator's cancel.
SHORT_WORK_SQL = ENDLESS_SQL.replace("200000", "15000")


def _job_id() -> str:
    return f"test_{uuid.uuid4().hex}"


def _insert(client: bigquery.Client, sql: str, job_id: str | None = None) -> Any:
    return client.query(sql, job_id=job_id or _job_id(), job_retry=None)


def _query_job(client: bigquery.Client, job_id: str) -> bigquery.QueryJob:
    job = client.get_job(job_id)
    assert isinstance(job, bigquery.QueryJob)
    return job


def _until_done(client: bigquery.Client, job_id: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    job = client.get_job(job_id)
    while job.state != "DONE" and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.get_job(job_id)
    return job


def _until_running(client: bigquery.Client, job_id: str) -> Any:
    deadline = time.monotonic() + 60
    job = client.get_job(job_id)
    while job.state == "PENDING" and time.monotonic() < deadline:
        time.sleep(0.02)
        job = client.get_job(job_id)
    assert job.state == "RUNNING", job.state
    return job


def test_insert_answers_before_the_job_is_done(bq_client: bigquery.Client) -> None:
    # How fast it answers is a figure of `make bench` (the jobs.insert floor), not a test.
    jobs = [_insert(bq_client, SHORT_WORK_SQL) for _ in range(5)]
    try:
        assert all(job.state in ("PENDING", "RUNNING") for job in jobs)
        assert any(_query_job(bq_client, job.job_id).state != "DONE" for job in jobs)
    finally:
        for job in jobs:
            bq_client.cancel_job(job.job_id)


def test_a_job_runs_then_is_done_with_statistics_and_its_result(
    bq_client: bigquery.Client,
) -> None:
    job = _insert(bq_client, SHORT_WORK_SQL)
    _until_running(bq_client, job.job_id)

    done = _until_done(bq_client, job.job_id)

    assert done.state == "DONE" and done.error_result is None
    assert done.created <= done.started <= done.ended
    assert [row["n"] for row in job.result()] == [
        row["n"] for row in bq_client.query(SHORT_WORK_SQL).result()
    ]


def test_a_failed_job_is_done_with_its_error(bq_client: bigquery.Client) -> None:
    job = _insert(bq_client, "SELECT ERROR('refused on purpose')")

    done = _until_done(bq_client, job.job_id)

    assert done.state == "DONE"
    assert done.error_result["reason"] == "invalidQuery"
    assert "refused on purpose" in done.error_result["message"]
    with pytest.raises(api_exceptions.BadRequest, match="refused on purpose"):
        job.result()


def test_every_other_request_is_answered_while_a_job_runs(
    bq_client: bigquery.Client, bq_dataset: str
) -> None:
    table = f"{bq_client.project}.{bq_dataset}.small"
    bq_client.query(f"CREATE TABLE `{table}` AS SELECT 1 AS id").result()
    endless = _insert(bq_client, ENDLESS_SQL)
    _until_running(bq_client, endless.job_id)
    try:
        assert bq_client.get_table(table).num_rows == 1
        assert bq_dataset in {d.dataset_id for d in bq_client.list_datasets()}
        other = _insert(bq_client, "SELECT 7 AS x")
        assert bq_client.get_job(other.job_id).state == "PENDING"  # queued behind the first
        # Everything above was answered while the first job still runs.
        assert bq_client.get_job(endless.job_id).state == "RUNNING"
    finally:
        bq_client.cancel_job(endless.job_id)
    assert [row["x"] for row in other.result()] == [7]


def test_a_duplicate_job_id_is_refused_and_runs_nothing(bq_client: bigquery.Client) -> None:
    job_id = _job_id()
    first = _insert(bq_client, "SELECT 1 AS x", job_id)
    assert [row["x"] for row in first.result()] == [1]

    with pytest.raises(api_exceptions.Conflict) as refused:
        _insert(bq_client, "SELECT 2 AS x", job_id)

    assert refused.value.errors[0]["reason"] == "duplicate"
    assert [row["x"] for row in _query_job(bq_client, job_id).result()] == [1]


def test_cancel_stops_a_running_job(bq_client: bigquery.Client) -> None:
    job = _insert(bq_client, ENDLESS_SQL)
    _until_running(bq_client, job.job_id)

    bq_client.cancel_job(job.job_id)

    done = _until_done(bq_client, job.job_id, timeout=30)
    assert done.state == "DONE"
    assert done.error_result["reason"] == "stopped"
    assert done.ended is not None


def test_cancel_stops_a_queued_job_before_it_runs(
    bq_client: bigquery.Client, bq_dataset: str
) -> None:
    table = f"{bq_client.project}.{bq_dataset}.never"
    endless = _insert(bq_client, ENDLESS_SQL)
    queued = _insert(bq_client, f"CREATE TABLE `{table}` AS SELECT 1 AS id")

    bq_client.cancel_job(queued.job_id)
    bq_client.cancel_job(endless.job_id)

    assert _until_done(bq_client, queued.job_id).error_result["reason"] == "stopped"
    assert _until_done(bq_client, endless.job_id).error_result["reason"] == "stopped"
    with pytest.raises(api_exceptions.NotFound):
        bq_client.get_table(table)


def test_a_script_lists_its_statements_as_child_jobs(bq_client: bigquery.Client) -> None:
    job = _insert(bq_client, "DECLARE x INT64 DEFAULT 1;\nSET x = x + 1;\nSELECT x AS x;")
    assert [row["x"] for row in job.result()] == [2]

    children = list(bq_client.list_jobs(parent_job=job.job_id))

    assert sorted(child.query for child in children) == [
        "DECLARE x INT64 DEFAULT 1",
        "SELECT x AS x",
        "SET x = x + 1",
    ]
    assert all(child.state == "DONE" and child.error_result is None for child in children)


# --- canaries: plain bqemulator still has the gaps the shim closes ---------------------


def test_bqemulator_still_runs_a_job_inside_its_insert(
    unshimmed_bigquery: bigquery.Client,
) -> None:
    """Fails on the day bqemulator answers jobs.insert before the job is done.

    Then check whether devstack/bq_async.py's worker is still needed.
    """
    job = _insert(unshimmed_bigquery, "SELECT 1 AS x")
    assert job.state == "DONE"


def test_bqemulator_still_runs_a_duplicate_job_id_again(
    unshimmed_bigquery: bigquery.Client,
) -> None:
    """Fails on the day bqemulator refuses an existing job id (BigQuery: 409 duplicate).

    Then delete the duplicate check of devstack/bq_async.insert_job.
    """
    job_id = _job_id()
    _insert(unshimmed_bigquery, "SELECT 1 AS x", job_id)
    _insert(unshimmed_bigquery, "SELECT 2 AS x", job_id)
    assert [row["x"] for row in _query_job(unshimmed_bigquery, job_id).result()] == [2]


def _cancel_while_running(client: bigquery.Client) -> Any | None:
    """Insert SHORT_WORK_SQL (plain bqemulator runs it inside the insert) and send a cancel
    once the insert is being served; the job, if the cancel was sent while it ran."""
    job_id = _job_id()
    running = threading.Thread(target=_insert, args=(client, SHORT_WORK_SQL, job_id))
    running.start()
    time.sleep(0.3)  # the insert is being served (not a bound: checked below)
    sent_at = None
    while running.is_alive() and sent_at is None:
        at = dt.datetime.now(dt.UTC)
        try:
            client.cancel_job(job_id)  # plain bqemulator answers it once the job is done
            sent_at = at
        except api_exceptions.NotFound:  # sent before the insert registered the job
            time.sleep(0.02)
    running.join()
    job = client.get_job(job_id)
    ran_meanwhile = sent_at is not None and job.started <= sent_at < job.ended
    return job if ran_meanwhile else None


def test_bqemulator_still_does_not_stop_a_cancelled_job(
    unshimmed_bigquery: bigquery.Client,
) -> None:
    """Fails on the day a cancel sent while a job runs stops it (errorResult stopped).

    Then delete devstack/bq_async.cancel_job. A cancel sent before the job started, or
    after it ended, tests nothing: the job's own times prove this one was sent in between.
    """
    for _ in range(3):
        if (job := _cancel_while_running(unshimmed_bigquery)) is not None:
            assert job.state == "DONE" and job.error_result is None
            return
    pytest.fail("no cancel was sent while the job ran: the canary tested nothing")


def test_bqemulator_still_lists_no_child_jobs(unshimmed_bigquery: bigquery.Client) -> None:
    """Fails on the day bqemulator lists a script's statements as child jobs.

    Then delete the child-job recording of devstack/bq_scripting.py.
    """
    job = _insert(unshimmed_bigquery, "SELECT 1 AS x;\nSELECT 2 AS y;")
    job.result()
    assert list(unshimmed_bigquery.list_jobs(parent_job=job.job_id)) == []
