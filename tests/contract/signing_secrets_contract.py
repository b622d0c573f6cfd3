"""SigningSecrets (service/ports.py): a workflow's webhook signing secret, the behaviour
every implementation shares. Run on the stores (StoreContract: InMemoryStore, and
FirestoreStore on the emulator) and on SecretManagerSigningSecrets against the checked
stand-in (tests/integration/test_secret_manager.py): give it a `secrets` fixture, fresh."""

from __future__ import annotations

from tests.contract.support import ORG, OTHER_ORG
from workflows_api.service.ports import SigningSecrets


class SigningSecretsContract:
    def test_signing_secrets_round_trip_rotation_and_removal(self, secrets: SigningSecrets) -> None:
        assert secrets.get_signing_secret(ORG, "wf-1") is None
        secrets.put_signing_secret(ORG, "wf-1", "whsec_abc")
        assert secrets.get_signing_secret(ORG, "wf-1") == "whsec_abc"
        secrets.put_signing_secret(ORG, "wf-1", "whsec_rotated")
        assert secrets.get_signing_secret(ORG, "wf-1") == "whsec_rotated"
        secrets.delete_signing_secret(ORG, "wf-1")
        assert secrets.get_signing_secret(ORG, "wf-1") is None
        secrets.delete_signing_secret(ORG, "wf-1")  # deleting again is fine

    def test_a_secret_is_its_own_orgs_and_workflows(self, secrets: SigningSecrets) -> None:
        secrets.put_signing_secret(ORG, "wf-1", "whsec_acme")
        assert secrets.get_signing_secret(OTHER_ORG, "wf-1") is None
        assert secrets.get_signing_secret(ORG, "wf-2") is None
        secrets.delete_signing_secret(OTHER_ORG, "wf-1")  # another org's delete: nothing
        assert secrets.get_signing_secret(ORG, "wf-1") == "whsec_acme"

    def test_names_that_concatenate_alike_are_different_secrets(
        self, secrets: SigningSecrets
    ) -> None:
        # ("acme", "corp-x") and ("acme-corp", "x") once named the same Secret Manager id.
        secrets.put_signing_secret("acme", "corp-x", "whsec_one")
        secrets.put_signing_secret("acme-corp", "x", "whsec_two")
        assert secrets.get_signing_secret("acme", "corp-x") == "whsec_one"
        assert secrets.get_signing_secret("acme-corp", "x") == "whsec_two"
        secrets.delete_signing_secret("acme-corp", "x")
        assert secrets.get_signing_secret("acme", "corp-x") == "whsec_one"
