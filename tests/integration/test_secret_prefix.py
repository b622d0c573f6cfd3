"""The deployment's secret-id prefix (WFAPI_WEBHOOK_SECRET_PREFIX) names every secret
the adapter touches, through the real client library against the Secret Manager
stand-in: two deployments in one project never read each other's secrets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import secretmanager

from tests.support.secret_manager_standin import SecretManagerStandIn
from workflows_api.adapters.secret_manager import SECRET_PREFIX, SecretManagerSigningSecrets
from workflows_api.config import Settings

pytestmark = pytest.mark.integration
PROJECT = "demo-project"


@pytest.fixture
def standin() -> Iterator[SecretManagerStandIn]:
    server = SecretManagerStandIn()
    yield server
    server.stop()


def test_the_setting_defaults_to_the_adapters_prefix() -> None:
    assert Settings().webhook_secret_prefix == SECRET_PREFIX
    assert Settings.from_env({}).webhook_secret_prefix == SECRET_PREFIX
    configured = Settings.from_env({"WFAPI_WEBHOOK_SECRET_PREFIX": "staging-webhook-"})
    assert configured.webhook_secret_prefix == "staging-webhook-"


def test_each_deployment_reads_and_writes_under_its_own_prefix(
    standin: SecretManagerStandIn,
) -> None:
    client = secretmanager.SecretManagerServiceClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options=ClientOptions(api_endpoint=standin.endpoint),
    )
    staging = SecretManagerSigningSecrets(client, PROJECT, "staging-webhook-")
    production = SecretManagerSigningSecrets(client, PROJECT, "prod-webhook-")
    staging.put_signing_secret("acme", "w1", "whsec_staging")
    assert staging.get_signing_secret("acme", "w1") == "whsec_staging"
    assert production.get_signing_secret("acme", "w1") is None
    names = list(standin.secrets)
    assert names and all(n.split("/")[-1].startswith("staging-webhook-") for n in names)
    production.put_signing_secret("acme", "w1", "whsec_prod")
    staging.delete_signing_secret("acme", "w1")
    assert production.get_signing_secret("acme", "w1") == "whsec_prod"
    assert staging.get_signing_secret("acme", "w1") is None
