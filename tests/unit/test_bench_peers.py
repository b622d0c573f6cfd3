"""`make bench-peers`' counting and report lines (benchmarks/peers.py, prefect_peer.py):
what a burst of creations sent at once is summed up to, the ratio's direction, and the
retries of a 503 as Prefect's client makes them. No server is started."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from benchmarks import peers, prefect_peer


def answer(status: int, run_id: str | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    body = {"id": run_id} if run_id else {"exception_message": "Service Unavailable"}
    response._content = json.dumps(body).encode()
    return response


def test_a_burst_counts_accepted_answers_distinct_runs_and_errors_by_status() -> None:
    answers = [answer(201, "a"), answer(200, "a"), answer(503), answer(503), answer(409)]
    burst = peers.at_once(lambda _http, index: answers[index], len(answers))
    assert sorted(burst.statuses) == [200, 201, 409, 503, 503]
    assert (burst.accepted, burst.runs) == (2, {"a"})
    assert burst.errors == {503: 2, 409: 1}
    burst.wall = 0.1234
    assert burst.summary() == ("2/5 accepted, 1 distinct run, 3 errors (1x 409, 2x 503), 123 ms")


def test_a_burst_without_errors_says_so() -> None:
    burst = peers.Burst([202, 202], {"a", "b"}, 0.05)
    assert burst.summary() == "2/2 accepted, 2 distinct runs, 0 errors, 50 ms"


def test_the_ratio_is_ours_over_prefects_and_the_line_gives_the_median_round() -> None:
    pair = peers.Pair("reading a finished run", [0.004, 0.003, 0.005], [0.008, 0.006, 0.005])
    pair.their_retries = 1
    assert pair.ratios == pytest.approx([0.5, 0.5, 1.0])
    line = peers.pair_line(pair)
    assert line.startswith("reading a finished run")
    assert line.split()[4:8] == ["4.0", "6.0", "0.50x", "1"]
    assert line.endswith("ours 3.0-5.0, Prefect 5.0-8.0, ratio 0.50-1.00x")


def test_prefects_answers_of_sqlite_locked_are_retried_as_its_client_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(prefect_peer.time, "sleep", waits.append)
    prefect = prefect_peer.Prefect("http://prefect.invalid/api", "deployment")
    answers = iter([answer(503), answer(503), answer(201, "run")])
    assert prefect.retried(lambda: next(answers)).status_code == 201
    assert (prefect.retries, waits) == (2, [2, 4])


def test_prefect_lives_in_the_user_cache_outside_the_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    expected = tmp_path / "wfapi-bench-peers" / f"prefect-{prefect_peer.PREFECT_VERSION}"
    assert prefect_peer.venv_dir() == expected
    assert prefect_peer.PREFECT_VERSION == "3.9.1"
