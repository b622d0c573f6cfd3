"""`wfapi`'s caller commands against the local stack over HTTP (in-process CLI runner;
the installed `wfapi` script itself is run by test_client_mcp)."""

from __future__ import annotations

import csv
import io
import json
import stat
import uuid
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner, Result

from tests.e2e.helpers import BROKEN_DEFINITION, SEED_VALUES, Stack, new_workflow
from workflows_api.cli import app
from workflows_api_client import Client

pytestmark = pytest.mark.e2e
SEED_ARGS = [arg for name, value in SEED_VALUES.items() for arg in ("-p", f"{name}={value}")]
DEMO_FILE = Path(__file__).parents[2] / "examples" / "store_clusters.yaml"


@pytest.fixture
def wfapi(stack: Stack, tmp_path: Path):
    """Run `wfapi ...` with WFAPI_URL and WFAPI_TOKEN set, profiles in a temporary folder."""
    env = {
        "WFAPI_URL": stack.base_url,
        "WFAPI_TOKEN": stack.token,
        "XDG_CONFIG_HOME": str(tmp_path),
    }

    def invoke(*args: str, **extra_env: str | None) -> Result:
        return CliRunner().invoke(app, list(args), env={**env, **extra_env})

    return invoke


def test_run_wait_then_output_prints_every_row(wfapi, stack: Stack) -> None:
    ran = wfapi("run", "store_clusters", *SEED_ARGS, "--wait", "--timeout", "300")
    assert ran.exit_code == 0, ran.output
    execution_id = ran.stdout.splitlines()[0]
    assert "succeeded" in ran.stderr

    with Client(stack.base_url, stack.token, timeout=120) as client:
        expected = list(client.results(execution_id, geography_format="wkt", page_size=1000))
    as_csv = wfapi("runs", "output", execution_id, "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(table) == len(expected) > 0
    assert [row["id"] for row in table] == [str(row["id"]) for row in expected]
    assert table[0]["geom_buffer"].startswith("POLYGON")

    # GeoJSON pages are slow on the emulator: one page of five rows.
    as_geojson = wfapi("runs", "output", execution_id, "--format", "geojson", "--limit", "5")
    features = json.loads(as_geojson.stdout)["features"]
    assert [f["properties"]["id"] for f in features] == [row["id"] for row in expected[:5]]
    assert features[0]["geometry"]["type"] == "Polygon"
    assert set(features[0]["properties"]) == {"id", "name", "cluster"}

    got = wfapi("runs", "get", execution_id)
    assert json.loads(got.stdout)["state"] == "succeeded"
    listed = wfapi("runs", "list", "store_clusters", "--state", "succeeded")
    assert listed.exit_code == 0 and execution_id in listed.stdout
    assert "running" not in listed.stdout
    one = wfapi("runs", "list", "store_clusters", "--limit", "1")
    assert one.exit_code == 0 and len(one.stdout.strip().splitlines()) == 5  # a table of 1 row
    ended = wfapi("runs", "cancel", execution_id)
    assert ended.exit_code == 2 and "execution_finished" in ended.stderr


def test_bad_input_exits_2_naming_the_field(wfapi) -> None:
    untyped = wfapi("run", "store_clusters", "-p", "number_of_clusters=two")
    assert untyped.exit_code == 2 and "number_of_clusters" in untyped.stderr
    refused = wfapi("run", "store_clusters", *SEED_ARGS, "-p", "number_of_clusters=0")
    assert refused.exit_code == 2, refused.output
    assert "invalid_parameters" in refused.stderr and "number_of_clusters" in refused.stderr
    assert refused.stdout == ""  # nothing started
    unknown = wfapi("runs", "get", "0123456789abcdef0123456789abcdef")
    assert unknown.exit_code == 2 and "not_found" in unknown.stderr
    no_token = wfapi("runs", "get", "x", WFAPI_TOKEN=None)
    assert no_token.exit_code == 2 and "WFAPI_TOKEN" in no_token.stderr


def test_a_failed_execution_exits_1_with_bigquerys_error(
    wfapi, stack: Stack, http: requests.Session
) -> None:
    workflow_id = new_workflow(http, stack, BROKEN_DEFINITION)
    ran = wfapi("run", workflow_id, "--wait", "--no-cache", "--timeout", "300")
    assert ran.exit_code == 1, ran.output
    error = json.loads(ran.stderr[ran.stderr.index("{") :])
    assert error["reason"] and "no_such_table" in error["message"]


def test_idempotency_key_and_no_cache(wfapi) -> None:
    key = f"cli-{uuid.uuid4().hex}"
    first = wfapi("run", "store_clusters", *SEED_ARGS, "--no-cache", "--idempotency-key", key)
    again = wfapi("run", "store_clusters", *SEED_ARGS, "--no-cache", "--idempotency-key", key)
    fresh = wfapi("run", "store_clusters", *SEED_ARGS, "--no-cache")
    assert first.exit_code == again.exit_code == fresh.exit_code == 0
    assert first.stdout == again.stdout != fresh.stdout
    for execution_id in (first.stdout.strip(), fresh.stdout.strip()):
        waited = wfapi("runs", "get", execution_id)
        assert waited.exit_code == 0


def test_workflows_commands(wfapi, tmp_path: Path) -> None:
    workflow_id = f"cli_{uuid.uuid4().hex[:8]}"
    put = wfapi("workflows", "put", workflow_id, str(DEMO_FILE))
    assert put.exit_code == 0 and f"saved {workflow_id}" in put.stdout
    assert json.loads(wfapi("workflows", "get", workflow_id).stdout)["api_enabled"] is False
    assert "CREATE OR REPLACE PROCEDURE" in wfapi("workflows", "sql", workflow_id).stdout
    enabled = wfapi("workflows", "enable", workflow_id)
    assert enabled.exit_code == 0 and "API enabled, in sync" in enabled.stdout
    assert "number_of_clusters INT64" in enabled.stdout
    assert wfapi("workflows", "update", workflow_id).exit_code == 0
    assert workflow_id in wfapi("workflows", "list").stdout
    disabled = wfapi("workflows", "disable", workflow_id)
    assert disabled.exit_code == 0 and "API disabled" in disabled.stdout
    refused = wfapi("run", workflow_id, *SEED_ARGS)
    assert refused.exit_code == 2 and "api_disabled" in refused.stderr
    params = tmp_path / "params.json"
    params.write_text(json.dumps({**SEED_VALUES, "number_of_clusters": "x"}))
    bad_file = wfapi("run", "store_clusters", "--params-file", str(params))
    assert bad_file.exit_code == 2 and "number_of_clusters" in bad_file.stderr


def test_login_saves_a_private_profile_used_without_env(
    wfapi, stack: Stack, tmp_path: Path
) -> None:
    refused = wfapi(
        "login", "--url", stack.base_url, "--token", "wfapi_bad_secret", "--profile", "local"
    )
    assert refused.exit_code == 2
    assert not (tmp_path / "wfapi" / "config.toml").exists()
    login = wfapi("login", "--url", stack.base_url, "--token", stack.token, "--profile", "local")
    assert login.exit_code == 0, login.output
    path = tmp_path / "wfapi" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stack.token not in login.output  # never echoed
    listed = wfapi("workflows", "list", "--profile", "local", WFAPI_URL=None, WFAPI_TOKEN=None)
    assert listed.exit_code == 0 and "store_clusters" in listed.stdout
