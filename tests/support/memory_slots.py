"""The in-memory SlotStore (a base of InMemoryStore): slots, org limits and queries of
the queue, behaving like adapters/firestore/slots.py (the contract holds both)."""

from __future__ import annotations

import copy
import datetime as dt
import threading

from workflows_api.domain.execution.limits import OrgLimits, Slot
from workflows_api.domain.execution.states import Execution, State


class InMemorySlots:
    _lock: threading.Lock
    executions: dict[tuple[str, str], Execution]
    slots: dict[tuple[str, str], Slot]
    org_limits: dict[str, OrgLimits]

    def list_slots(self, org: str) -> list[Slot]:
        with self._lock:
            return sorted((s for (o, _), s in self.slots.items() if o == org), key=_slot_key)

    def claim_slot(self, org: str, slot: Slot) -> bool:
        if slot.claimed_at.tzinfo is None:
            raise ValueError("naive datetime")
        with self._lock:
            held = self.slots.setdefault((org, slot.slot_id), slot)
            return held.execution_id == slot.execution_id

    def release_slot(self, org: str, slot_id: str, execution_id: str) -> bool:
        with self._lock:
            held = self.slots.get((org, slot_id))
            if held is None or held.execution_id != execution_id:
                return False
            del self.slots[(org, slot_id)]
            return True

    def _queued(self, org: str | None) -> list[Execution]:
        with self._lock:
            rows = [
                e
                for (o, _), e in self.executions.items()
                if (org is None or o == org) and e.state == State.QUEUED
            ]
        return sorted(rows, key=lambda e: (e.created_at, e.org, e.id))

    def list_queued_executions(self, org: str, limit: int) -> list[Execution]:
        return copy.deepcopy(self._queued(org)[:limit])

    def count_queued_executions(self, org: str, before: dt.datetime | None = None) -> int:
        return sum(1 for e in self._queued(org) if before is None or e.created_at < before)

    def list_queued_orgs(self, limit: int) -> list[str]:
        return list(dict.fromkeys(e.org for e in self._queued(None)[:limit]))

    def get_org_limits(self, org: str) -> OrgLimits | None:
        return self.org_limits.get(org)

    def put_org_limits(self, limits: OrgLimits) -> None:
        self.org_limits[limits.org] = limits

    def replace_org_limits(self, expected: OrgLimits, limits: OrgLimits) -> bool:
        with self._lock:
            if self.org_limits.get(limits.org) != expected:
                return False
            self.org_limits[limits.org] = limits
            return True


def _slot_key(slot: Slot) -> str:
    return slot.slot_id
