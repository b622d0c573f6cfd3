"""Moving webhook signing secrets from their legacy ids to the hashed ids (issue 12).

Secret ids were `wfapi-webhook-<org>-<workflow id>`, ambiguous across orgs; they are
now derived from a hash of org NUL workflow id (adapters/secret_manager.py). Reads
fall back to a legacy secret the reader's org created, so deliveries keep working
until this runs; it moves each workflow's legacy secret once and may be run again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from workflows_api.service.ports import SigningSecrets, WebhookStore


@runtime_checkable
class MigratableSecrets(Protocol):
    """Signing secrets that may still be under a legacy id (Secret Manager)."""

    def migrate_legacy_secret(self, org: str, workflow_id: str) -> bool: ...


@dataclass
class MigrationReport:
    migrated: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    applicable: bool = True  # False: the secrets' store has no legacy ids at all


def migrate_signing_secrets(webhooks: WebhookStore, secrets: SigningSecrets) -> MigrationReport:
    """Move the legacy secret of every workflow with webhooks, in every org."""
    if not isinstance(secrets, MigratableSecrets):
        return MigrationReport(applicable=False)
    report = MigrationReport()
    for org, workflow_id in webhooks.list_webhook_workflows():
        moved = secrets.migrate_legacy_secret(org, workflow_id)
        (report.migrated if moved else report.unchanged).append((org, workflow_id))
    return report
