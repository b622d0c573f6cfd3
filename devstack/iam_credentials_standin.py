"""A stand-in for the IAM Credentials API's `generateAccessToken` (v1), so that
google-auth's impersonated credentials run for real on loopback (`make run`, tests).

There is no IAM emulator; this server issues a distinct opaque token per call and
remembers which service account each token stands for (`account_of`; over HTTP,
`GET /v1/tokeninfo?access_token=...` answers `{"email": account}` as Google's
tokeninfo does). Accounts not in `accounts` are refused as the API refuses a caller
without Token Creator on them (403 PERMISSION_DENIED). `python -m
devstack.iam_credentials_standin --account A --account B` serves it alone and prints
its endpoint.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import json
import re
import secrets
import threading
import urllib.parse
from collections.abc import Iterable
from typing import Any

# The orgs the local stack provisions (devstack.demo), each running as its own service
# account: the only ones the stand-in lets the runtime impersonate.
LOCAL_ORGS = ("demo", "other")


def local_service_account(org: str, project: str) -> str:
    return f"wfapi-{org}@{project}.iam.gserviceaccount.com"


def local_service_accounts(project: str) -> list[str]:
    return [local_service_account(org, project) for org in LOCAL_ORGS]


_PATH = re.compile(r"/v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken")


class IamCredentialsStandIn:
    def __init__(self, accounts: Iterable[str], port: int = 0) -> None:
        self.accounts = set(accounts)
        self.issued: dict[str, str] = {}  # token -> service account
        self.requests: list[dict[str, Any]] = []  # {"account", "body", "authorization"}
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                match = _PATH.fullmatch(self.path.partition("?")[0])
                account = match.group(1) if match else None
                standin.requests.append(
                    {
                        "account": account,
                        "body": body,
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                if account is None:
                    return self._answer(404, _error(404, "NOT_FOUND", self.path))
                if not (self.headers.get("Authorization") or "").startswith("Bearer "):
                    return self._answer(401, _error(401, "UNAUTHENTICATED", "no caller"))
                if account not in standin.accounts:
                    return self._answer(403, _error(403, "PERMISSION_DENIED", account))
                self._answer(200, standin.issue(account, body.get("lifetime", "3600s")))

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path != "/v1/tokeninfo":
                    return self._answer(404, _error(404, "NOT_FOUND", path))
                token = urllib.parse.parse_qs(query).get("access_token", [""])[0]
                account = standin.account_of(f"Bearer {token}")
                if account is None:
                    return self._answer(400, {"error": "invalid_token"})
                self._answer(200, {"email": account})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._lock = threading.Lock()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def issue(self, account: str, lifetime: str) -> dict[str, str]:
        token = f"standin.{secrets.token_urlsafe(24)}"
        with self._lock:
            self.issued[token] = account
        seconds = int(lifetime.rstrip("s") or 3600)
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
        return {"accessToken": token, "expireTime": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}

    def account_of(self, authorization: str | None) -> str | None:
        """The account a `Bearer <token>` header was issued for, or None."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        with self._lock:
            return self.issued.get(authorization.removeprefix("Bearer "))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _error(code: int, status: str, what: str) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": f"{status}: {what}"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account", action="append", default=[], dest="accounts")
    arguments = parser.parse_args()
    standin = IamCredentialsStandIn(arguments.accounts, arguments.port)
    print(standin.endpoint, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
