"""One identity per connection (issue 12 item 1): BigQuery clients built by
BigQueryClients impersonate the connection's service account through google-auth's
impersonated credentials, against the IAM Credentials stand-in; a recording proxy in
front of the BigQuery emulator (tests/support/recording_proxy.py) shows whose token each
request carries."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import pytest
from google.auth import exceptions as auth_exceptions

from devstack.iam_credentials_standin import IamCredentialsStandIn
from tests.support.recording_proxy import RecordingProxy
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.adapters.clients import (
    LOCAL_RUNTIME_TOKEN,
    BigQueryClients,
    generate_access_token_url,
)
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.service.errors import WarehouseError

pytestmark = pytest.mark.integration

ACCOUNT_A = "wfapi-org-a@tenant-a.iam.gserviceaccount.com"
ACCOUNT_B = "wfapi-org-b@tenant-b.iam.gserviceaccount.com"
NOT_GRANTED = "someone-else@victim.iam.gserviceaccount.com"


@pytest.fixture
def iam() -> Iterator[IamCredentialsStandIn]:
    standin = IamCredentialsStandIn([ACCOUNT_A, ACCOUNT_B])
    yield standin
    standin.stop()


@pytest.fixture
def proxy(emulator_settings: Settings) -> Iterator[RecordingProxy]:
    assert emulator_settings.bigquery_emulator_host
    recording = RecordingProxy(emulator_settings.bigquery_emulator_host)
    yield recording
    recording.stop()


@pytest.fixture
def factory(
    emulator_settings: Settings, proxy: RecordingProxy, iam: IamCredentialsStandIn
) -> BigQueryClients:
    settings = dataclasses.replace(emulator_settings, bigquery_emulator_host=proxy.host)
    return BigQueryClients(settings, iam_credentials_endpoint=iam.endpoint)


def run_query(factory: BigQueryClients, project: str, account: str | None) -> int:
    client = factory.client(project, account)
    rows = list(client.query("SELECT 41 + 1 AS answer").result(timeout=60))
    return int(rows[0]["answer"])


def test_each_connection_s_requests_carry_its_own_impersonated_token(
    factory: BigQueryClients,
    proxy: RecordingProxy,
    iam: IamCredentialsStandIn,
    emulator_settings: Settings,
) -> None:
    project = emulator_settings.project
    assert run_query(factory, project, ACCOUNT_A) == 42
    requests_of_a = proxy.requests()
    proxy.clear()
    connection_b = Connection(org="org-b", id="b", project=project, service_account=ACCOUNT_B)
    assert list(factory.for_connection(connection_b).query("SELECT 1 AS x").result(timeout=60))
    requests_of_b = proxy.requests()

    assert requests_of_a and requests_of_b
    assert {iam.account_of(r.authorization) for r in requests_of_a} == {ACCOUNT_A}
    assert {iam.account_of(r.authorization) for r in requests_of_b} == {ACCOUNT_B}
    # google-auth asked the stand-in once per account, for the cloud-platform scope.
    assert [r["account"] for r in iam.requests] == [ACCOUNT_A, ACCOUNT_B]
    assert iam.requests[0]["body"]["scope"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert iam.requests[0]["authorization"] == f"Bearer {LOCAL_RUNTIME_TOKEN}"  # the runtime


def test_without_a_service_account_the_runtime_identity_is_used(
    factory: BigQueryClients,
    proxy: RecordingProxy,
    iam: IamCredentialsStandIn,
    emulator_settings: Settings,
) -> None:
    assert run_query(factory, emulator_settings.project, None) == 42
    assert proxy.seen and all(r.authorization is None for r in proxy.seen)  # anonymous
    assert iam.requests == []


def test_an_account_the_runtime_may_not_impersonate_sends_nothing_to_bigquery(
    factory: BigQueryClients,
    proxy: RecordingProxy,
    emulator_settings: Settings,
) -> None:
    with pytest.raises(auth_exceptions.RefreshError):
        run_query(factory, emulator_settings.project, NOT_GRANTED)
    assert proxy.seen == []


def test_clients_are_cached_per_project_and_account(factory: BigQueryClients) -> None:
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(factory.client("demo-project", ACCOUNT_A)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in results}) == 1
    assert factory.client("demo-project", ACCOUNT_B) is not results[0]
    assert factory.client("other-project", ACCOUNT_A) is not results[0]
    assert factory.client("demo-project", None) is not results[0]


def test_generate_access_token_url() -> None:
    assert generate_access_token_url("http://127.0.0.1:9/", ACCOUNT_A) == (
        f"http://127.0.0.1:9/v1/projects/-/serviceAccounts/{ACCOUNT_A}:generateAccessToken"
    )


def test_a_refused_impersonation_is_a_warehouse_refusal_not_a_crash(
    factory: BigQueryClients, proxy: RecordingProxy, emulator_settings: Settings
) -> None:
    warehouse = BigQueryWarehouse(factory.for_connection)
    connection = Connection("org-x", "x", emulator_settings.project, service_account=NOT_GRANTED)
    with pytest.raises(WarehouseError) as refused:
        warehouse.ensure_dataset(connection)
    assert refused.value.reason == "impersonation_refused"
    assert "serviceAccountTokenCreator" in refused.value.message
    assert proxy.seen == []
