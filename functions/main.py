"""Cloud Functions entry points: one source tree, one function per name below.

Each HTTP function serves its share of the routing table
(`workflows_api.http.routes.ROUTES`); all the work happens in the service layer.
"""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from workflows_api.http.dispatch import dispatch
from workflows_api.http.routes import API_ACCESS, EXECUTE, STATUS


@functions_framework.http
def api_access(request: Request) -> Response:
    """Workflow definitions and API access toggling."""
    return dispatch(request, API_ACCESS)


@functions_framework.http
def execute(request: Request) -> Response:
    """Start executions."""
    return dispatch(request, EXECUTE)


@functions_framework.http
def status(request: Request) -> Response:
    """Execution status, results and health."""
    return dispatch(request, STATUS)
