"""SecretManagerSigningSecrets through the real client library's REST transport,
against a stand-in server on loopback (there is no Secret Manager emulator)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import secretmanager

from tests.support.secret_manager_standin import SecretManagerStandIn
from workflows_api.adapters.secret_manager import SecretManagerSigningSecrets, secret_id

pytestmark = pytest.mark.integration


@pytest.fixture
def standin() -> Iterator[SecretManagerStandIn]:
    server = SecretManagerStandIn()
    yield server
    server.stop()


@pytest.fixture
def secrets(standin: SecretManagerStandIn) -> SecretManagerSigningSecrets:
    client = secretmanager.SecretManagerServiceClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options=ClientOptions(api_endpoint=standin.endpoint),
    )
    return SecretManagerSigningSecrets(client, "demo-project")


def test_put_get_rotate_delete(
    secrets: SecretManagerSigningSecrets, standin: SecretManagerStandIn
) -> None:
    assert secrets.get_signing_secret("demo", "store_clusters") is None
    secrets.put_signing_secret("demo", "store_clusters", "whsec_first")
    assert secrets.get_signing_secret("demo", "store_clusters") == "whsec_first"
    name = f"projects/demo-project/secrets/{secret_id('demo', 'store_clusters')}"
    assert standin.secrets[name]["labels"] == {"wfapi_org": "demo"}
    secrets.put_signing_secret("demo", "store_clusters", "whsec_rotated")
    assert secrets.get_signing_secret("demo", "store_clusters") == "whsec_rotated"
    assert len(standin.secrets[name]["versions"]) == 2
    assert secrets.get_signing_secret("other", "store_clusters") is None
    secrets.delete_signing_secret("demo", "store_clusters")
    secrets.delete_signing_secret("demo", "store_clusters")  # already gone: fine
    assert secrets.get_signing_secret("demo", "store_clusters") is None
