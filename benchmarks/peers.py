"""`make bench-peers`: ours beside Prefect's (pinned; its server on SQLite), in one run.

Starts our local stack as `make bench` does (benchmarks/local_stack.py) and a Prefect server
(benchmarks/prefect_peer.py) whose deployment takes the demo workflow's three typed
parameters with the same bounds, then measures each operation on both, interleaved (ours,
Prefect's, ours, Prefect's...) after the same warm-up (benchmarks/honest_floors.py), in
three rounds: run creation with new parameters, an idempotent replay, reading a finished
run, refusing a bad parameter; then, each round, 10 creations sent at once with distinct
parameters and 20 with one idempotency key, counted (accepted, distinct runs, errors by
status) and timed. Jobs our creations start are cancelled, and waited for, outside the
timing. Figures only: nothing here asserts a speed.

What the two do differs: Prefect writes a row (no worker runs it), while we also submit
the run's BigQuery job (to the local BigQuery here); Prefect runs on SQLite, we on the
Firestore emulator.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from benchmarks import honest_floors, prefect_peer
from benchmarks.honest_floors import NewParameters
from benchmarks.local_stack import Bench, concurrently, local_stack
from devstack.demo import SEED_VALUES, WORKFLOW_ID

ROUNDS = honest_floors.ROUNDS
RUNS = honest_floors.RUNS  # timed pairs per operation and round, after WARM_UP pairs
DISTINCT_CALLS = 10
SAME_KEY_CALLS = 20
BAD_PARAMETERS = {**SEED_VALUES, "number_of_clusters": 51}  # its maximum is 50

Call = Callable[[], object]


@dataclass
class Pair:
    """One operation on both sides: each round's p50, in seconds."""

    operation: str
    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)
    their_retries: int = 0  # Prefect's 503s (SQLite locked) retried, warm-up included

    @property
    def ratios(self) -> list[float]:
        """Ours over Prefect's, per round (under 1: ours is faster)."""
        return [a / b for a, b in zip(self.ours, self.theirs, strict=True)]


@dataclass
class Burst:
    """One side's calls sent at once, in one round."""

    statuses: list[int]
    runs: set[str]  # distinct run ids among the accepted answers
    wall: float  # seconds, from the first call sent to the last answer

    @property
    def accepted(self) -> int:
        return sum(1 for status in self.statuses if status < 300)

    @property
    def errors(self) -> Counter[int]:
        return Counter(status for status in self.statuses if status >= 300)

    def summary(self) -> str:
        errors = self.errors
        codes = ", ".join(f"{count}x {status}" for status, count in sorted(errors.items()))
        return (
            f"{self.accepted}/{len(self.statuses)} accepted, {len(self.runs)} distinct"
            f" run{'s' if len(self.runs) != 1 else ''}, {sum(errors.values())} errors"
            f"{f' ({codes})' if codes else ''}, {self.wall * 1000:.0f} ms"
        )


def at_once(send: Callable[[requests.Session, int], requests.Response], calls: int) -> Burst:
    """`calls` calls of `send` at once, each with its index and its thread's session."""
    lock, local, answers = threading.Lock(), threading.local(), []
    indexes = iter(range(calls))

    def one() -> None:
        with lock:
            index = next(indexes)
        if not hasattr(local, "http"):
            local.http = requests.Session()
        answer = send(local.http, index)
        with lock:
            answers.append(answer)

    started = time.perf_counter()
    concurrently(one, calls)
    wall = time.perf_counter() - started
    runs = {str(a.json()["id"]) for a in answers if a.status_code < 300}
    return Burst([a.status_code for a in answers], runs, wall)


def _expect(response: requests.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])


def _same(got: object, expected: object) -> None:
    assert got == expected, (got, expected)


def latency_plan(
    bench: Bench, prefect: prefect_peer.Prefect, new: NewParameters
) -> list[tuple[str, Call, Call, Call | None]]:
    """(operation, ours, Prefect's, what runs untimed after ours), with what each reads
    made first: a succeeded execution and a Completed run, one creation each under a key."""
    done = bench.finished(bench.execute(WORKFLOW_ID, SEED_VALUES)["id"])
    assert done["state"] == "succeeded", done["state"]
    completed = prefect.completed_run(SEED_VALUES)
    key, replayed = uuid.uuid4().hex, new.parameters()
    headers = {"Idempotency-Key": key}
    ours_run = bench.execute(WORKFLOW_ID, replayed, headers=headers)["id"]
    new.started.append(ours_run)
    new.cancel_started()
    their_run = prefect.created(replayed, key)
    return [
        (
            "run creation (new parameters)",
            new.execute,
            lambda: prefect.created(new.parameters()),
            new.cancel_started,
        ),
        (
            "idempotent replay",
            lambda: _same(bench.execute(WORKFLOW_ID, replayed, headers=headers)["id"], ours_run),
            lambda: _same(prefect.created(replayed, key), their_run),
            None,
        ),
        (
            "reading a finished run",
            lambda: bench.get(f"/v1/executions/{done['id']}"),
            lambda: prefect.read_run(completed),
            None,
        ),
        (
            "refusing a bad parameter",
            lambda: _expect(bench.post_execute(WORKFLOW_ID, BAD_PARAMETERS), 400),
            lambda: _same(prefect.refused(BAD_PARAMETERS), 409),
            None,
        ),
    ]


