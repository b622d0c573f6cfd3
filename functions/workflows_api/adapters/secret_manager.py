"""Webhook signing secrets in Secret Manager: one secret per workflow,
`wfapi-webhook-<org>-<workflow id>`, in the deployment's project; a rotation adds a
version and signing reads `latest`."""

from __future__ import annotations

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


def secret_id(org: str, workflow_id: str) -> str:
    """Org ids are [a-z0-9_-], workflow ids [A-Za-z0-9_-]: a valid secret id as is."""
    return f"{SECRET_PREFIX}{org}-{workflow_id}"


class SecretManagerSigningSecrets:
    def __init__(self, client: secretmanager.SecretManagerServiceClient, project: str) -> None:
        self._client = client
        self._project = project

    def get_signing_secret(self, org: str, workflow_id: str) -> str | None:
        name = f"{self._secret(org, workflow_id)}/versions/latest"
        try:
            response = self._client.access_secret_version(name=name, timeout=10)
        except exceptions.NotFound:
            return None
        except _TRANSIENT as error:
            raise BackendUnavailable("secret manager", str(error)) from None
        return response.payload.data.decode("utf-8")

    def put_signing_secret(self, org: str, workflow_id: str, secret: str) -> None:
        try:
            self._client.create_secret(
                parent=f"projects/{self._project}",
                secret_id=secret_id(org, workflow_id),
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
        try:
            self._client.delete_secret(name=self._secret(org, workflow_id), timeout=10)
        except exceptions.NotFound:
            pass
        except _TRANSIENT as error:
            raise BackendUnavailable("secret manager", str(error)) from None

    def _secret(self, org: str, workflow_id: str) -> str:
        return f"projects/{self._project}/secrets/{secret_id(org, workflow_id)}"
