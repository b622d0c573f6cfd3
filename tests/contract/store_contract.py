"""The store contract: every store port of service/ports.py, written once.

Run against the in-memory fake (tests/unit/adapters/test_store_contract.py) and against
FirestoreStore on the emulator (tests/integration/test_firestore_store.py): subclass
StoreContract and give it a `store` fixture returning a fresh, empty store.
"""

from __future__ import annotations

import inspect

import pytest

from tests.contract.access_contract import AccessContract
from tests.contract.admissions_contract import AdmissionsContract
from tests.contract.claims_contract import ClaimsContract
from tests.contract.execution_numbers_contract import ExecutionNumbersContract
from tests.contract.executions_contract import ExecutionStoreContract
from tests.contract.schedules_contract import SchedulesContract
from tests.contract.signing_secrets_contract import SigningSecretsContract
from tests.contract.slots_contract import SlotsContract
from tests.contract.support import ORG, OTHER_ORG, STORE_PORTS, Store, at, execution, workflow
from tests.contract.trigger_rejections_contract import TriggerRejectionsContract
from tests.contract.webhooks_contract import WebhooksContract
from tests.contract.workflows_contract import WorkflowStoreContract
from workflows_api.domain.access.connections import Connection
from workflows_api.service.ports import SigningSecrets


class StoreContract(
    WorkflowStoreContract,
    ExecutionStoreContract,
    ExecutionNumbersContract,
    ClaimsContract,
    AdmissionsContract,
    AccessContract,
    WebhooksContract,
    TriggerRejectionsContract,
    SlotsContract,
    SchedulesContract,
    SigningSecretsContract,
):
    @pytest.fixture
    def secrets(self, store: Store) -> SigningSecrets:
        return store  # a store keeps the secrets itself (Firestore on the local stack)

    def test_implements_every_store_port(self, store: Store) -> None:
        # mypy checks the signatures through the fixture's `Store` annotation.
        for port in STORE_PORTS:
            methods = [name for name, _ in inspect.getmembers(port, inspect.isfunction)]
            public = [name for name in methods if not name.startswith("_")]
            assert public, port
            missing = [name for name in public if not callable(getattr(store, name, None))]
            assert missing == [], f"{type(store).__name__} lacks {port.__name__}.{missing}"

    def test_records_are_invisible_to_other_orgs(self, store: Store) -> None:
        store.put_connection(Connection(ORG, "main", "proj"))
        store.put_workflow(workflow())
        run = execution()
        store.create_execution(run, expire_at=at(3600))
        assert store.claim_idempotency_key(ORG, "h" * 64, run.id, "fp", expire_at=at(3600)) is None
        store.claim_cache_entry(ORG, run.cache_key, run.id, expire_at=at(3600))

        assert store.get_connection(OTHER_ORG, "main") is None
        assert store.list_connections(OTHER_ORG) == []
        assert store.get_workflow(OTHER_ORG, "wf-1") is None
        assert store.list_workflows(OTHER_ORG, limit=10) == []
        assert store.delete_workflow(OTHER_ORG, "wf-1") is False
        assert store.get_execution(OTHER_ORG, run.id) is None
        assert store.list_executions(OTHER_ORG, "wf-1", limit=10) == []
        assert store.get_idempotency_key(OTHER_ORG, "h" * 64) is None
        # Another org's identical request claims its own entry.
        other = store.claim_cache_entry(OTHER_ORG, run.cache_key, "other", expire_at=at(3600))
        assert other is None
        # And the originals are still there for their own org.
        assert store.get_workflow(ORG, "wf-1") is not None
        assert store.get_execution(ORG, run.id) == run
        assert store.claim_cache_entry(ORG, run.cache_key, "probe", expire_at=at(60)) == run.id
