"""SecretManagerSigningSecrets through the real client library's REST transport,
against a stand-in server on loopback (there is no Secret Manager emulator): the
signing-secrets contract every implementation shares, and the stand-in itself held to
the library's routes and message shapes (so the contract is run against the API's
shapes, not only against the stand-in's)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import secretmanager
from google.cloud.secretmanager_v1.services.secret_manager_service.transports import rest_base

from tests.contract.signing_secrets_contract import SigningSecretsContract
from tests.support.secret_manager_standin import SecretManagerStandIn
from workflows_api.adapters.secret_manager import SecretManagerSigningSecrets, secret_id
from workflows_api.service.ports import SigningSecrets

pytestmark = pytest.mark.integration


@pytest.fixture
def standin() -> Iterator[SecretManagerStandIn]:
    server = SecretManagerStandIn()
    yield server
    server.stop()
    assert server.problems == [], "the stand-in strayed from the API's shapes"


def client_on(standin: SecretManagerStandIn) -> SecretManagerSigningSecrets:
    client = secretmanager.SecretManagerServiceClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options=ClientOptions(api_endpoint=standin.endpoint),
    )
    return SecretManagerSigningSecrets(client, "demo-project")


@pytest.fixture
def secrets(standin: SecretManagerStandIn) -> SecretManagerSigningSecrets:
    return client_on(standin)


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


class TestSecretManagerSigningSecrets(SigningSecretsContract):
    @pytest.fixture
    def secrets(self, standin: SecretManagerStandIn) -> SigningSecrets:
        return client_on(standin)


# Each call the adapter makes, by the REST transport's name for it.
ADAPTER_CALLS = (
    "CreateSecret",
    "AddSecretVersion",
    "AccessSecretVersion",
    "GetSecret",
    "DeleteSecret",
)


@pytest.mark.parametrize("call", ADAPTER_CALLS)
def test_the_standin_serves_the_librarys_route_for_each_call(
    standin: SecretManagerStandIn, call: str
) -> None:
    """Every http rule of the library for the call (not only the one the adapter takes
    today) is a route of the stand-in (501 would say it is not); locations/ ones aside,
    which the adapter never names."""
    base = rest_base._BaseSecretManagerServiceRestTransport
    rules = getattr(base, f"_Base{call}")._get_http_options()
    served = [rule for rule in rules if "/locations/" not in rule["uri"]]
    assert served, rules
    for rule in served:
        path = re.sub(r"\{\w+=([^}]+)\}", lambda m: m.group(1).replace("*", "x"), rule["uri"])
        path += "?secretId=s" if call == "CreateSecret" else ""
        body = {"payload": {"data": "eA=="}} if call == "AddSecretVersion" else {}
        answer = requests.request(
            rule["method"].upper(), standin.endpoint + path, json=body, timeout=10
        )
        assert answer.status_code != 501, (rule, answer.text)


def test_the_standin_notes_what_is_not_the_apis_shape(standin: SecretManagerStandIn) -> None:
    standin.check("a made-up field", {"name": "n", "labelz": {}}, secretmanager.Secret)
    standin.check("an error without its code", {"error": {"message": "x"}}, None, 404)
    assert len(standin.problems) == 2
    standin.problems.clear()
