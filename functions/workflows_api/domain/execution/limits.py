"""Concurrency limits: how many of an org's (or a workflow's) executions may be submitted
to BigQuery at once, the slots that enforce it, and the order queued executions leave in.

A slot is a lease: the document `orgs/{org}/slots/{slot id}` naming the execution that
holds it, created if absent (so one holder per slot) and deleted when its execution ends.
An org of limit N has the slots `org-0` ... `org-{N-1}`; a workflow with its own limit M
also has `workflow-{i}-{workflow id}` (i < M), and an execution of it holds one of each.
An execution is submitted only while it holds its slots, so at no moment are more than N
of an org's executions submitted and not terminal. Pure data and decisions here; the
service is service/limits.py.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .states import Execution

DEFAULT_MAX_CONCURRENT = 20
# Past this many queued executions an org's new ones are refused (429, Retry-After).
DEFAULT_MAX_QUEUED = 10_000
MOST_CONCURRENT = 1000

QueueReason = Literal["org_limit", "workflow_limit"]
ORG_LIMIT: QueueReason = "org_limit"
WORKFLOW_LIMIT: QueueReason = "workflow_limit"


@dataclass(frozen=True)
class OrgLimits:
    """`draining_from`: after a lowering, the largest earlier limit whose slots (up to
    `org-{draining_from - 1}`) may still be held, and when the limit was lowered; None
    once no slot past `max_concurrent` can be held (then an admission may claim an org
    slot without listing the held ones: the create's precondition is enough)."""

    org: str
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    max_queued: int = DEFAULT_MAX_QUEUED
    draining_from: int | None = None
    lowered_at: dt.datetime | None = None

    @property
    def settled(self) -> bool:
        """No org slot past `max_concurrent` can be held: an org slot chosen without
        listing the held ones is one the limit allows (its create-if-absent decides)."""
        return self.draining_from is None

    def changed_to(self, max_concurrent: int, max_queued: int, now: dt.datetime) -> OrgLimits:
        """These limits set to new values at `now`: a lowered limit drains the slots
        past it first, and until then every admission lists the held ones."""
        may_be_held = max(self.draining_from or 0, self.max_concurrent)
        if max_concurrent >= may_be_held:
            return OrgLimits(self.org, max_concurrent, max_queued)
        lowered_at = now if max_concurrent < self.max_concurrent else self.lowered_at
        return OrgLimits(self.org, max_concurrent, max_queued, may_be_held, lowered_at)

    def drained(self, held: Iterable[Slot], now: dt.datetime, grace: dt.timedelta) -> bool:
        """Whether a lowering's drain is over: no org slot past the limit is held, and
        the lowering is older than `grace` (an admission that read the earlier limit may
        still be claiming a slot past it)."""
        if self.draining_from is None or self.lowered_at is None:
            return False
        if now - self.lowered_at < grace:
            return False
        past = set(org_slot_ids(self.draining_from)[self.max_concurrent :])
        return not any(slot.slot_id in past for slot in held)


@dataclass(frozen=True)
class Slot:
    """One held slot: `workflow_id` is the holder's workflow (on org slots too, for the
    fairness rule); `scope` says which limit the slot counts against."""

    slot_id: str
    execution_id: str
    workflow_id: str
    claimed_at: dt.datetime

    @property
    def scope(self) -> Literal["org", "workflow"]:
        return "org" if self.slot_id.startswith("org-") else "workflow"

    @property
    def limited_workflow(self) -> str | None:
        """The workflow whose own limit a workflow slot counts against."""
        if self.scope == "org":
            return None
        return self.slot_id.split("-", 2)[2]


def org_slot_ids(limit: int) -> list[str]:
    return [f"org-{i}" for i in range(limit)]


def workflow_slot_ids(workflow_id: str, limit: int) -> list[str]:
    return [f"workflow-{i}-{workflow_id}" for i in range(limit)]


def fair_order(queued: Iterable[Execution], held: Iterable[Slot]) -> list[Execution]:
    """The order queued executions of one org get free slots in: oldest first within a
    workflow; across workflows, the head of the workflow holding the fewest org slots
    goes first (ties: the oldest head), so one workflow's flood cannot starve another
    workflow of the org."""
    running = Counter(s.workflow_id for s in held if s.scope == "org")
    lanes: dict[str, list[Execution]] = {}
    for execution in sorted(queued, key=lambda e: (e.created_at, e.id)):
        lanes.setdefault(execution.workflow_id, []).append(execution)
    order: list[Execution] = []
    while lanes:
        workflow_id = min(lanes, key=lambda w: (running[w], lanes[w][0].created_at, lanes[w][0].id))
        order.append(lanes[workflow_id].pop(0))
        running[workflow_id] += 1
        if not lanes[workflow_id]:
            del lanes[workflow_id]
    return order
