"""The caller of a request: its bearer credential, authenticated and checked for a grant.

Where the credential is: the `Authorization` header, except behind API Gateway in
private access mode (`WFAPI_TRUST_FORWARDED_AUTHORIZATION=true`), where the gateway
puts its own ID token in `Authorization` (verified by Cloud Run before the function
runs) and moves the caller's header to `X-Forwarded-Authorization`: that one is the
caller's whenever present; without it (Cloud Scheduler calling execute directly)
`Authorization` is. Otherwise `X-Forwarded-Authorization` is ignored entirely, since
anyone can set it. The gateway's own account is never accepted as a caller (its
tokens are refused by the Authenticator, `WFAPI_GATEWAY_SERVICE_ACCOUNT`).
"""

from __future__ import annotations

from flask import Request

from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Caller, Grant
from workflows_api.http.request_parsing import bearer_token
from workflows_api.service.auth import require

FORWARDED_AUTHORIZATION = "X-Forwarded-Authorization"


def presented_credential(app: App, request: Request) -> str | None:
    """The caller's bearer credential, from the header the deployment says holds it."""
    if app.settings.trust_forwarded_authorization:
        forwarded = request.headers.get(FORWARDED_AUTHORIZATION)
        if forwarded is not None:
            # Never falls back to Authorization: that is the gateway's token here.
            scheme, _, value = forwarded.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return None
            return value.strip()
    return bearer_token(request)


def caller(app: App, request: Request, grant: Grant, workflow_id: str | None = None) -> Caller:
    return authorized(app, presented_credential(app, request), grant, workflow_id)


def authorized(
    app: App, presented: str | None, grant: Grant, workflow_id: str | None = None
) -> Caller:
    """The token for a presented `wfa_...` string, holding `grant`; for surfaces that
    find the token elsewhere than the Authorization header (CARTO's `access_token`)."""
    token = app.authenticator.authenticate(presented)
    require(token, grant, workflow_id)
    return token
