"""/healthz: up or down per backend, never an exception's text, probed at most once per
few seconds."""

from __future__ import annotations

import json
import logging

import pytest

from tests.support.apps import on_fakes
from tests.support.http_client import HttpClient
from workflows_api.http.tables import all_routes
from workflows_api.service.health import HEALTH_CACHE_SECONDS, HealthCheck, check_health

LEAKY = "dial tcp 10.128.0.7:443: project secret-project-42, token=abc"


def _broken() -> None:
    raise ConnectionError(LEAKY)


class _Counted:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def test_a_failing_probe_marks_its_backend_down_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        report = check_health({"firestore": lambda: None, "bigquery": _broken})
    assert not report.ok
    by_name = {b.name: b for b in report.backends}
    assert by_name["firestore"].ok and not by_name["bigquery"].ok
    logged = [getattr(r, "fields", {}) for r in caplog.records]
    assert any(f.get("backend") == "bigquery" and LEAKY in f.get("error", "") for f in logged)


def test_the_report_is_reused_for_a_few_seconds() -> None:
    now = [100.0]
    probe = _Counted()
    health = HealthCheck({"firestore": probe}, monotonic=lambda: now[0])

    first = health.report()
    now[0] += HEALTH_CACHE_SECONDS - 0.1
    assert health.report() is first
    assert probe.calls == 1

    now[0] += 0.2
    health.report()
    assert probe.calls == 2


def test_healthz_says_which_backend_is_down_without_the_exceptions_text() -> None:
    probe = _Counted()
    client = HttpClient(
        on_fakes(health_probes={"firestore": probe, "bigquery": _broken}), all_routes()
    )

    answer = client.call("GET", "/healthz")

    assert answer.status == 503
    assert answer.body["status"] == "degraded"
    assert answer.body["backends"]["firestore"]["ok"] is True
    assert answer.body["backends"]["bigquery"]["ok"] is False
    assert answer.body["backends"]["bigquery"]["error"] == "unavailable"
    text = json.dumps(answer.body)
    for leak in ("10.128", "secret-project", "token", "ConnectionError", "dial"):
        assert leak not in text

    again = client.call("GET", "/healthz")
    assert again.body == answer.body
    assert probe.calls == 1  # the second answer came from the cache


def test_healthz_is_ok_when_every_backend_answers() -> None:
    client = HttpClient(on_fakes(health_probes={"firestore": lambda: None}), all_routes())
    answer = client.call("GET", "/healthz")
    assert answer.status == 200
    assert answer.body["status"] == "ok"
    assert answer.body["backends"]["firestore"] == {
        "ok": True,
        "latency_ms": answer.body["backends"]["firestore"]["latency_ms"],
        "error": None,
    }
