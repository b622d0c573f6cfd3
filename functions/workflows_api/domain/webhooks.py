"""Webhook signatures and delivery records.

Each delivery carries `Workflows-Signature: t=<unix seconds>,v1=<hex>` where the hex is
HMAC-SHA256, keyed with the workflow's signing secret, over `<t>.<raw body>`. A
receiver recomputes it and checks `t` is recent (replays of old deliveries fail).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

SIGNATURE_HEADER = "Workflows-Signature"
EVENT_HEADER = "Workflows-Event"
DELIVERY_HEADER = "Workflows-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300
MAX_URLS = 10


@dataclass(frozen=True)
class WebhookConfig:
    org: str
    workflow_id: str
    urls: tuple[str, ...]
    updated_at: dt.datetime


@dataclass(frozen=True)
class DeliveryAttempt:
    url: str
    attempt: int  # 1, 2, 3...
    at: dt.datetime
    state: str  # the execution state announced
    status_code: int | None  # the receiver's answer; None when none came
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def new_signing_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Workflows-Signature` header value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    now: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver runs: the signature matches and is recent."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def url_problem(url: str, allow_http: bool) -> str | None:
    """Why `url` cannot receive webhooks, or None. HTTPS only, unless `allow_http`
    (the local stack and tests post to loopback receivers)."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        return f"expected a {' or '.join(schemes)} URL, got {url[:100]!r}"
    if not parts.hostname:
        return f"the URL has no host: {url[:100]!r}"
    if parts.username or parts.password:
        return "the URL must not carry credentials"
    return None
