"""HttpWebhookSender against loopback receivers: checked addresses only, the checked
address is the one connected to, TLS still verifies the host name, redirects are not
followed, and a trickling receiver is cut off at the attempt's total deadline."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from workflows_api.adapters.webhook_http import HttpWebhookSender
from workflows_api.service.errors import WebhookSendError
from workflows_api.service.ports import WebhookSender

pytestmark = pytest.mark.integration


class Receiver:
    """A loopback HTTP(S) receiver that records requests and answers `status`."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.server_names: list[str | None] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"host": self.headers["Host"], "body": body})
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def serve_tls(self, cert: Path, key: Path) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)

    def start(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def resolver_to(addresses: list[str], calls: list[str] | None = None):
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        return addresses

    return resolve


def loopback_sender(**kwargs: Any) -> HttpWebhookSender:
    return HttpWebhookSender(allow_http=True, allow_loopback=True, **kwargs)


def test_the_sender_satisfies_the_port() -> None:
    sender: WebhookSender = HttpWebhookSender()
    assert callable(sender.send)


def test_a_name_resolving_to_loopback_is_refused_without_a_connection(receiver: Receiver) -> None:
    sender = HttpWebhookSender(allow_http=True, resolver=resolver_to(["127.0.0.1"]))
    with pytest.raises(WebhookSendError) as failed:
        sender.send(f"http://hooks.example.com:{receiver.port}/x", b"{}", {})
    assert str(failed.value) == "address_not_allowed"
    assert receiver.requests == []


@pytest.mark.parametrize(
    "addresses",
    [
        ["93.184.216.34", "10.0.0.1"],
        ["169.254.169.254"],
        ["::ffff:127.0.0.1"],
        ["fd00::1"],
        ["100.64.0.1"],
    ],
)
def test_any_internal_address_among_the_answers_refuses(addresses: list[str]) -> None:
    sender = HttpWebhookSender(resolver=resolver_to(addresses))
    with pytest.raises(WebhookSendError) as failed:
        sender.send("https://hooks.example.com/x", b"{}", {})
    assert str(failed.value) == "address_not_allowed"


@pytest.mark.parametrize(
    "url",
    ["https://169.254.169.254/", "https://metadata.google.internal/", "http://2130706433/"],
)
def test_urls_refused_before_any_lookup(url: str) -> None:
    calls: list[str] = []
    sender = HttpWebhookSender(resolver=resolver_to(["93.184.216.34"], calls))
    with pytest.raises(WebhookSendError) as failed:
        sender.send(url, b"{}", {})
    assert str(failed.value) == "url_not_allowed"
    assert calls == []


def test_connects_to_the_checked_address_and_names_the_host(receiver: Receiver) -> None:
    calls: list[str] = []
    sender = loopback_sender(resolver=resolver_to(["127.0.0.1"], calls))
    status = sender.send(f"http://receiver.test:{receiver.port}/hook?a=1", b'{"x":1}', {})
    assert status == 200
    assert calls == ["receiver.test"]  # resolved once: no second lookup to rebind
    assert receiver.requests == [{"host": f"receiver.test:{receiver.port}", "body": b'{"x":1}'}]


def test_a_failed_lookup_has_a_reason_code() -> None:
    def broken(host: str, port: int) -> list[str]:
        raise socket.gaierror("no such name")

    with pytest.raises(WebhookSendError) as failed:
        loopback_sender(resolver=broken).send("https://nowhere.test/", b"", {})
    assert str(failed.value) == "dns_failed"


def test_a_closed_port_has_a_reason_code() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(WebhookSendError) as failed:
        loopback_sender().send(f"http://127.0.0.1:{port}/", b"", {})
    assert str(failed.value) == "connection_failed"


def test_redirects_are_not_followed() -> None:
    target = Receiver().start()
    redirecting = Receiver(302, {"Location": f"http://127.0.0.1:{target.port}/"}).start()
    try:
        status = loopback_sender().send(f"http://127.0.0.1:{redirecting.port}/", b"{}", {})
    finally:
        redirecting.stop()
        target.stop()
    assert status == 302
    assert len(redirecting.requests) == 1
    assert target.requests == []


def _certificate(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_keeps_sni_and_verifies_the_certificate_against_the_host(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path, "receiver.test")
    receiver = Receiver()
    receiver.serve_tls(cert, key)
    receiver.start()
    trusting = ssl.create_default_context(cafile=str(cert))
    sender = loopback_sender(resolver=resolver_to(["127.0.0.1"]), tls=trusting)
    try:
        assert sender.send(f"https://receiver.test:{receiver.port}/", b"{}", {}) == 200
        with pytest.raises(WebhookSendError) as failed:
            sender.send(f"https://impostor.test:{receiver.port}/", b"{}", {})
    finally:
        receiver.stop()
    assert receiver.server_names == ["receiver.test", "impostor.test"]
    assert str(failed.value) == "tls_failed"
    assert len(receiver.requests) == 1


class Trickler(socketserver.ThreadingTCPServer):
    """Answers one byte every `pause` seconds, forever (until the client goes)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, headers_first: bool, pause: float = 0.1) -> None:
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.recv(65536)
                head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
                try:
                    if headers_first:
                        self.request.sendall(head)
                        head = b"x" * 100000
                    for byte in head:
                        if server.stopped.is_set():
                            return
                        self.request.sendall(bytes([byte]))
                        time.sleep(pause)
                except OSError:
                    server.client_left.set()

        self.stopped = threading.Event()
        self.client_left = threading.Event()
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        self.shutdown()
        self.server_close()


@pytest.mark.parametrize("headers_first", [True, False], ids=["trickled_body", "trickled_head"])
def test_a_trickling_receiver_is_cut_at_the_total_deadline(headers_first: bool) -> None:
    trickler = Trickler(headers_first)
    sender = loopback_sender(timeout_seconds=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(WebhookSendError) as failed:
            sender.send(f"http://127.0.0.1:{trickler.server_address[1]}/", b"{}", {})
        elapsed = time.monotonic() - started
        assert trickler.client_left.wait(5)  # the connection was closed, not left open
    finally:
        trickler.stop()
    assert str(failed.value) == "timeout"
    # The issue asks for a total bound: each byte comes within the per-read timeout,
    # so only a whole-attempt deadline ends this before the receiver does (~10,000 s).
    # Fault bound (issue 29): the deadline is 1 s; 4 s (4x) allows a loaded CI.
    assert elapsed < 4.0
