"""Who is calling: bearer tokens checked against their stored hash, then grants.

A verified token is cached in-process for `TOKEN_CACHE_SECONDS` (default 10 s,
`WFAPI_TOKEN_CACHE_SECONDS`): a revocation takes effect on every instance within
that time. Only tokens that verified are cached, keyed by their id, holding the
stored hash (never the secret).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from workflows_api.domain.tokens import Grant, Token, secret_matches, split_token
from workflows_api.service.errors import ServiceError
from workflows_api.service.ports import TokenStore


class Authenticator:
    def __init__(
        self,
        tokens: TokenStore,
        clock: Callable[[], dt.datetime],
        cache_seconds: float = 10.0,
    ) -> None:
        self._tokens = tokens
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Token]] = {}
        self._lock = threading.Lock()

    def authenticate(self, presented: str | None) -> Token:
        """The active token for the presented `wfa_...` string; 401 otherwise."""
        if not presented:
            raise _unauthenticated("missing_token", "An API token is required.")
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


def require(token: Token, grant: Grant, workflow_id: str | None = None) -> None:
    """403 unless the token holds `grant` (and may touch `workflow_id`, when given)."""
    if grant not in token.grants:
        raise ServiceError(
            "forbidden", "missing_grant", f"The token lacks the {grant.value} grant.", "grants"
        )
    if workflow_id is not None and not token.allows_workflow(workflow_id):
        raise ServiceError(
            "forbidden",
            "workflow_not_allowed",
            f"The token is limited to other workflows than {workflow_id!r}.",
            "workflow_id",
        )


def _unauthenticated(code: str, message: str) -> ServiceError:
    return ServiceError("unauthenticated", code, message, "Authorization")
