"""WebhookStore and SigningSecrets on Firestore.

Collections owned (partitioned by org):

    orgs/{org}/webhooks/{workflow_id}          a workflow's notification URLs
    orgs/{org}/webhook_secrets/{workflow_id}   its signing secret, local stack only

Production keeps signing secrets in Secret Manager (adapters/secret_manager.py); the
local stack, which has no Secret Manager emulator, keeps them here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflows_api.adapters.firestore.documents import (
    FirestoreCollections,
    delete,
    read,
    run_query,
    timestamp,
    utc,
    write,
)

if TYPE_CHECKING:
    from workflows_api.domain.execution.webhooks import WebhookConfig


class FirestoreWebhooks(FirestoreCollections):
    """WebhookStore, and SigningSecrets for the local stack."""

    def get_webhooks(self, org: str, workflow_id: str) -> WebhookConfig | None:
        data = read(self._org(org, "webhooks").document(workflow_id))
        return None if data is None else _webhooks_from_doc(org, workflow_id, data)

    def put_webhooks(self, config: WebhookConfig) -> None:
        ref = self._org(config.org, "webhooks").document(config.workflow_id)
        write(ref, _webhooks_to_doc(config))

    def delete_webhooks(self, org: str, workflow_id: str) -> None:
        delete(self._org(org, "webhooks").document(workflow_id))

    def list_webhook_workflows(self) -> list[tuple[str, str]]:
        # A collection-group query: every orgs/{org}/webhooks/{workflow_id}, ids only.
        query = self._client.collection_group("webhooks").select([])
        found = [(s.reference.parent.parent, s.id) for s in run_query(query)]
        return sorted((org.id, workflow_id) for org, workflow_id in found if org is not None)

    def get_signing_secret(self, org: str, workflow_id: str) -> str | None:
        data = read(self._org(org, "webhook_secrets").document(workflow_id))
        return None if data is None else str(data["secret"])

    def put_signing_secret(self, org: str, workflow_id: str, secret: str) -> None:
        write(self._org(org, "webhook_secrets").document(workflow_id), {"secret": secret})

    def delete_signing_secret(self, org: str, workflow_id: str) -> None:
        delete(self._org(org, "webhook_secrets").document(workflow_id))


def _webhooks_to_doc(config: WebhookConfig) -> dict[str, Any]:
    return {"urls": list(config.urls), "updated_at": timestamp(config.updated_at)}


def _webhooks_from_doc(org: str, workflow_id: str, data: dict[str, Any]) -> WebhookConfig:
    # Imported with the first webhook settings read (the webhook paths), not with the
    # store every function builds (cold start).
    from workflows_api.domain.execution.webhooks import WebhookConfig

    return WebhookConfig(org, workflow_id, tuple(data["urls"]), utc(data["updated_at"]))