def distinct_bursts(
    bench: Bench, prefect: prefect_peer.Prefect, new: NewParameters
) -> tuple[Burst, Burst]:
    """DISTINCT_CALLS creations at once, each of new parameters: ours, then Prefect's."""
    ours_parameters = [new.parameters() for _ in range(DISTINCT_CALLS)]
    ours = at_once(
        lambda http, i: bench.post_execute(WORKFLOW_ID, ours_parameters[i], session=http),
        DISTINCT_CALLS,
    )
    new.started.extend(ours.runs)
    new.cancel_started()  # untimed: no job of ours runs while Prefect's are sent
    their_parameters = [new.parameters() for _ in range(DISTINCT_CALLS)]
    theirs = at_once(
        lambda http, i: prefect.create_run(their_parameters[i], session=http), DISTINCT_CALLS
    )
    return ours, theirs


def same_key_bursts(
    bench: Bench, prefect: prefect_peer.Prefect, new: NewParameters
) -> tuple[Burst, Burst]:
    """SAME_KEY_CALLS creations at once of the same new parameters under one fresh
    idempotency key (one per side): ours, then Prefect's."""
    parameters, key = new.parameters(), uuid.uuid4().hex
    headers = {"Idempotency-Key": key}
    ours = at_once(
        lambda http, _: bench.post_execute(WORKFLOW_ID, parameters, session=http, headers=headers),
        SAME_KEY_CALLS,
    )
    new.started.extend(ours.runs)
    new.cancel_started()
    their_key = uuid.uuid4().hex
    theirs = at_once(
        lambda http, _: prefect.create_run(parameters, idempotency_key=their_key, session=http),
        SAME_KEY_CALLS,
    )
    return ours, theirs


Bursts = dict[str, list[tuple[Burst, Burst]]]  # case -> (ours, Prefect's) per round


def measure(
    bench: Bench, prefect: prefect_peer.Prefect, rounds: int = ROUNDS
) -> tuple[list[Pair], Bursts]:
    new = NewParameters(bench, iter(range(1000, 1_000_000)))
    plan = latency_plan(bench, prefect, new)
    pairs = {name: Pair(name) for name, *_ in plan}
    cases = {
        f"{DISTINCT_CALLS} creations at once, distinct parameters": distinct_bursts,
        f"{SAME_KEY_CALLS} creations at once, one idempotency key": same_key_bursts,
    }
    bursts: Bursts = {case: [] for case in cases}
    for round_number in range(1, rounds + 1):
        print(f"Round {round_number} of {rounds}...", file=sys.stderr)
        for name, ours, theirs, after in plan:
            retries = prefect.retries
            ours_seconds, their_seconds = honest_floors.interleaved(ours, [theirs], RUNS, after)
            pairs[name].ours.append(statistics.median(ours_seconds))
            pairs[name].theirs.append(statistics.median(their_seconds))
            pairs[name].their_retries += prefect.retries - retries
        for case, burst in cases.items():
            bursts[case].append(burst(bench, prefect, new))
    return list(pairs.values()), bursts


def pair_line(pair: Pair) -> str:
    """The median round's p50s and ratio, then each figure's lowest and highest round."""
    ours, theirs = statistics.median(pair.ours) * 1000, statistics.median(pair.theirs) * 1000
    ratios = pair.ratios
    spread = (
        f"ours {min(pair.ours) * 1000:.1f}-{max(pair.ours) * 1000:.1f}, Prefect "
        f"{min(pair.theirs) * 1000:.1f}-{max(pair.theirs) * 1000:.1f}, ratio "
        f"{min(ratios):.2f}-{max(ratios):.2f}x"
    )
    return (
        f"{pair.operation:<32}{ours:>8.1f}{theirs:>9.1f}{statistics.median(ratios):>7.2f}x"
        f"{pair.their_retries:>8}  {spread}"
    )


def report(pairs: list[Pair], bursts: Bursts, version: str, *, services: bool = True) -> None:
    rounds = len(pairs[0].ours) if pairs else 0
    server = "server on SQLite" + ("" if services else ", without its services")
    print(
        f"\nOurs beside Prefect {version} ({server}), each operation interleaved"
        f" (ours, Prefect's, ...), warm ({rounds} rounds of {RUNS} calls each; ms; p50 of"
        " the median round; ratio ours/Prefect's; 503s: Prefect's answers of SQLite locked,"
        " retried after 2 s as its client does, in the timing; [lowest-highest] over the"
        " rounds)"
    )
    print(f"{'operation':<32}{'ours':>8}{'Prefect':>9}{'ratio':>8}{'503s':>8}  spread")
    for pair in pairs:
        print(pair_line(pair))
    print("\nSent at once, each round (ours, then Prefect's)")
    for case, per_round in bursts.items():
        print(case)
        for number, (ours, theirs) in enumerate(per_round, 1):
            print(f"  round {number}  ours:    {ours.summary()}")
            print(f"{'':<11}Prefect: {theirs.summary()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-services",
        action="store_true",
        help="Prefect's API only, without its background services (late runs, scheduler...)",
    )
    args = parser.parse_args()
    prefect_command = prefect_peer.install()
    log_dir = Path(tempfile.mkdtemp(prefix="wfapi-bench-peers-"))
    server = prefect_peer.start_server(prefect_command, log_dir, services=not args.no_services)
    try:
        with local_stack(log_dir) as (bench, _):
            api: dict[str, Any] = bench.get(f"/v1/workflows/{WORKFLOW_ID}/api")
            prefect = prefect_peer.deploy(server, WORKFLOW_ID, api["parameters_schema"])
            print("Measuring ours and Prefect's, interleaved...", file=sys.stderr)
            pairs, bursts = measure(bench, prefect)
            report(pairs, bursts, server.version(), services=not args.no_services)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
