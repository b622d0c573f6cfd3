"""GET /healthz: is the service up, and do Firestore and BigQuery answer?"""

from __future__ import annotations

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.http.responses import json_response


def healthz(app: App, request: Request) -> Response:
    """Up/down per backend (a probe at most every few seconds); why a backend is down
    is in the log, never in the body."""
    report = app.health.report()
    body = {  # models.Health
        "status": "ok" if report.ok else "degraded",
        "backends": {
            b.name: {
                "ok": b.ok,
                "latency_ms": b.latency_ms,
                "error": None if b.ok else "unavailable",
            }
            for b in report.backends
        },
    }
    return json_response(body, 200 if report.ok else 503)
