"""Health: does each backend answer? Probed at most once per HEALTH_CACHE_SECONDS.

The report says up or down per backend and how long the probe took, never why: an
exception's text may name internal hosts, projects or paths, so it goes to the log
only. Probes are bounded by their adapters (a short timeout, no retries), and the
cache keeps a burst of health checks from becoming a burst of backend calls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from workflows_api import logs

logger = logging.getLogger(__name__)

HEALTH_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class BackendHealth:
    name: str
    ok: bool
    latency_ms: float


@dataclass(frozen=True)
class HealthReport:
    backends: tuple[BackendHealth, ...]

    @property
    def ok(self) -> bool:
        return all(b.ok for b in self.backends)


def check_health(probes: Mapping[str, Callable[[], None]]) -> HealthReport:
    """Run each probe; a probe that raises marks its backend down (and is logged)."""
    results = []
    for name, probe in probes.items():
        started = time.monotonic()
        try:
            probe()
        except Exception as exc:
            ok = False
            logs.log(
                logger,
                logging.WARNING,
                "health probe failed",
                backend=name,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
        else:
            ok = True
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        results.append(BackendHealth(name, ok, elapsed_ms))
    return HealthReport(tuple(results))


class HealthCheck:
    """`check_health` with its last report reused for `cache_seconds`; concurrent
    callers wait for the one probe in flight rather than starting their own."""

    def __init__(
        self,
        probes: Mapping[str, Callable[[], None]],
        *,
        cache_seconds: float = HEALTH_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probes = dict(probes)
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last: tuple[float, HealthReport] | None = None

    def report(self) -> HealthReport:
        with self._lock:
            now = self._monotonic()
            if self._last is not None and now - self._last[0] < self._cache_seconds:
                return self._last[1]
            report = check_health(self._probes)
            self._last = (self._monotonic(), report)
            return report
