"""The caller of a request: its bearer token, authenticated and checked for a grant."""

from __future__ import annotations

from flask import Request

from workflows_api.bootstrap import App
from workflows_api.domain.tokens import Caller, Grant
from workflows_api.http.requests import bearer_token
from workflows_api.service.auth import require


def caller(app: App, request: Request, grant: Grant, workflow_id: str | None = None) -> Caller:
    return authorized(app, bearer_token(request), grant, workflow_id)


def authorized(
    app: App, presented: str | None, grant: Grant, workflow_id: str | None = None
) -> Caller:
    """The token for a presented `wfa_...` string, holding `grant`; for surfaces that
    find the token elsewhere than the Authorization header (CARTO's `access_token`)."""
    token = app.authenticator.authenticate(presented)
    require(token, grant, workflow_id)
    return token
