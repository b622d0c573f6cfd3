"""Google-signed OIDC ID tokens (Cloud Scheduler's `oidc_token`), verified with
google-auth against Google's public certificates, which are cached.

google-auth checks the RS256 signature, `exp`/`iat` (with a small clock skew) and
`aud`; this adapter adds the issuer check and keeps the certificates for as long
as Google's `Cache-Control: max-age` allows (an hour when it says nothing), so a
request does not fetch them every time. A token naming an unknown key fetches them again
at most once a minute (Google rotates keys daily, so an unknown `kid` is mostly a forgery
that must not make every request call out), and tokens larger than any Google ID token
are refused before decoding.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from google.auth import exceptions as auth_exceptions
from google.auth import jwt

from workflows_api import logs
from workflows_api.service.errors import BackendUnavailable, InvalidIdToken

logger = logging.getLogger(__name__)

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
DEFAULT_CERTS_SECONDS = 3600.0
CLOCK_SKEW_SECONDS = 30
# Least time between two fetches caused by unknown key ids.
UNKNOWN_KEY_REFETCH_SECONDS = 60.0
# Google ID tokens are about 1 KiB; anything much larger is not one.
MAX_TOKEN_CHARS = 8192
_MAX_AGE = re.compile(r"max-age=(\d+)")

# (certificates by key id, seconds they may be kept)
CertsFetcher = Callable[[str], tuple[Mapping[str, str], float]]


def fetch_certs(url: str) -> tuple[Mapping[str, str], float]:
    response = requests.get(url, timeout=10)
    response.raise_for_status()
    match = _MAX_AGE.search(response.headers.get("Cache-Control", ""))
    return response.json(), float(match.group(1)) if match else DEFAULT_CERTS_SECONDS


class GoogleIdTokenVerifier:
    def __init__(
        self,
        audience: str,
        certs_url: str = GOOGLE_CERTS_URL,
        fetch: CertsFetcher = fetch_certs,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._audience = audience
        self._certs_url = certs_url
        self._fetch = fetch
        self._monotonic = monotonic
        self._certs: Mapping[str, str] = {}
        self._expires = 0.0
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def verify(self, token: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidIdToken(f"the token is longer than {MAX_TOKEN_CHARS} characters")
        try:
            claims = jwt.decode(
                token,
                certs=self._current_certs(_key_id(token)),
                audience=self._audience,
                clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
            )
        except (ValueError, auth_exceptions.GoogleAuthError) as error:
            raise _refusal(error) from None
        except RecursionError:  # a header or payload nested thousands deep
            raise InvalidIdToken("the token is nested too deeply") from None
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise InvalidIdToken(f"issuer {claims.get('iss')!r} is not Google")
        return dict(claims)

    def _current_certs(self, key_id: str | None) -> Mapping[str, str]:
        """The cached certificates; fetched again when stale, or when the token names a
        key they lack (Google rotates its keys)."""
        with self._lock:
            now = self._monotonic()
            if now >= self._expires or (key_id not in self._certs and self._may_refetch(now)):
                try:
                    self._certs, keep_seconds = self._fetch(self._certs_url)
                except (requests.RequestException, ValueError) as error:
                    raise BackendUnavailable("google certificates", str(error)) from None
                self._fetched_at = now
                self._expires = now + keep_seconds
            return self._certs

    def _may_refetch(self, now: float) -> bool:
        return self._fetched_at is None or now - self._fetched_at >= UNKNOWN_KEY_REFETCH_SECONDS


def _key_id(token: str) -> str | None:
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    except (ValueError, IndexError, RecursionError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


# google-auth's own text can quote the audience we expect (the deployment's URL), our
# key ids, or the token itself ("Wrong number of segments in token: b'...'"): a caller
# learns only which check failed, and the log only that and the exception's type.
_REASONS = (
    ("expired", "it has expired"),
    ("too early", "it is not valid yet"),
    ("audience", "it was issued for another audience"),
    ("signature", "its signature does not verify"),
)


def _refusal(error: Exception) -> InvalidIdToken:
    lowered = str(error).lower()
    reason = next((said for found, said in _REASONS if found in lowered), None)
    said = reason or "it cannot be decoded"
    logs.log(logger, logging.INFO, "ID token refused", reason=said, error=type(error).__name__)
    return InvalidIdToken(said)
