"""Fixtures shared by the emulator canaries and the BigQueryWarehouse tests
(test_bigquery_ddl, _parameters, _jobs; a module's own fixture of the same name wins)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import bigquery

from devstack import emulators
from tests.support.warehouse_calls import PLACES
from workflows_api.adapters import clients
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection


@pytest.fixture(scope="session")
def unshimmed_bigquery(stack_log_dir: Path) -> Iterator[bigquery.Client]:
    """Plain upstream bqemulator, without the devstack shims: the canaries' ground."""
    emulators.install_duckdb_spatial_extension()
    port = emulators.free_port()
    managed = emulators.start_process(
        "plain bqemulator",
        [
            sys.executable,
            "-m",
            "bqemulator",
            "start",
            f"--rest-port={port}",
            f"--grpc-port={emulators.free_port()}",
            "--project=upstream-check",
            "--log-level=warning",
        ],
        stack_log_dir / "plain-bqemulator.log",
    )
    url = f"http://127.0.0.1:{port}/bigquery/v2/projects/upstream-check/datasets"
    emulators.wait_until(lambda: emulators.http_ok(url), managed, timeout_seconds=90)
    settings = Settings.from_env({"BIGQUERY_EMULATOR_HOST": f"127.0.0.1:{port}"})
    yield clients.bigquery_client(settings, project="upstream-check")
    managed.stop()


@pytest.fixture
def warehouse(emulator_settings: Settings) -> BigQueryWarehouse:
    return BigQueryWarehouse(
        lambda connection: clients.bigquery_client(emulator_settings, project=connection.project)
    )


@pytest.fixture
def connection(bq_client: bigquery.Client, bq_dataset: str) -> Connection:
    return Connection(org="acme", id="main", project=bq_client.project, dataset=bq_dataset)


@pytest.fixture
def places(bq_client: bigquery.Client, bq_dataset: str) -> str:
    selects = [
        f"SELECT {i} AS id, '{kind}' AS kind, {amount!r} AS amount, DATE '{opened}' AS opened, "
        f"TIMESTAMP '{seen}+00' AS seen, {str(is_open).upper()} AS is_open"
        for i, kind, amount, opened, seen, is_open in PLACES
    ]
    bq_client.query(
        f"CREATE TABLE `{bq_client.project}.{bq_dataset}.places` AS " + " UNION ALL ".join(selects)
    ).result()
    return f"{bq_dataset}.places"
