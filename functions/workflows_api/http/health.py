"""GET /healthz: is the service up, and do Firestore and BigQuery answer?"""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import get_app
from workflows_api.http.responses import json_response
from workflows_api.service.health import check_health


def healthz(request: Request) -> Response:
    report = check_health(get_app().health_probes())
    body = {
        "status": "ok" if report.ok else "degraded",
        "backends": {
            b.name: {
                "ok": b.ok,
                "latency_ms": b.latency_ms,
                **({"error": b.error} if b.error else {}),
            }
            for b in report.backends
        },
    }
    return json_response(body, 200 if report.ok else 503)
