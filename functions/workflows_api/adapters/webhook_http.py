"""Webhook deliveries over HTTPS with `requests`: one POST, no redirects, a short timeout."""

from __future__ import annotations

import requests

from workflows_api.service.ports import WebhookSendError

# Receivers should answer at once and work later; the delivery waits no longer.
TIMEOUT_SECONDS = 5.0


class HttpWebhookSender:
    def __init__(self, timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        self._session = requests.Session()
        self._timeout = timeout_seconds

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            response = self._session.post(
                url, data=body, headers=headers, timeout=self._timeout, allow_redirects=False
            )
        except requests.RequestException as error:
            raise WebhookSendError(f"{type(error).__name__}: {error}") from None
        return response.status_code
