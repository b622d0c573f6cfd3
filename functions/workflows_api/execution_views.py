"""Executions as the native API's JSON: plain data shaped like the native `Execution`
model (and the models it holds), and a dry run's cost estimate.

Neutral ground: the native handlers answer with these and `bootstrap.get_app` hands
`execution_view` to the webhooks as their payload, so it imports neither `http` nor
`bootstrap`. No pydantic here: status answers with these, and a cold status instance
should load no more than it serves; tests hold every view to its model."""

from __future__ import annotations

import datetime as dt
from typing import Any

from workflows_api.domain.execution.delivery_attempts import receiver_host
from workflows_api.domain.execution.freshness import CacheMiss
from workflows_api.domain.execution.states import Execution
from workflows_api.domain.timestamps import iso_utc, optional_iso_utc
from workflows_api.service.execution_requests import CostEstimate


def execution_view(
    execution: Execution,
    *,
    cached: bool = False,
    cached_at: dt.datetime | None = None,
    cache_miss: CacheMiss | None = None,
) -> dict[str, Any]:
    """`cached` is true on an execute answer served by an earlier request's execution
    (no new BigQuery job); every stored execution ran its own job, so status says false.
    `cached_at` and `cache_miss` are an execute answer's (ExecuteResult)."""
    statistics = execution.statistics
    receivers: dict[str, int] = {}
    return {
        "id": execution.id,
        "workflow_id": execution.workflow_id,
        "state": execution.state.value,
        "created_at": iso_utc(execution.created_at),
        "started_at": optional_iso_utc(execution.started_at),
        "ended_at": optional_iso_utc(execution.ended_at),
        "parameters": execution.parameters,
        "output_table": execution.output_table,
        "cached": cached,
        "cached_at": optional_iso_utc(cached_at),
        "cache_miss": None if cache_miss is None else _cache_miss_view(cache_miss),
        "cache_enabled": execution.cache_enabled,
        "bigquery_job_id": execution.bigquery_job_id,
        "error": execution.error.to_dict() if execution.error else None,
        "version": execution.version,
        "links": {"status": f"/v1/executions/{execution.id}"},
        # A webhook URL's path or query is often its secret: readers of executions see
        # its host, and which of the execution's receivers it is (in the order first
        # attempted); the workflow's webhook settings show URLs to who may set them.
        "notifications": [
            {
                "webhook": receivers.setdefault(d.url, len(receivers)),
                "host": receiver_host(d.url),
                "attempt": d.attempt,
                "at": iso_utc(d.at),
                "state": d.state,
                "status_code": d.status_code,
                "error": d.error,
                "event_id": d.event_id,
                "dead_lettered": d.dead_lettered,
            }
            for d in execution.deliveries
        ],
        "statistics": None if statistics is None else statistics.to_dict(),
        "queue_reason": execution.queue_reason,
        "queue_position": execution.queue_position,
        "trigger": execution.trigger,
    }


def _cache_miss_view(miss: CacheMiss) -> dict[str, Any]:
    return {
        "reason": miss.reason,
        "source": miss.source,
        "changed_at": optional_iso_utc(miss.changed_at),
        "message": miss.message(),
    }


def cost_estimate_view(estimate: CostEstimate) -> dict[str, Any]:
    return {
        "dry_run": True,
        "workflow_id": estimate.workflow_id,
        "parameters": estimate.parameters,
        "estimated_bytes_processed": estimate.bytes_processed,
        "maximum_bytes_billed": estimate.maximum_bytes_billed,
    }
