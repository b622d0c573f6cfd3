"""Webhook deliveries that cannot reach inside: one POST per attempt, to an address
that was checked.

The host is resolved once (an injectable resolver, for tests); every address it
resolves to must be public (`domain.webhooks.address_problem`), and the connection
goes to that checked address, so a second lookup cannot answer differently (DNS
rebinding). For HTTPS the TLS handshake still names the host (SNI) and the certificate
is verified against it. Redirects are never followed (http.client does not). The whole
attempt (lookup, connect, handshake, request, answer and body) has one deadline: a
timer shuts the socket down when it passes, so a receiver trickling bytes is cut off.

A failed attempt raises WebhookSendError whose message is a reason code only
(`url_not_allowed`, `address_not_allowed`, `dns_failed`, `timeout`, `tls_failed`,
`connection_failed`), never exception text; the caller records `http_<status>` for
an answer that is not 2xx.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import certifi

from workflows_api.domain.execution.webhooks import address_problem, url_problem
from workflows_api.service.errors import WebhookSendError

# Receivers should answer at once and work later; the delivery waits no longer.
TIMEOUT_SECONDS = 5.0
MAX_BODY_BYTES = 64 * 1024  # the answer's body is read (to finish the exchange), not kept

Resolver = Callable[[str, int], list[str]]
_LOOKUPS = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _Deadline:
    """One deadline for a whole attempt; shuts guarded sockets down when it passes."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise WebhookSendError("timeout")
        return left

    def guard(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _PinnedConnection(http.client.HTTPSConnection):
    """HTTP(S) to `address` while naming `host` in the Host header, SNI and the
    certificate check; the socket is handed to the deadline before the handshake."""

    def __init__(
        self, host: str, port: int, address: str, deadline: _Deadline, tls: ssl.SSLContext | None
    ) -> None:
        super().__init__(host, port, timeout=deadline.remaining())
        self._address = address
        self._deadline = deadline
        self._tls = tls

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self._deadline.remaining())
        self._deadline.guard(sock)
        if self._tls is None:
            self.sock = sock
            return
        # Wrapping detaches `sock`: the TLS socket is guarded before its handshake.
        wrapped = self._tls.wrap_socket(
            sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        self._deadline.guard(wrapped)
        wrapped.do_handshake()
        self.sock = wrapped


class HttpWebhookSender:
    def __init__(
        self,
        timeout_seconds: float = TIMEOUT_SECONDS,
        *,
        allow_http: bool = False,
        allow_loopback: bool = False,
        resolver: Resolver = system_resolver,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._timeout = timeout_seconds
        self._allow_http = allow_http
        self._allow_loopback = allow_loopback
        self._resolver = resolver
        self._tls = tls or ssl.create_default_context(cafile=certifi.where())

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        if url_problem(url, self._allow_http, allow_loopback=self._allow_loopback):
            raise WebhookSendError("url_not_allowed")
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        deadline = _Deadline(self._timeout)
        try:
            addresses = self._checked_addresses(host, port, deadline)
            tls = self._tls if parts.scheme == "https" else None
            return self._post(host, port, addresses[0], tls, path, body, headers, deadline)
        finally:
            deadline.cancel()

    def _checked_addresses(self, host: str, port: int, deadline: _Deadline) -> list[str]:
        lookup = _LOOKUPS.submit(self._resolver, host, port)
        try:
            addresses = lookup.result(timeout=deadline.remaining())
        except concurrent.futures.TimeoutError:
            raise WebhookSendError("timeout") from None
        except OSError:
            raise WebhookSendError("dns_failed") from None
        if not addresses:
            raise WebhookSendError("dns_failed")
        for address in addresses:
            parsed = ipaddress.ip_address(address.split("%", 1)[0])
            if address_problem(parsed, allow_loopback=self._allow_loopback):
                raise WebhookSendError("address_not_allowed")
        return addresses

    def _post(
        self,
        host: str,
        port: int,
        address: str,
        tls: ssl.SSLContext | None,
        path: str,
        body: bytes,
        headers: dict[str, str],
        deadline: _Deadline,
    ) -> int:
        # Eight arguments: the parts of one request, kept apart so none is re-parsed.
        connection = _PinnedConnection(host, port, address, deadline, tls)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            received = 0
            while chunk := response.read(min(8192, MAX_BODY_BYTES - received)):
                received += len(chunk)
                if received >= MAX_BODY_BYTES:
                    break
            if deadline.expired:
                raise WebhookSendError("timeout")
            return response.status
        except WebhookSendError:
            raise
        except ssl.SSLError:
            raise WebhookSendError("timeout" if deadline.expired else "tls_failed") from None
        except (OSError, http.client.HTTPException, ValueError):
            raise WebhookSendError("timeout" if deadline.expired else "connection_failed") from None
        finally:
            connection.close()
