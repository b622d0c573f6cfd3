"""Fixtures shared by the emulator canaries."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import bigquery

from devstack import emulators
from workflows_api.adapters import clients
from workflows_api.config import Settings


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
