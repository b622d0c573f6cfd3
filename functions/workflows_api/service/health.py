"""Health: does each backend answer?"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class BackendHealth:
    name: str
    ok: bool
    latency_ms: float
    error: str | None = None


@dataclass(frozen=True)
class HealthReport:
    backends: tuple[BackendHealth, ...]

    @property
    def ok(self) -> bool:
        return all(b.ok for b in self.backends)


def check_health(probes: Mapping[str, Callable[[], None]]) -> HealthReport:
    """Run each probe; a probe that raises marks its backend down."""
    results = []
    for name, probe in probes.items():
        started = time.monotonic()
        try:
            probe()
        except Exception as exc:
            error: str | None = f"{type(exc).__name__}: {exc}"[:300]
        else:
            error = None
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        results.append(BackendHealth(name, error is None, elapsed_ms, error))
    return HealthReport(tuple(results))
