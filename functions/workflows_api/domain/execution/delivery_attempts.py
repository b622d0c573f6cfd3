"""What an execution records of its webhook deliveries' attempts, and what its readers
see of a receiver: its host, never the URL's path or query.

Every read of an execution may load this module; the webhooks themselves (a workflow's
URLs, signatures, which addresses a receiver may have: webhooks.py) load only on the
webhook paths (cold start).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class DeliveryAttempt:
    url: str
    attempt: int  # 1, 2, 3...
    at: dt.datetime
    state: str  # the execution state announced
    status_code: int | None  # the receiver's answer; None when none came
    error: str | None = None  # a reason code: `http_<status>`, `timeout`, `dns_failed`...
    event_id: str | None = None  # the delivery's event id (one per execution and URL)
    # The last attempt failed too: the delivery was given up on (dead-lettered).
    dead_lettered: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def receiver_host(url: str) -> str:
    """What a reader of executions is shown of a webhook URL: its host (and a port that
    is not 443), never the path or query, which are often the secret (Slack-style)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ""
    return host if port in (None, 443) else f"{host}:{port}"
