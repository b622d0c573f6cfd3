"""A stand-in for Google's token issuer: an RSA key, its certificate, signed ID tokens,
and a tiny HTTP server publishing the certificate as Google does (kid -> PEM)."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt


class Issuer:
    def __init__(self, key_id: str = "test-key-1") -> None:
        self.key_id = key_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test issuer")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(self._key, hashes.SHA256())
        )
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def certs(self) -> dict[str, str]:
        return {self.key_id: self.certificate_pem}

    def token(
        self,
        *,
        email: str,
        audience: str,
        issuer: str = "https://accounts.google.com",
        lifetime: int = 3600,
        issued_ago: int = 0,
        email_verified: bool = True,
    ) -> str:
        now = int(time.time()) - issued_ago
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "sub": "1234567890",
            "email": email,
            "email_verified": email_verified,
            "iat": now,
            "exp": now + lifetime,
        }
        signer = crypt.RSASigner.from_string(self.private_pem, key_id=self.key_id)
        return jwt.encode(signer, claims).decode()


class CertsServer:
    """Serves `issuer.certs` at http://127.0.0.1:<port>/certs until stopped."""

    def __init__(self, issuer: Issuer) -> None:
        body = json.dumps(issuer.certs).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=3600")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/certs"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
