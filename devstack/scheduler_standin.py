"""Cloud Scheduler's stand-in on the local stack: the sweep's schedule.

Deployed, a Cloud Scheduler job publishes `{}` to the `<prefix>-sweep` topic every
5 minutes and a push subscription delivers it to `sweep_executions`, which submits the
executions left `created` (infra/modules/workflows_api/scheduler.tf and events.tf,
functions/workflows_api/service/sweep.py). The emulators have no scheduler, so here a
thread publishes the same tick to the same topic on the Pub/Sub emulator every
WFAPI_LOCAL_SWEEP_SECONDS, and the function is pushed to the same way.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

from devstack import pubsub
from devstack.prerequisites import StackError
from devstack.pushed_function import PushedFunction, start_pushed_function

SWEEP_TOPIC = "wfapi-sweep"  # `<name_prefix>-sweep`, with the deployment's default prefix
SWEEP_SECONDS_VARIABLE = "WFAPI_LOCAL_SWEEP_SECONDS"
# Deployed every 5 minutes; locally shorter, so a stuck execution moves while you look.
DEFAULT_SWEEP_SECONDS = 60.0
# What the deployed job publishes (scheduler.tf): the tick carries nothing.
TICK: dict[str, str] = {}

logger = logging.getLogger(__name__)


def sweep_seconds(env: Mapping[str, str]) -> float:
    """The local sweep's interval from WFAPI_LOCAL_SWEEP_SECONDS (default 60 s)."""
    raw = env.get(SWEEP_SECONDS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_SWEEP_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise StackError(
            f"{SWEEP_SECONDS_VARIABLE} must be a positive number of seconds, got {raw!r}."
        )
    return seconds


class Schedule:
    """Publishes the tick to `topic` every `interval_seconds` on a daemon thread; the
    first tick comes one interval after `start`, as a cron job's first run does."""

    def __init__(self, pubsub_host: str, topic: str, interval_seconds: float) -> None:
        self.topic = topic
        self.interval_seconds = interval_seconds
        self.ticks = 0  # published so far
        self._pubsub_host = pubsub_host
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedule", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)  # at most one publish (10 s timeout) in flight

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_seconds):
            try:
                pubsub.publish(self._pubsub_host, self.topic, TICK)
            except requests.RequestException as error:
                # Like a missed scheduler run: the next tick sweeps everything left.
                logger.warning("tick to %s not published: %s", self.topic, type(error).__name__)
                continue
            self.ticks += 1


@dataclass(frozen=True)
class LocalSweep:
    pushed: PushedFunction
    schedule: Schedule

    def stop(self) -> None:
        self.schedule.stop()
        self.pushed.function.stop()


def start_local_sweep(
    pubsub_host: str, project: str, env: dict[str, str], log_dir: Path, interval_seconds: float
) -> LocalSweep:
    """`sweep_executions` pushed from the sweep topic, and the schedule publishing to it."""
    # One sweep at a time, as deployed (concurrency 1, one instance: infra main.tf).
    pushed = start_pushed_function(
        pubsub_host, project, SWEEP_TOPIC, "sweep_executions", {**env, "THREADS": "1"}, log_dir
    )
    schedule = Schedule(pubsub_host, pushed.topic, interval_seconds)
    schedule.start()
    return LocalSweep(pushed, schedule)
