"""Session fixtures: the emulators and the dev router, started once per test run.

Everything listens on free ports, so the suite runs while `make run` is up.
Fixtures are lazy: unit tests start nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import bigquery, firestore

from devstack import emulators
from devstack.emulators import Emulators
from workflows_api.adapters import clients
from workflows_api.config import Settings

TEST_PROJECT = "workflows-api-test"


@pytest.fixture(scope="session")
def stack_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack-logs")


@pytest.fixture(scope="session")
def emulators_running(stack_log_dir: Path) -> Iterator[Emulators]:
    running = emulators.start_emulators(TEST_PROJECT, stack_log_dir)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def emulator_settings(emulators_running: Emulators) -> Settings:
    return Settings.from_env(emulators_running.env())


@pytest.fixture(scope="session")
def bq_client(emulator_settings: Settings) -> bigquery.Client:
    """A BigQuery client on the emulator (with the local parameter shim)."""
    return clients.bigquery_client(emulator_settings)


@pytest.fixture
def bq_dataset(bq_client: bigquery.Client) -> Iterator[str]:
    """A fresh, empty dataset in the emulator's project."""
    dataset = f"t_{uuid.uuid4().hex[:12]}"
    bq_client.create_dataset(f"{bq_client.project}.{dataset}")
    yield dataset
    bq_client.delete_dataset(f"{bq_client.project}.{dataset}", delete_contents=True)


@pytest.fixture
def firestore_client(emulators_running: Emulators) -> firestore.Client:
    """A Firestore client on the emulator, in a project of its own (test isolation)."""
    settings = Settings.from_env(
        {**emulators_running.env(), "GOOGLE_CLOUD_PROJECT": f"t-{uuid.uuid4().hex[:12]}"}
    )
    return clients.firestore_client(settings)
