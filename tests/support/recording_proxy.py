"""A loopback HTTP proxy in front of the BigQuery emulator that records every request
(path, Authorization header, request and answer bodies): tests see which credentials
each BigQuery call carried."""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    authorization: str | None
    body: str
    answer: str


class RecordingProxy:
    """Forwards every request to `upstream` ("host:port") and records it in `seen`."""

    def __init__(self, upstream: str) -> None:
        self.seen: list[Recorded] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = requests.request(
                    self.command, f"http://{upstream}{self.path}", data=body,
                    headers=headers, timeout=120,
                )  # fmt: skip
                proxy.record(
                    Recorded(
                        self.command,
                        self.path,
                        self.headers.get("Authorization"),
                        (body or b"").decode(errors="replace"),
                        answer.content.decode(errors="replace"),
                    )
                )
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in (
                        "content-length", "transfer-encoding", "connection", "content-encoding",
                    ):  # fmt: skip
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def record(self, request: Recorded) -> None:
        with self._lock:
            self.seen.append(request)

    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self.seen)

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
