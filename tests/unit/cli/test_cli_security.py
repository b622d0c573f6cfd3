"""The `wfapi` commands of issue 12 on fakes: `secrets migrate` loops over every org's
workflows with webhooks (with secrets that have no legacy ids, such as Firestore on the
local stack, there is nothing to migrate); `connection create --read-allowlist`."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.apps import on_fakes
from workflows_api import cli
from workflows_api.domain.execution.webhooks import WebhookConfig
from workflows_api.service.secret_migration import MigratableSecrets


class LegacySecrets:
    """Secret Manager's behaviour for the loop: `legacy` pairs move once."""

    def __init__(self, legacy: set[tuple[str, str]]) -> None:
        self.legacy = legacy
        self.asked: list[tuple[str, str]] = []

    def migrate_legacy_secret(self, org: str, workflow_id: str) -> bool:
        self.asked.append((org, workflow_id))
        if (org, workflow_id) in self.legacy:
            self.legacy.discard((org, workflow_id))
            return True
        return False

    def get_signing_secret(self, org: str, workflow_id: str) -> str | None:
        return None

    def put_signing_secret(self, org: str, workflow_id: str, secret: str) -> None: ...
    def delete_signing_secret(self, org: str, workflow_id: str) -> None: ...


def run(monkeypatch: pytest.MonkeyPatch, **adapters: Any) -> tuple[Any, str]:
    world = on_fakes(**adapters)
    for org, workflow in (("demo", "a"), ("other", "b")):
        config = WebhookConfig(org, workflow, ("https://h.example/x",), world.clock())
        world.store.put_webhooks(config)
    monkeypatch.setattr(cli, "get_app", lambda: world.app)
    result = CliRunner().invoke(cli.app, ["secrets", "migrate"])
    assert result.exit_code == 0, result.output
    return world, result.output


def test_every_orgs_workflows_with_webhooks_are_migrated(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = LegacySecrets({("other", "b"), ("demo", "no-webhooks")})
    assert isinstance(secrets, MigratableSecrets)
    _, output = run(monkeypatch, signing_secrets=secrets)
    assert secrets.asked == [("demo", "a"), ("other", "b")]
    assert "migrated other/b" in output and "1 migrated, 1 already current" in output
    assert secrets.legacy == {("demo", "no-webhooks")}


def test_secrets_without_legacy_ids_have_nothing_to_migrate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, output = run(monkeypatch)  # signing secrets in the (fake) Firestore store
    assert "nothing to migrate" in output


def test_connection_create_takes_a_read_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    world = on_fakes()
    monkeypatch.setattr(cli, "get_app", lambda: world.app)
    base = ["connection", "create", "--org", "demo", "--id", "two", "--project", "demo-project"]
    account = ["--service-account", "wfapi-demo@demo-project.iam.gserviceaccount.com"]
    entries = ["--read-allowlist", "demo-project.retail", "--read-allowlist", "shared-proj.*"]
    result = CliRunner().invoke(cli.app, base + account + entries)
    assert result.exit_code == 0, result.output
    stored = world.store.get_connection("demo", "two")
    assert stored is not None
    assert stored.read_allowlist == ("demo-project.retail", "shared-proj.*")
    refused = CliRunner().invoke(
        cli.app, [*base[:5], "three", *base[6:], *account, "--read-allowlist", "x"]
    )
    assert refused.exit_code == 2
    assert "read_allowlist.0" in refused.output
    assert world.store.get_connection("demo", "three") is None
