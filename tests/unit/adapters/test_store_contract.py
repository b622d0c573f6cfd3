"""The store contract on the in-memory fake the unit tests use (FirestoreStore runs the
same contract on the emulator in tests/integration/test_firestore_store.py)."""

from __future__ import annotations

import pytest

from tests.contract.store_contract import StoreContract
from tests.contract.support import Store
from tests.support.fakes import InMemoryStore


class TestInMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Store:
        return InMemoryStore()
