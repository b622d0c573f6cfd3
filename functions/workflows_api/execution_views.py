"""Executions as the native API's JSON: plain data shaped like the native `Execution`
model (and the models it holds), and a dry run's cost estimate.

Neutral ground: the native handlers answer with these and `bootstrap.get_app` hands
`execution_view` to the webhooks as their payload, so it imports neither `http` nor
`bootstrap`. No pydantic here: status answers with these, and a cold status instance
should load no more than it serves; tests hold every view to its model."""

from __future__ import annotations

from typing import Any

from workflows_api.domain.execution.states import Execution
from workflows_api.domain.timestamps import iso_utc, optional_iso_utc
from workflows_api.service.execution_requests import CostEstimate


def execution_view(execution: Execution, *, cached: bool = False) -> dict[str, Any]:
    """`cached` is true on an execute answer served by an earlier request's execution
    (no new BigQuery job); every stored execution ran its own job, so status says false."""
    statistics = execution.statistics
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
        "cache_enabled": execution.cache_enabled,
        "bigquery_job_id": execution.bigquery_job_id,
        "error": execution.error.to_dict() if execution.error else None,
        "version": execution.version,
        "links": {"status": f"/v1/executions/{execution.id}"},
        "notifications": [
            {
                "url": d.url,
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
    }


def cost_estimate_view(estimate: CostEstimate) -> dict[str, Any]:
    return {
        "dry_run": True,
        "workflow_id": estimate.workflow_id,
        "parameters": estimate.parameters,
        "estimated_bytes_processed": estimate.bytes_processed,
        "maximum_bytes_billed": estimate.maximum_bytes_billed,
    }
