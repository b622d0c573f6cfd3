"""The service answers over HTTP and reports its backends."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_healthz_reports_both_backends_up(base_url: str) -> None:
    response = requests.get(f"{base_url}/healthz", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["backends"]["firestore"]["ok"] is True
    assert body["backends"]["bigquery"]["ok"] is True


def test_unknown_route_is_a_json_404(base_url: str) -> None:
    response = requests.get(f"{base_url}/v1/nothing-here", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "route_not_found"


def test_wrong_method_is_a_json_405_with_allow(base_url: str) -> None:
    response = requests.delete(f"{base_url}/healthz", timeout=10)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.json()["error"]["code"] == "method_not_allowed"
