"""`make bench`'s latencies, each beside its floor, measured warm and interleaved.

An operation's floor is what it cannot avoid: the HTTP round trip of a request that
touches no backend (a 401: no token) plus the cheapest backend calls it must make
(execute with new parameters: one Firestore create and one jobs.insert; status and an
idempotent replay: one Firestore read; a cache hit: one Firestore read and one tables.get
of its source, the freshness check). Every operation and its floor get the same warm-up,
then are timed alternately (operation, floor, operation, floor...), so a machine that
gets busier or quieter mid-run moves both. Jobs an operation starts are cancelled, and
waited for, outside the timing, so no job runs on the local BigQuery while the next call
is timed. The whole measurement runs ROUNDS times; the report gives each round's p50 and
the spread (lowest and highest p50) over the rounds.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from benchmarks.local_stack import Bench
from devstack.demo import SEED_VALUES, WORKFLOW_ID

ROUNDS = 3
RUNS = 30  # timed pairs per operation and round
NEW_RUNS = 15  # execute with new parameters: each starts (and cancels) a job
WARM_UP = 5


@dataclass
class Row:
    operation: str
    floor: str
    p50s: list[float]  # per round, seconds
    floor_p50s: list[float]
    p95s: list[float]

    @property
    def ratios(self) -> list[float]:
        return [op / floor for op, floor in zip(self.p50s, self.floor_p50s, strict=True)]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def interleaved(
    operation: Callable[[], object],
    floor: list[Callable[[], object]],
    runs: int,
    after: Callable[[], object] | None = None,
) -> tuple[list[float], list[float]]:
    """(operation seconds, floor seconds) per pair; the floor's parts are timed one after
    the other and summed. `after` runs untimed after each operation (a cancel)."""
    for _ in range(WARM_UP):
        operation()
        if after is not None:
            after()
        for part in floor:
            part()
    ops, floors = [], []
    for _ in range(runs):
        ops.append(_timed(operation))
        if after is not None:
            after()
        floors.append(sum(_timed(part) for part in floor))
    return ops, floors


class Floors:
    """The floors' parts, on the bench's own clients (warm: made once, reused)."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.stores = f"{bench.bigquery.project}.retail.stores"
        bench.firestore.collection("bench").document("floor").set({"n": 1})

    def http_401(self) -> None:
        response = self.bench.http.get(f"{self.bench.base}/v1/executions/{'0' * 32}", timeout=60)
        assert response.status_code == 401, response.status_code

    def firestore_read(self) -> None:
        self.bench.firestore.collection("bench").document("floor").get()

    def firestore_create(self) -> None:
        self.bench.firestore.collection("bench").document(uuid.uuid4().hex).create({"n": 1})

    def jobs_insert(self) -> None:
        self.bench.bigquery.query("SELECT 1", job_id=f"bench_{uuid.uuid4().hex}", job_retry=None)

    def tables_get(self) -> None:
        self.bench.bigquery.get_table(self.stores)


class NewParameters:
    """Executes of the demo with a buffer radius not sent before (each starts a k-means
    job) and, outside any timing, the cancel of each job they started, waited for."""

    def __init__(self, bench: Bench, radii: Iterator[int]) -> None:
        self.bench = bench
        self.radii = radii
        self.started: list[str] = []

    def parameters(self) -> dict[str, Any]:
        return {**SEED_VALUES, "buffer_radius": next(self.radii)}

    def execute(self) -> None:
        self.started.append(self.bench.execute(WORKFLOW_ID, self.parameters())["id"])

    def cancel_started(self) -> None:
        while self.started:
            execution = self.bench.execute_cancel_and_wait(self.started.pop())
            assert execution in ("cancelled", "succeeded", "failed"), execution


def measure(bench: Bench, rounds: int = ROUNDS) -> list[Row]:
    floors = Floors(bench)
    done = bench.finished(bench.execute(WORKFLOW_ID, SEED_VALUES)["id"])
    key = {"Idempotency-Key": uuid.uuid4().hex}
    new = NewParameters(bench, iter(range(1000, 100000)))
    results = f"/v1/executions/{done['id']}/results"
    plan: list[tuple[str, Callable[[], object], str, list[Callable[[], object]], int, Any]] = [
        (
            "execute (new parameters)",
            new.execute,
            "HTTP + FS create + jobs.insert",
            [floors.http_401, floors.firestore_create, floors.jobs_insert],
            NEW_RUNS,
            new.cancel_started,
        ),
        (
            "execute (cache hit)",
            lambda: bench.execute(WORKFLOW_ID, SEED_VALUES),
            "HTTP + FS read + tables.get",
            [floors.http_401, floors.firestore_read, floors.tables_get],
            RUNS,
            None,
        ),
        (
            "execute (idempotent replay)",
            lambda: bench.execute(WORKFLOW_ID, SEED_VALUES, headers=key),
            "HTTP + FS read",
            [floors.http_401, floors.firestore_read],
            RUNS,
            None,
        ),
        (
            "status (finished)",
            lambda: bench.get(f"/v1/executions/{done['id']}"),
            "HTTP + FS read",
            [floors.http_401, floors.firestore_read],
            RUNS,
            None,
        ),
        (
            # WKT: the local BigQuery's ST_ASGEOJSON takes seconds a page (BigQuery's not).
            "results page (100 rows, WKT)",
            lambda: bench.get(results, page_size=100, geography_format="wkt"),
            "HTTP + jobs.insert",
            [floors.http_401, floors.jobs_insert],
            RUNS,
            None,
        ),
    ]
    rows = {name: Row(name, floor_name, [], [], []) for name, _, floor_name, *_ in plan}
    for _ in range(rounds):
        for name, operation, _, floor, runs, after in plan:
            ops, floor_seconds = interleaved(operation, floor, runs, after)
            row = rows[name]
            row.p50s.append(statistics.median(ops))
            row.p95s.append(_p95(ops))
            row.floor_p50s.append(statistics.median(floor_seconds))
    return list(rows.values())


def report(rows: list[Row]) -> None:
    rounds = len(rows[0].p50s) if rows else 0
    print(
        f"\nLatency over HTTP, each operation interleaved with its floor, warm ({rounds} rounds;"
        f" ms; p50 of the median round, [lowest-highest] round p50)"
    )
    print(f"{'operation':<30}{'p50':>8}{'p95':>8}  {'floor':<31}{'p50':>8}{'ratio':>8}  spread")
    for row in rows:
        p50 = statistics.median(row.p50s) * 1000
        p95 = statistics.median(row.p95s) * 1000
        floor = statistics.median(row.floor_p50s) * 1000
        ratio = statistics.median(row.ratios)
        spread = (
            f"p50 {min(row.p50s) * 1000:.1f}-{max(row.p50s) * 1000:.1f}, floor "
            f"{min(row.floor_p50s) * 1000:.1f}-{max(row.floor_p50s) * 1000:.1f}, ratio "
            f"{min(row.ratios):.2f}-{max(row.ratios):.2f}x"
        )
        print(
            f"{row.operation:<30}{p50:>8.1f}{p95:>8.1f}  {row.floor:<31}{floor:>8.1f}"
            f"{ratio:>7.2f}x  {spread}"
        )
