"""A monotonic clock that moves only when slept on, for testing deadlines and retries
without the real clock (issue 29: no test asserts wall-clock speed).

`FakeMonotonic.install(monkeypatch)` gives it to the modules that read time for backend
calls: `deadlines`, the BigQuery adapter's job waits and google-api-core's retry loop.
Their `time.sleep` advances it at once, so a 0.6 s budget is exactly 0.6 s here.
"""

from __future__ import annotations

import time
import types
from dataclasses import dataclass, field

import pytest
from google.api_core.retry import retry_base, retry_unary

from workflows_api import deadlines
from workflows_api.adapters import bigquery_warehouse

USERS: tuple[types.ModuleType, ...] = (deadlines, bigquery_warehouse, retry_base, retry_unary)


@dataclass
class FakeMonotonic:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)

    def since(self, started: float) -> float:
        return self.now - started

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeMonotonic:
        fake = types.SimpleNamespace(
            **{name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
        )
        fake.monotonic, fake.sleep = self.monotonic, self.sleep
        for module in USERS:
            assert module.time is time, module
            monkeypatch.setattr(module, "time", fake)
        return self
