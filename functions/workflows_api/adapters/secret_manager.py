"""Webhook signing secrets in Secret Manager: one secret per workflow,
`wfapi-webhook-<sha256(org NUL workflow id)>`, in the deployment's project; a rotation
adds a version and signing reads `latest`.

Ids used to be `wfapi-webhook-<org>-<workflow id>`, where ("acme", "corp-x") and
("acme-corp", "x") name the same secret. Migration: reading falls back to the legacy
id, but only to a secret labelled with the reader's org (the label was set at creation,
so a secret another org created under a colliding id is never read); writes go to the
new id only; `migrate_legacy_secret` copies a legacy secret to its new id and deletes
it (run once per workflow with webhooks, e.g. from an admin command).
"""

from __future__ import annotations

import hashlib

from google.api_core import exceptions
from google.cloud import secretmanager

from workflows_api.service.errors import BackendUnavailable

SECRET_PREFIX = "wfapi-webhook-"  # noqa: S105 (a name prefix, not a secret)
_TRANSIENT = (
    exceptions.ServiceUnavailable,
    exceptions.InternalServerError,
    exceptions.TooManyRequests,
    exceptions.DeadlineExceeded,
)


def secret_id(org: str, workflow_id: str, prefix: str = SECRET_PREFIX) -> str:
    """One id per (org, workflow): NUL cannot occur in either, so no two pairs meet."""
    digest = hashlib.sha256(f"{org}\0{workflow_id}".encode()).hexdigest()
    return f"{prefix}{digest}"


def legacy_secret_id(org: str, workflow_id: str, prefix: str = SECRET_PREFIX) -> str:
    """The id before the hash (ambiguous across orgs): read for migration only."""
    return f"{prefix}{org}-{workflow_id}"


class SecretManagerSigningSecrets:
    def __init__(
        self,
        client: secretmanager.SecretManagerServiceClient,
        project: str,
        prefix: str = SECRET_PREFIX,
    ) -> None:
        self._client = client
        self._project = project
        # The deployment's own (WFAPI_WEBHOOK_SECRET_PREFIX): its runtime may touch
        # only secrets whose id starts with it (infra/modules/workflows_api/secrets.tf).
        self._prefix = prefix

    def get_signing_secret(self, org: str, workflow_id: str) -> str | None:
        current = self._latest(self._secret(org, workflow_id))
        if current is not None:
            return current
        return self._legacy_secret(org, workflow_id)

    def migrate_legacy_secret(self, org: str, workflow_id: str) -> bool:
        """Copy the org's legacy secret to its new id and delete it; False when there
        was nothing to move (already migrated, never set, or another org's secret)."""
        if self._latest(self._secret(org, workflow_id)) is not None:
            return False
        legacy = self._legacy_secret(org, workflow_id)
        if legacy is None:
            return False
        self.put_signing_secret(org, workflow_id, legacy)
        self._delete(self._legacy(org, workflow_id))
        return True

    def put_signing_secret(self, org: str, workflow_id: str, secret: str) -> None:
        try:
            self._client.create_secret(
                parent=f"projects/{self._project}",
                secret_id=secret_id(org, workflow_id, self._prefix),
                secret=secretmanager.Secret(
                    replication=secretmanager.Replication(
                        automatic=secretmanager.Replication.Automatic()
                    ),
                    labels={"wfapi_org": org},
                ),
                timeout=10,
            )
        except exceptions.Conflict:  # AlreadyExists; over REST, a plain 409
            pass  # a rotation: a new version of the same secret
        except _TRANSIENT as error:
            raise BackendUnavailable("secret manager", str(error)) from None
        try:
            self._client.add_secret_version(
                parent=self._secret(org, workflow_id),
                payload=secretmanager.SecretPayload(data=secret.encode("utf-8")),
                timeout=10,
            )
        except _TRANSIENT as error:
            raise BackendUnavailable("secret manager", str(error)) from None

    def delete_signing_secret(self, org: str, workflow_id: str) -> None:
        self._delete(self._secret(org, workflow_id))
        if self._owned_by(self._legacy(org, workflow_id), org):
            self._delete(self._legacy(org, workflow_id))

    def _latest(self, secret: str) -> str | None:
        try:
            response = self._client.access_secret_version(
                name=f"{secret}/versions/latest", timeout=10
            )
        except exceptions.NotFound:
            return None
        except _TRANSIENT as error:
            raise BackendUnavailable("secret manager", str(error)) from None
        return response.payload.data.decode("utf-8")

    def _legacy_secret(self, org: str, workflow_id: str) -> str | None:
        legacy = self._legacy(org, workflow_id)
        return self._latest(legacy) if self._owned_by(legacy, org) else None

    def _owned_by(self, secret: str, org: str) -> bool:
        try:
            found = self._client.get_secret(name=secret, timeout=10)
        except exceptions.NotFound:
            return False
        except _TRANSIENT as error:
            raise BackendUnavailable("secret manager", str(error)) from None
        return dict(found.labels).get("wfapi_org") == org

    def _delete(self, secret: str) -> None:
        try:
            self._client.delete_secret(name=secret, timeout=10)
        except exceptions.NotFound:
            pass
        except _TRANSIENT as error:
            raise BackendUnavailable("secret manager", str(error)) from None

    def _secret(self, org: str, workflow_id: str) -> str:
        return f"projects/{self._project}/secrets/{secret_id(org, workflow_id, self._prefix)}"

    def _legacy(self, org: str, workflow_id: str) -> str:
        legacy = legacy_secret_id(org, workflow_id, self._prefix)
        return f"projects/{self._project}/secrets/{legacy}"
