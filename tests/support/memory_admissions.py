"""ExecutionStore.admit_execution in memory (a base of InMemoryStore): every create of
an admission at once, or none, as the Firestore adapter's batched commit."""

from __future__ import annotations

import threading
from dataclasses import replace

from tests.support.stored_copies import refuse_naive, stored
from workflows_api.domain.execution.admissions import Admission
from workflows_api.domain.execution.limits import Slot
from workflows_api.domain.execution.states import Execution


class InMemoryAdmissions:
    _lock: threading.Lock
    executions: dict[tuple[str, str], Execution]
    slots: dict[tuple[str, str], Slot]
    cache_entries: dict[tuple[str, str], str]
    idempotency_keys: dict[tuple[str, str], tuple[str, str]]

    def admit_execution(self, admission: Admission) -> bool:
        refuse_naive(admission)
        execution, org = admission.execution, admission.execution.org
        claim = admission.idempotency_key
        with self._lock:
            taken = [
                (org, execution.id) in self.executions,
                any((org, slot.slot_id) in self.slots for slot in admission.slots),
                admission.cache_entry_expire_at is not None
                and (org, execution.cache_key) in self.cache_entries,
                claim is not None and (org, claim.key_hash) in self.idempotency_keys,
            ]
            if any(taken):
                return False
            self.executions[(org, execution.id)] = stored(replace(execution, deliveries=()))
            for slot in admission.slots:
                self.slots[(org, slot.slot_id)] = slot
            if admission.cache_entry_expire_at is not None:
                self.cache_entries[(org, execution.cache_key)] = execution.id
            if claim is not None:
                self.idempotency_keys[(org, claim.key_hash)] = (execution.id, claim.fingerprint)
            return True
