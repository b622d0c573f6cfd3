"""A stand-in for Secret Manager's REST API (v1), just the calls the adapter makes,
so the real client library's REST transport can be exercised on loopback.

There is no Secret Manager emulator; this server keeps secrets in memory and answers
like the API does (409 for an existing secret, 404 for a missing one, 501 for a route it
does not serve). It is held to the API's own shapes: every request body it is sent and
every body it answers parses strictly (no unknown field) as the google-cloud-secret-manager
message of that call, errors as google.rpc.Status; what does not is recorded in
`problems`, which the tests using it require empty (tests/integration/test_secret_manager.py,
which also checks it serves the routes of the library's REST transport).
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from typing import Any

from google.cloud import secretmanager


class SecretManagerStandIn:
    def __init__(self) -> None:
        self.secrets: dict[str, dict[str, Any]] = {}  # name -> {"labels", "versions": [b64]}
        self.problems: list[str] = []  # bodies that are not the API's shapes
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict[str, Any], shape: Any = None) -> None:
                standin.check(f"answer to {self.command} {self.path}", body, shape, status)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self, shape: Any) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                body: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
                standin.check(f"request {self.command} {self.path}", body, shape)
                return body

            def do_POST(self) -> None:
                path, _, query = self.path.partition("?")
                if match := re.fullmatch(r"/v1/(projects/[^/]+)/secrets", path):
                    secret_id = re.search(r"secretId=([^&]+)", query)
                    assert secret_id is not None
                    name = f"{match.group(1)}/secrets/{secret_id.group(1)}"
                    if name in standin.secrets:
                        return self._answer(409, _error(409, "ALREADY_EXISTS", name))
                    labels = self._body(secretmanager.Secret).get("labels", {})
                    standin.secrets[name] = {"labels": labels, "versions": []}
                    secret = {"name": name, "labels": labels}
                    return self._answer(200, secret, secretmanager.Secret)
                if match := re.fullmatch(r"/v1/(projects/[^/]+/secrets/[^/:]+):addVersion", path):
                    name = match.group(1)
                    if name not in standin.secrets:
                        return self._answer(404, _error(404, "NOT_FOUND", name))
                    versions = standin.secrets[name]["versions"]
                    body = self._body(secretmanager.AddSecretVersionRequest)
                    versions.append(body["payload"]["data"])
                    version = {"name": f"{name}/versions/{len(versions)}"}
                    return self._answer(200, version, secretmanager.SecretVersion)
                return self._answer(501, _error(501, "UNIMPLEMENTED", path))

            def do_GET(self) -> None:
                path = self.path.partition("?")[0]
                if match := re.fullmatch(r"/v1/(projects/[^/]+/secrets/[^/:]+)", path):
                    if (found := standin.secrets.get(match.group(1))) is None:
                        return self._answer(404, _error(404, "NOT_FOUND", path))
                    secret = {"name": match.group(1), "labels": found["labels"]}
                    return self._answer(200, secret, secretmanager.Secret)
                match = re.fullmatch(
                    r"/v1/(projects/[^/]+/secrets/[^/]+)/versions/([^/:]+):access", path
                )
                if match is None:
                    return self._answer(501, _error(501, "UNIMPLEMENTED", path))
                name, wanted = match.groups()
                versions = standin.secrets.get(name, {}).get("versions", [])
                number = len(versions) if wanted == "latest" else _number(wanted)
                if 1 <= number <= len(versions):  # "latest", or a version's number
                    payload = {"data": versions[number - 1]}
                    accessed = {"name": f"{name}/versions/{number}", "payload": payload}
                    return self._answer(200, accessed, secretmanager.AccessSecretVersionResponse)
                return self._answer(404, _error(404, "NOT_FOUND", path))

            def do_DELETE(self) -> None:
                path = self.path.partition("?")[0]
                if not re.fullmatch(r"/v1/projects/[^/]+/secrets/[^/:]+", path):
                    return self._answer(501, _error(501, "UNIMPLEMENTED", path))
                name = path.removeprefix("/v1/")
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

    def check(self, what: str, body: dict[str, Any], shape: Any, status: int = 200) -> None:
        """Note `body` unless it parses strictly as the message `shape` (a success) or
        as google.rpc.Status in the REST error envelope (an error)."""
        try:
            if status >= 400:
                error = body["error"]
                assert set(body) == {"error"} and set(error) <= {"code", "message", "status"}
                assert error["code"] == status and isinstance(error["message"], str)
            elif shape is not None:
                shape.from_json(json.dumps(body), ignore_unknown_fields=False)
        except Exception as wrong:
            self.problems.append(f"{what}: {type(wrong).__name__}: {wrong}")


def _error(code: int, status: str, what: str) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": f"{status}: {what}"}}


def _number(version: str) -> int:
    return int(version) if version.isdigit() else 0
