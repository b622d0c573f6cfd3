"""A stand-in for Cloud Scheduler (v1 REST) on loopback, firing jobs at their cron times.

There is no Cloud Scheduler emulator. This server answers the calls google-cloud-scheduler's
REST transport makes (jobs create, get, list, patch, delete, pause, resume, run: the
JSON shapes and the `{"error": {"code", "status", "message"}}` refusals the client maps
to NotFound, AlreadyExists, InvalidArgument...), and a thread fires every ENABLED job
as Cloud Scheduler does: at each time its unix-cron matches in its zone, an HTTP call to
its target with `X-CloudScheduler-ScheduleTime` (the time it fired for) and an OIDC ID
token of its service account for its audience, signed with a local key (devstack/
oidc_keys.py) whose certificates it serves at `<endpoint>/oauth2/v1/certs`: the stack
trusts them through WFAPI_OIDC_CERTS_URL, so execute verifies fires on its production
path. A fire answered 5xx (or not at all) is retried as its retryConfig says, with the
same scheduled time.

Test-only knobs: `minute_seconds` runs the cron on a faster clock (a cron minute lasts
that many real seconds; `WFAPI_LOCAL_SCHEDULER_MINUTE_SECONDS` in `make run`), and
`deliveries_per_fire` sends each fire that many times (at-least-once delivery).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import logging
import re
import threading
import time
import urllib.parse
import zoneinfo
from dataclasses import dataclass
from typing import Any

import requests
from cronsim import CronSim, CronSimError

from devstack.oidc_keys import Issuer

logger = logging.getLogger(__name__)

CERTS_PATH = "/oauth2/v1/certs"
MINUTE_SECONDS_VARIABLE = "WFAPI_LOCAL_SCHEDULER_MINUTE_SECONDS"
_JOBS = re.compile(r"^/v1/(projects/[^/]+/locations/[^/]+)/jobs$")
_JOB = re.compile(r"^/v1/(projects/[^/]+/locations/[^/]+/jobs/[A-Za-z0-9_-]{1,500})(:\w+)?$")
_CAMEL = re.compile(r"_([a-z])")


@dataclass(frozen=True)
class Attempt:
    job: str
    schedule_time: dt.datetime
    status: int  # 0: no answer


def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class CloudSchedulerStandIn:
    def __init__(
        self,
        issuer: Issuer | None = None,
        *,
        minute_seconds: float = 60.0,
        deliveries_per_fire: int = 1,
        port: int = 0,
    ) -> None:
        self.issuer = issuer or Issuer(key_id="local-scheduler")
        self.speed = 60.0 / minute_seconds  # virtual seconds per real second
        self.deliveries_per_fire = deliveries_per_fire
        self.jobs: dict[str, dict[str, Any]] = {}
        self.attempts: list[Attempt] = []
        self._next: dict[str, dt.datetime] = {}
        self._lock = threading.RLock()
        self._started_real = time.monotonic()
        self._started_at = dt.datetime.now(dt.UTC)
        self._stopping = threading.Event()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.certs_url = f"{self.endpoint}{CERTS_PATH}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        threading.Thread(target=self._clock, name="scheduler-clock", daemon=True).start()

    def now(self) -> dt.datetime:
        """The stand-in's clock (faster than the wall's with minute_seconds < 60)."""
        elapsed = (time.monotonic() - self._started_real) * self.speed
        return self._started_at + dt.timedelta(seconds=elapsed)

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def attempts_of(self, name: str) -> list[Attempt]:
        with self._lock:
            return [a for a in self.attempts if a.job == name]

    # --- the REST API ---------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, body: dict[str, Any]) -> tuple[int, Any]:
        if method == "GET" and path == CERTS_PATH:
            return 200, self.issuer.certs
        if match := _JOBS.fullmatch(path):
            if method == "POST":
                return self._create(match[1], body)
            if method == "GET":
                with self._lock:
                    jobs = [j for n, j in self.jobs.items() if n.startswith(f"{match[1]}/")]
                return 200, {"jobs": jobs}
        elif match := _JOB.fullmatch(path):
            name, verb = match[1], match[2]
            with self._lock:
                job = self.jobs.get(name)
                if job is None:
                    return _error(404, "NOT_FOUND", f"Job not found: {name}")
                if method == "GET" and verb is None:
                    return 200, job
                if method == "DELETE" and verb is None:
                    del self.jobs[name]
                    self._next.pop(name, None)
                    return 200, {}
                if method == "PATCH" and verb is None:
                    return self._patch(name, job, body, urllib.parse.parse_qs(query))
                if method == "POST" and verb in (":pause", ":resume"):
                    job["state"] = "PAUSED" if verb == ":pause" else "ENABLED"
                    self._schedule(name)
                    return 200, job
                if method == "POST" and verb == ":run":
                    at = self.now()
                    threading.Thread(target=self.fire, args=(name, at), daemon=True).start()
                    return 200, job
        return _error(404, "NOT_FOUND", f"{method} {path}")

    def _create(self, parent: str, job: dict[str, Any]) -> tuple[int, Any]:
        name = str(job.get("name", ""))
        if not name.startswith(f"{parent}/jobs/") or not _JOB.fullmatch(f"/v1/{name}"):
            return _error(400, "INVALID_ARGUMENT", f"Invalid job name {name!r}")
        refused = _invalid_schedule(job)
        if refused:
            return _error(400, "INVALID_ARGUMENT", refused)
        with self._lock:
            if name in self.jobs:
                return _error(409, "ALREADY_EXISTS", f"Job {name} already exists")
            self.jobs[name] = {**job, "state": "ENABLED", "userUpdateTime": rfc3339(self.now())}
            self._schedule(name)
            return 200, self.jobs[name]

    def _patch(
        self, name: str, job: dict[str, Any], body: dict[str, Any], query: dict[str, list[str]]
    ) -> tuple[int, Any]:
        mask = [p for m in query.get("updateMask", []) for p in m.split(",") if p]
        fields = [_CAMEL.sub(lambda m: m[1].upper(), p) for p in mask] or list(body)
        changed = {**job, **{f: body[f] for f in fields if f in body}}
        refused = _invalid_schedule(changed)
        if refused:
            return _error(400, "INVALID_ARGUMENT", refused)
        job.clear()
        job.update(changed, userUpdateTime=rfc3339(self.now()))
        self._schedule(name)
        return 200, job

    def _schedule(self, name: str) -> None:
        job = self.jobs[name]
        if job.get("state") != "ENABLED":
            self._next.pop(name, None)
            job.pop("scheduleTime", None)
            return
        zone = zoneinfo.ZoneInfo(job.get("timeZone") or "Etc/UTC")
        upcoming = next(CronSim(job["schedule"], self.now().astimezone(zone)))
        self._next[name] = upcoming.astimezone(dt.UTC)
        job["scheduleTime"] = rfc3339(self._next[name])

    # --- firing ---------------------------------------------------------------------

    def _clock(self) -> None:
        while not self._stopping.wait(0.05):
            now = self.now()
            with self._lock:
                due = [(n, at) for n, at in self._next.items() if at <= now]
                for name, _ in due:
                    self._schedule(name)
            for name, at in due:
                threading.Thread(target=self.fire, args=(name, at), daemon=True).start()

    def fire(self, name: str, schedule_time: dt.datetime) -> None:
        """One fire for `schedule_time`: delivered `deliveries_per_fire` times, each
        retried as the job's retryConfig says while it fails."""
        with self._lock:
            job = self.jobs.get(name)
            if job is None:
                return
            job = json.loads(json.dumps(job))
            job["lastAttemptTime"] = rfc3339(self.now())
        threads = [
            threading.Thread(target=self._deliver, args=(name, job, schedule_time), daemon=True)
            for _ in range(self.deliveries_per_fire)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _deliver(self, name: str, job: dict[str, Any], schedule_time: dt.datetime) -> None:
        retry = job.get("retryConfig") or {}
        backoff = _seconds(retry.get("minBackoffDuration"), 5.0)
        for attempt in range(int(retry.get("retryCount") or 0) + 1):
            status = self._call(name, job, schedule_time)
            with self._lock:
                self.attempts.append(Attempt(name, schedule_time, status))
            if 200 <= status < 300 or self._stopping.is_set():
                return
            logger.warning("fire of %s answered %s (attempt %d)", name, status, attempt + 1)
            self._stopping.wait(backoff / self.speed)
            backoff = min(backoff * 2, _seconds(retry.get("maxBackoffDuration"), 3600.0))

    def _call(self, name: str, job: dict[str, Any], schedule_time: dt.datetime) -> int:
        target = job["httpTarget"]
        oidc = target.get("oidcToken") or {}
        headers = {
            **(target.get("headers") or {}),
            "User-Agent": "Google-Cloud-Scheduler",
            "X-CloudScheduler": "true",
            "X-CloudScheduler-JobName": name.rsplit("/", 1)[-1],
            "X-CloudScheduler-ScheduleTime": rfc3339(schedule_time),
        }
        if oidc.get("serviceAccountEmail"):
            token = self.issuer.token(
                email=oidc["serviceAccountEmail"], audience=oidc.get("audience") or target["uri"]
            )
            headers["Authorization"] = f"Bearer {token}"
        try:
            answer = requests.post(
                target["uri"],
                data=base64.b64decode(target.get("body") or ""),
                headers=headers,
                timeout=_seconds(job.get("attemptDeadline"), 180.0),
            )
        except requests.RequestException:
            return 0
        return answer.status_code

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = None
                status, answer = (
                    standin.handle(self.command, path, query, body)
                    if isinstance(body, dict)
                    else _error(400, "INVALID_ARGUMENT", "body is not a JSON object")
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _invalid_schedule(job: dict[str, Any]) -> str | None:
    schedule = str(job.get("schedule", ""))
    if len(schedule.split()) != 5:
        return f"Invalid schedule {schedule!r}: unix-cron has five fields"
    try:
        zone = zoneinfo.ZoneInfo(job.get("timeZone") or "Etc/UTC")
        CronSim(schedule, dt.datetime.now(zone))
    except (CronSimError, zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        return f"Invalid schedule or time zone: {error}"
    if not (job.get("httpTarget") or {}).get("uri"):
        return "A job needs an httpTarget with a uri"
    return None


def _seconds(duration: Any, default: float) -> float:
    if isinstance(duration, str) and duration.endswith("s"):
        try:
            return float(duration[:-1])
        except ValueError:
            return default
    return default


def _error(code: int, status: str, message: str) -> tuple[int, dict[str, Any]]:
    return code, {"error": {"code": code, "status": status, "message": message}}


def local_invoker(project: str) -> str:
    return f"wfapi-sched-invoker@{project}.iam.gserviceaccount.com"


def scheduler_env(standin: CloudSchedulerStandIn, base_url: str, project: str) -> dict[str, str]:
    """What the functions need to make schedules on the stand-in, whose fires reach
    `base_url` (the dev router) with tokens it verifies against the stand-in's keys."""
    return {
        "WFAPI_SCHEDULER_ENDPOINT": standin.endpoint,
        "WFAPI_SCHEDULER_LOCATION": "local",
        "WFAPI_SCHEDULE_TARGET_URL": base_url,
        "WFAPI_SCHEDULE_INVOKER": local_invoker(project),
    }
