"""The Cloud Scheduler stand-in through google-cloud-scheduler: the very client calls the
adapter makes in production (REST transport, anonymous credentials, the stand-in's
endpoint), and fires as Cloud Scheduler makes them: at the cron's times, with
X-CloudScheduler-ScheduleTime and an OIDC ID token execute's verifier accepts, retried
with the same scheduled time while the target fails."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import scheduler_v1

from devstack.cloud_scheduler_standin import CloudSchedulerStandIn
from workflows_api.adapters.cloud_scheduler import CloudSchedulerJobs
from workflows_api.adapters.google_oidc import GoogleIdTokenVerifier
from workflows_api.domain.schedules import SchedulerJob
from workflows_api.service.errors import SchedulerRefused

pytestmark = pytest.mark.integration

PARENT = "projects/p/locations/local"
INVOKER = "invoker@p.iam.gserviceaccount.com"
AUDIENCE = "https://execute.test"


class Receiver:
    """Records each call; answers the statuses in `answers` first, then 200."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.calls.append(dict(self.headers))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/fire"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()


@pytest.fixture
def standin() -> Iterator[CloudSchedulerStandIn]:
    running = CloudSchedulerStandIn(minute_seconds=2)
    yield running
    running.stop()


def job(name: str, uri: str, cron: str = "* * * * *", paused: bool = False) -> SchedulerJob:
    return SchedulerJob(
        name=f"{PARENT}/jobs/{name}",
        cron=cron,
        time_zone="Europe/Madrid",
        description="test",
        uri=uri,
        invoker=INVOKER,
        audience=AUDIENCE,
        attempt_deadline_seconds=30,
        paused=paused,
    )


def wait_for(check: Any, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_adapters_calls_on_the_standin(standin: CloudSchedulerStandIn) -> None:
    jobs = CloudSchedulerJobs.connect(standin.endpoint)
    client = jobs._client
    spec = job("a", "http://127.0.0.1:9/x", paused=True)
    jobs.create_job(spec)
    made = client.get_job(name=spec.name)
    assert (made.schedule, made.time_zone, made.state) == (
        "* * * * *",
        "Europe/Madrid",
        scheduler_v1.Job.State.PAUSED,
    )
    assert made.http_target.oidc_token.service_account_email == INVOKER
    assert made.http_target.http_method == scheduler_v1.HttpMethod.POST
    assert made.attempt_deadline.total_seconds() == 30
    jobs.create_job(job("a", "http://127.0.0.1:9/x", cron="0 6 * * *"))  # exists: updated
    updated = client.get_job(name=spec.name)
    assert (updated.schedule, updated.state) == ("0 6 * * *", scheduler_v1.Job.State.ENABLED)
    assert updated.schedule_time is not None
    assert [j.name for j in client.list_jobs(parent=PARENT)] == [spec.name]
    assert jobs.job_exists(spec.name)
    jobs.delete_job(spec.name)
    jobs.delete_job(spec.name)  # a missing job counts as deleted
    assert not jobs.job_exists(spec.name)
    with pytest.raises(exceptions.NotFound):
        client.get_job(name=spec.name)
    with pytest.raises(SchedulerRefused):
        jobs.create_job(job("b", "http://127.0.0.1:9/x", cron="* * * *"))
    with pytest.raises(SchedulerRefused):
        jobs.update_job(job("missing", "http://127.0.0.1:9/x"))


def test_jobs_fire_at_their_cron_times_with_a_verifiable_token(
    standin: CloudSchedulerStandIn,
) -> None:
    receiver = Receiver()
    CloudSchedulerJobs.connect(standin.endpoint).create_job(job("tick", receiver.url))
    wait_for(lambda: len(receiver.calls) >= 2, seconds=10)  # a "minute" is 2 s here
    first, second = receiver.calls[:2]
    times = [dt.datetime.fromisoformat(c["X-CloudScheduler-ScheduleTime"]) for c in (first, second)]
    assert times[1] - times[0] == dt.timedelta(minutes=1)
    assert times[0].second == 0 and times[0].microsecond == 0  # on the cron's minute
    verifier = GoogleIdTokenVerifier(AUDIENCE, standin.certs_url)
    claims = verifier.verify(first["Authorization"].removeprefix("Bearer "))
    assert (claims["email"], claims["email_verified"]) == (INVOKER, True)
    assert first["X-CloudScheduler-JobName"] == "tick"


def test_run_fires_now_and_a_failed_fire_is_retried_for_the_same_time(
    standin: CloudSchedulerStandIn,
) -> None:
    receiver = Receiver()
    receiver.answers = [503]
    spec = job("once", receiver.url, cron="0 0 1 1 *", paused=True)
    jobs = CloudSchedulerJobs.connect(standin.endpoint)
    jobs.create_job(spec)
    jobs._client.run_job(name=spec.name)
    wait_for(lambda: len(receiver.calls) == 2, seconds=15)
    assert (
        receiver.calls[0]["X-CloudScheduler-ScheduleTime"]
        == (receiver.calls[1]["X-CloudScheduler-ScheduleTime"])
    )
    assert [a.status for a in standin.attempts_of(spec.name)] == [503, 200]
