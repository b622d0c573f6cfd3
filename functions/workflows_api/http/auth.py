"""The caller of a request: its bearer token, authenticated and checked for a grant."""

from __future__ import annotations

from flask import Request

from workflows_api.bootstrap import get_app
from workflows_api.domain.tokens import Grant, Token
from workflows_api.http.requests import bearer_token
from workflows_api.service.auth import require


def caller(request: Request, grant: Grant, workflow_id: str | None = None) -> Token:
    token = get_app().authenticator.authenticate(bearer_token(request))
    require(token, grant, workflow_id)
    return token
