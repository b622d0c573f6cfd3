"""Signing-secret ids per (org, workflow) and the migration from the legacy ids,
through the real client library against the Secret Manager stand-in."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import secretmanager

from tests.support.memory_store import InMemoryStore
from tests.support.secret_manager_standin import SecretManagerStandIn
from workflows_api.adapters.secret_manager import (
    SECRET_PREFIX,
    SecretManagerSigningSecrets,
    legacy_secret_id,
    secret_id,
)
from workflows_api.domain.execution.webhooks import WebhookConfig
from workflows_api.service.secret_migration import migrate_signing_secrets

pytestmark = pytest.mark.integration
PROJECT = "demo-project"
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


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
    return SecretManagerSigningSecrets(client, PROJECT)


def plant_legacy(standin: SecretManagerStandIn, org: str, workflow: str, value: str) -> str:
    """A secret as the previous release stored it: legacy id, labelled with its org."""
    name = f"projects/{PROJECT}/secrets/{legacy_secret_id(org, workflow)}"
    standin.secrets[name] = {
        "labels": {"wfapi_org": org},
        "versions": [base64.b64encode(value.encode()).decode()],
    }
    return name


def test_ids_no_longer_collide_across_orgs() -> None:
    assert legacy_secret_id("acme", "corp-x") == legacy_secret_id("acme-corp", "x")
    assert secret_id("acme", "corp-x") != secret_id("acme-corp", "x")
    assert secret_id("acme", "corp-x").startswith(SECRET_PREFIX)  # IAM's prefix condition
    assert len(secret_id("a" * 63, "w" * 128)) <= 255


def test_colliding_pairs_keep_their_own_secrets(secrets: SecretManagerSigningSecrets) -> None:
    secrets.put_signing_secret("acme", "corp-x", "whsec_acme")
    secrets.put_signing_secret("acme-corp", "x", "whsec_acme_corp")
    assert secrets.get_signing_secret("acme", "corp-x") == "whsec_acme"
    assert secrets.get_signing_secret("acme-corp", "x") == "whsec_acme_corp"


def test_a_legacy_secret_is_read_until_migrated_then_moved(
    secrets: SecretManagerSigningSecrets, standin: SecretManagerStandIn
) -> None:
    legacy = plant_legacy(standin, "demo", "store_clusters", "whsec_old")
    assert secrets.get_signing_secret("demo", "store_clusters") == "whsec_old"
    assert secrets.migrate_legacy_secret("demo", "store_clusters") is True
    assert legacy not in standin.secrets
    new = f"projects/{PROJECT}/secrets/{secret_id('demo', 'store_clusters')}"
    assert standin.secrets[new]["labels"] == {"wfapi_org": "demo"}
    assert secrets.get_signing_secret("demo", "store_clusters") == "whsec_old"
    assert secrets.migrate_legacy_secret("demo", "store_clusters") is False  # done once


def test_another_orgs_legacy_secret_under_a_colliding_id_is_never_read(
    secrets: SecretManagerSigningSecrets, standin: SecretManagerStandIn
) -> None:
    legacy = plant_legacy(standin, "acme", "corp-x", "whsec_acme")
    assert secrets.get_signing_secret("acme-corp", "x") is None
    assert secrets.migrate_legacy_secret("acme-corp", "x") is False
    secrets.delete_signing_secret("acme-corp", "x")
    assert legacy in standin.secrets  # not theirs to delete
    assert secrets.get_signing_secret("acme", "corp-x") == "whsec_acme"


def test_a_rotation_after_the_legacy_secret_wins(
    secrets: SecretManagerSigningSecrets, standin: SecretManagerStandIn
) -> None:
    legacy = plant_legacy(standin, "demo", "wf", "whsec_old")
    secrets.put_signing_secret("demo", "wf", "whsec_new")
    assert secrets.get_signing_secret("demo", "wf") == "whsec_new"
    assert secrets.migrate_legacy_secret("demo", "wf") is False
    secrets.delete_signing_secret("demo", "wf")
    assert legacy not in standin.secrets
    assert secrets.get_signing_secret("demo", "wf") is None


def test_the_migration_command_moves_every_legacy_secret_of_a_workflow_with_webhooks(
    secrets: SecretManagerSigningSecrets, standin: SecretManagerStandIn
) -> None:
    webhooks = InMemoryStore()  # the listing's own contract runs on Firestore (tests/contract)
    for org, workflow in (("demo", "a"), ("other", "b"), ("other", "c")):
        webhooks.put_webhooks(WebhookConfig(org, workflow, ("https://h.example/x",), NOW))
    legacy = plant_legacy(standin, "demo", "a", "whsec_a")
    secrets.put_signing_secret("other", "b", "whsec_b")
    plant_legacy(standin, "demo", "no-webhooks", "whsec_left")  # not listed: left alone

    report = migrate_signing_secrets(webhooks, secrets)
    assert report.migrated == [("demo", "a")]
    assert report.unchanged == [("other", "b"), ("other", "c")]
    assert legacy not in standin.secrets
    assert secrets.get_signing_secret("demo", "a") == "whsec_a"
    assert secrets.get_signing_secret("other", "b") == "whsec_b"
    assert migrate_signing_secrets(webhooks, secrets).migrated == []  # a second run moves nothing
