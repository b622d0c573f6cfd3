"""WebhookStore, and how it lives beside SigningSecrets in a store (the secrets' own
contract: signing_secrets_contract.py)."""

from __future__ import annotations

from tests.contract.support import ORG, OTHER_ORG, Store, at
from workflows_api.domain.execution.webhooks import WebhookConfig


class WebhooksContract:
    def test_webhooks_round_trip_replacement_and_removal(self, store: Store) -> None:
        config = WebhookConfig(ORG, "wf-1", ("https://a.example/h", "https://b.example/h"), at(1))
        store.put_webhooks(config)
        assert store.get_webhooks(ORG, "wf-1") == config
        assert store.get_webhooks(OTHER_ORG, "wf-1") is None
        assert store.get_webhooks(ORG, "wf-2") is None

        replaced = WebhookConfig(ORG, "wf-1", ("https://c.example/h",), at(2))
        store.put_webhooks(replaced)
        assert store.get_webhooks(ORG, "wf-1") == replaced

        store.delete_webhooks(ORG, "wf-1")
        assert store.get_webhooks(ORG, "wf-1") is None
        store.delete_webhooks(ORG, "wf-1")  # deleting again is fine

    def test_every_orgs_workflows_with_webhooks_are_listed(self, store: Store) -> None:
        store.put_webhooks(WebhookConfig(ORG, "wf-1", ("https://a.example/h",), at(1)))
        store.put_webhooks(WebhookConfig(ORG, "wf-2", ("https://a.example/h",), at(1)))
        store.put_webhooks(WebhookConfig(OTHER_ORG, "wf-1", ("https://b.example/h",), at(1)))
        store.put_signing_secret(ORG, "wf-3", "whsec_no_urls")  # a secret is not a webhook
        listed = store.list_webhook_workflows()
        assert {(ORG, "wf-1"), (ORG, "wf-2"), (OTHER_ORG, "wf-1")} <= set(listed)
        assert (ORG, "wf-3") not in listed
        store.delete_webhooks(ORG, "wf-2")
        assert (ORG, "wf-2") not in store.list_webhook_workflows()

    def test_webhooks_and_secrets_are_removed_independently(self, store: Store) -> None:
        config = WebhookConfig(ORG, "wf-1", ("https://a.example/h",), at(1))
        store.put_webhooks(config)
        store.put_signing_secret(ORG, "wf-1", "whsec_abc")
        store.delete_webhooks(ORG, "wf-1")
        assert store.get_signing_secret(ORG, "wf-1") == "whsec_abc"
        store.put_webhooks(config)
        store.delete_signing_secret(ORG, "wf-1")
        assert store.get_webhooks(ORG, "wf-1") == config
