"""Who is calling: an API token, or a Google-signed OIDC ID token of a registered
principal (Cloud Scheduler); then whether it holds the grant.

API tokens (`wfa_...`) are checked against their stored hash. A verified token is
cached in-process for `WFAPI_TOKEN_CACHE_SECONDS` (default 10 s): a revocation takes
effect on every instance within that time. Only tokens that verified are cached,
keyed by their id, holding the stored hash (never the secret).

Anything else that looks like a JWT is verified as a Google ID token (signature,
audience, issuer, expiry); its `email` must be a registered principal, whose org
and grants it then acts with. The accounts in `refused_accounts` (API Gateway's own:
in private mode its ID token reaches the functions in Authorization) never act as a
caller, registered or not.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from workflows_api.domain.access.tokens import (
    TOKEN_PREFIX,
    Caller,
    Grant,
    Token,
    secret_matches,
    split_token,
)
from workflows_api.service.errors import InvalidIdToken, ServiceError
from workflows_api.service.ports import IdTokenVerifier, PrincipalStore, TokenStore


class Authenticator:
    def __init__(
        self,
        *,
        tokens: TokenStore,
        clock: Callable[[], dt.datetime],
        cache_seconds: float = 10.0,
        principals: PrincipalStore | None = None,
        id_tokens: IdTokenVerifier | None = None,
        refused_accounts: frozenset[str] = frozenset(),
    ) -> None:
        self._tokens = tokens
        self._refused_accounts = frozenset(email.lower() for email in refused_accounts)
        self._principals = principals
        self._id_tokens = id_tokens
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Token]] = {}
        self._lock = threading.Lock()

    def authenticate(self, presented: str | None) -> Caller:
        """The caller behind a presented token; 401 (or 403 for an unknown principal)."""
        if not presented:
            raise _unauthenticated("missing_token", "An API token is required.")
        if presented.count(".") == 2 and not presented.startswith(TOKEN_PREFIX):
            return self._principal(presented)
        return self._api_token(presented).as_caller()

    def _principal(self, id_token: str) -> Caller:
        if self._id_tokens is None or self._principals is None:
            raise _unauthenticated("invalid_token", "OIDC ID tokens are not accepted here.")
        try:
            claims = self._id_tokens.verify(id_token)
        except InvalidIdToken as invalid:
            raise _unauthenticated(
                "invalid_token", f"The ID token is not valid: {invalid}"
            ) from None
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is not True:
            raise _unauthenticated("invalid_token", "The ID token carries no verified email.")
        if email.lower() in self._refused_accounts:
            raise _unauthenticated(
                "invalid_token", "The ID token is the gateway's own, not a caller's credential."
            )
        principal = self._principals.get_principal(email)
        if principal is None:
            raise ServiceError(
                "forbidden",
                "unknown_principal",
                f"{email} is not a registered principal of any organization.",
                "Authorization",
            )
        return principal.as_caller()

    def _api_token(self, presented: str) -> Token:
        parts = split_token(presented)
        if parts is None:
            raise _unauthenticated("invalid_token", "The API token is malformed.")
        token_id, secret = parts
        token = self._lookup(token_id)
        if token is None or not secret_matches(token, secret):
            raise _unauthenticated("invalid_token", "The API token is not valid.")
        if not token.is_active(self._clock()):
            raise _unauthenticated("invalid_token", "The API token is revoked or expired.")
        return token

    def _lookup(self, token_id: str) -> Token | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(token_id)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        token = self._tokens.get_token(token_id)
        if token is not None and self._cache_seconds > 0:
            with self._lock:
                self._cache[token_id] = (now, token)
        return token


def require(caller: Caller, grant: Grant, workflow_id: str | None = None) -> None:
    """403 unless the caller holds `grant` (and may touch `workflow_id`, when given)."""
    if grant not in caller.grants:
        raise ServiceError(
            "forbidden", "missing_grant", f"The token lacks the {grant.value} grant.", "grants"
        )
    if workflow_id is not None and not caller.allows_workflow(workflow_id):
        raise ServiceError(
            "forbidden",
            "workflow_not_allowed",
            f"The token is limited to other workflows than {workflow_id!r}.",
            "workflow_id",
        )


def _unauthenticated(code: str, message: str) -> ServiceError:
    return ServiceError("unauthenticated", code, message, "Authorization")
