"""GET /healthz: is the service up, and do Firestore and BigQuery answer?"""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.http import schemas
from workflows_api.http.responses import json_response
from workflows_api.service.health import check_health


def healthz(app: App, request: Request) -> Response:
    report = check_health(app.health_probes())
    body = schemas.Health(
        status="ok" if report.ok else "degraded",
        backends={
            b.name: schemas.BackendHealth(ok=b.ok, latency_ms=b.latency_ms, error=b.error)
            for b in report.backends
        },
    )
    return json_response(body.model_dump(mode="json"), 200 if report.ok else 503)
