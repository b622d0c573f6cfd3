"""A stand-in for Secret Manager's REST API (v1), just the calls the adapter makes,
so the real client library's REST transport can be exercised on loopback.

There is no Secret Manager emulator; this server keeps secrets in memory and answers
like the API does (409 for an existing secret, 404 for a missing one).
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from typing import Any


class SecretManagerStandIn:
    def __init__(self) -> None:
        self.secrets: dict[str, dict[str, Any]] = {}  # name -> {"labels", "versions": [b64]}
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def do_POST(self) -> None:
                path, _, query = self.path.partition("?")
                if match := re.fullmatch(r"/v1/(projects/[^/]+)/secrets", path):
                    secret_id = re.search(r"secretId=([^&]+)", query)
                    assert secret_id is not None
                    name = f"{match.group(1)}/secrets/{secret_id.group(1)}"
                    if name in standin.secrets:
                        return self._answer(409, _error(409, "ALREADY_EXISTS", name))
                    labels = self._body().get("labels", {})
                    standin.secrets[name] = {"labels": labels, "versions": []}
                    return self._answer(200, {"name": name, "labels": labels})
                if match := re.fullmatch(r"/v1/(projects/[^/]+/secrets/[^/:]+):addVersion", path):
                    name = match.group(1)
                    if name not in standin.secrets:
                        return self._answer(404, _error(404, "NOT_FOUND", name))
                    versions = standin.secrets[name]["versions"]
                    versions.append(self._body()["payload"]["data"])
                    return self._answer(200, {"name": f"{name}/versions/{len(versions)}"})
                return self._answer(404, _error(404, "NOT_FOUND", path))

            def do_GET(self) -> None:
                path = self.path.partition("?")[0]
                if match := re.fullmatch(r"/v1/(projects/[^/]+/secrets/[^/:]+)", path):
                    if (found := standin.secrets.get(match.group(1))) is None:
                        return self._answer(404, _error(404, "NOT_FOUND", path))
                    return self._answer(200, {"name": match.group(1), "labels": found["labels"]})
                match = re.fullmatch(
                    r"/v1/(projects/[^/]+/secrets/[^/]+)/versions/latest:access", path
                )
                if match and standin.secrets.get(match.group(1), {}).get("versions"):
                    name = match.group(1)
                    data = standin.secrets[name]["versions"][-1]
                    version = len(standin.secrets[name]["versions"])
                    return self._answer(
                        200, {"name": f"{name}/versions/{version}", "payload": {"data": data}}
                    )
                return self._answer(404, _error(404, "NOT_FOUND", path))

            def do_DELETE(self) -> None:
                name = self.path.partition("?")[0].removeprefix("/v1/")
                if standin.secrets.pop(name, None) is None:
                    return self._answer(404, _error(404, "NOT_FOUND", name))
                return self._answer(200, {})

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()


def _error(code: int, status: str, what: str) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": f"{status}: {what}"}}
