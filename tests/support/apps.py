"""The App bootstrapped on in-memory fakes, as every unit test of services and HTTP uses it.

Nothing is wired here: `bootstrap` wires the services, exactly as in production; this
only chooses the fakes and keeps them typed for the assertions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.fake_queue import InMemoryDeliveryQueue
from tests.support.fakes import FakeWarehouse, InMemoryStore
from workflows_api.bootstrap import App, bootstrap
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.states import JobError
from workflows_api.execution_views import execution_view
from workflows_api.service.ports import Store, Warehouse

DEMO: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "examples" / "store_clusters.yaml").read_text(encoding="utf-8")
)
GOOD = {"number_of_clusters": 2, "buffer_radius": 500, "store_type": "Supermarket"}
DEMO_CONNECTION = Connection(
    "demo", "local", "demo-project", read_allowlist=("demo-project.retail",)
)


START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass(frozen=True)
class OnFakes:
    """An App and the fakes it was bootstrapped with."""

    app: App
    store: InMemoryStore
    warehouse: FakeWarehouse
    clock: Clock


def on_fakes(
    *,
    outcome: str | JobError = "running",
    settings: Settings | None = None,
    connections: tuple[Connection, ...] = (DEMO_CONNECTION,),
    now: dt.datetime = START,
    **adapters: Any,
) -> OnFakes:
    """An App on an in-memory store (holding `connections`) and a fake warehouse whose
    jobs end as `outcome`; waiting advances the fake clock instead of sleeping."""
    store, warehouse, clock = InMemoryStore(), FakeWarehouse(outcome=outcome), Clock(now)
    typed: tuple[Store, Warehouse] = (store, warehouse)  # the fakes implement the ports
    for connection in connections:
        store.put_connection(connection)
    adapters.setdefault("webhook_payload", execution_view)
    adapters.setdefault("health_probes", {})
    adapters.setdefault("delivery_queue", InMemoryDeliveryQueue())
    app = bootstrap(
        settings or Settings(webhook_secrets="firestore"),
        store=typed[0],
        warehouse=typed[1],
        clock=clock,
        sleep=clock.advance,
        **adapters,
    )
    return OnFakes(app, store, warehouse, clock)


def with_demo_workflow(
    outcome: str | JobError = "running", workflow_id: str = "clusters", **options: Any
) -> OnFakes:
    """`on_fakes` with the demo workflow saved as `workflow_id` of org demo, API enabled."""
    fakes = on_fakes(outcome=outcome, **options)
    fakes.app.workflows.put("demo", workflow_id, DEMO)
    fakes.app.workflows.enable_api("demo", workflow_id)
    return fakes
