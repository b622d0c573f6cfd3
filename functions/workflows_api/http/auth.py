"""The caller of a request: its bearer token, authenticated and checked for a grant."""

from __future__ import annotations

from flask import Request

from workflows_api.bootstrap import get_app
from workflows_api.domain.tokens import Caller, Grant
from workflows_api.http.requests import bearer_token
from workflows_api.service.auth import require


def caller(request: Request, grant: Grant, workflow_id: str | None = None) -> Caller:
    return authorized(bearer_token(request), grant, workflow_id)


def authorized(presented: str | None, grant: Grant, workflow_id: str | None = None) -> Caller:
    """The token for a presented `wfa_...` string, holding `grant`; for surfaces that
    find the token elsewhere than the Authorization header (CARTO's `access_token`)."""
    token = get_app().authenticator.authenticate(presented)
    require(token, grant, workflow_id)
    return token
