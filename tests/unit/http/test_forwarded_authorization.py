"""Where the caller's credential is read (http/auth.py): behind API Gateway in private
mode, `X-Forwarded-Authorization` (the gateway's own ID token is in `Authorization`);
otherwise `Authorization`, and `X-Forwarded-Authorization` is ignored. The gateway's
own account is never a caller."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.support.apps import with_demo_workflow
from tests.support.http_client import HttpClient
from tests.unit.adapters.test_oidc import AUDIENCE, ISSUER, verifier
from workflows_api.config import Settings
from workflows_api.domain.access.tokens import Grant
from workflows_api.http.tables import all_routes

GATEWAY = "wfapi-gateway@demo-project.iam.gserviceaccount.com"
SCHEDULER = "wfapi-scheduler@demo-project.iam.gserviceaccount.com"


def client(trusted: bool) -> HttpClient:
    settings = Settings(
        webhook_secrets="firestore",
        token_cache_seconds=0,
        trust_forwarded_authorization=trusted,
        gateway_service_account=GATEWAY,
    )
    world = with_demo_workflow(settings=settings, id_token_verifier=verifier(), now=now())
    return HttpClient(world, all_routes())


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def gateway_token() -> str:
    return ISSUER.token(email=GATEWAY, audience=AUDIENCE)


def read(client: HttpClient, **headers: str) -> Any:
    return client.call("GET", "/v1/workflows/clusters", headers=headers)


def test_trusted_the_forwarded_credential_is_the_callers() -> None:
    api = client(trusted=True)
    token = api.token()
    gateway = f"Bearer {gateway_token()}"
    answer = read(api, Authorization=gateway, **{"X-Forwarded-Authorization": f"Bearer {token}"})
    assert answer.status == 200, answer.body
    # A bad forwarded credential is refused, never replaced by the gateway's token.
    for forwarded in ("Bearer wfa_nonsense", "Basic abc", "Bearer ", ""):
        refused = read(api, Authorization=gateway, **{"X-Forwarded-Authorization": forwarded})
        assert refused.status == 401, forwarded
        # The forwarded credential was judged, not the gateway's token behind it.
        assert "gateway" not in refused.body["error"]["message"], forwarded


def test_trusted_without_a_forwarded_header_authorization_is_read() -> None:
    # Cloud Scheduler calls execute directly, with its own OIDC token.
    api = client(trusted=True)
    api.world.app.admin.add_principal(SCHEDULER, "demo", frozenset({Grant.WORKFLOWS_READ}))
    scheduler = ISSUER.token(email=SCHEDULER, audience=AUDIENCE)
    assert read(api, Authorization=f"Bearer {scheduler}").status == 200
    assert read(api, Authorization=f"Bearer {api.token()}").status == 200


def test_the_gateways_own_account_is_never_a_caller() -> None:
    api = client(trusted=True)
    # Even registered by mistake as a principal.
    api.world.app.admin.add_principal(GATEWAY, "demo", frozenset({Grant.WORKFLOWS_READ}))
    for headers in (
        {"Authorization": f"Bearer {gateway_token()}"},
        {"X-Forwarded-Authorization": f"Bearer {gateway_token()}"},
    ):
        refused = read(api, **headers)
        assert (refused.status, refused.body["error"]["code"]) == (401, "invalid_token")
        assert "gateway" in refused.body["error"]["message"]
    untrusted = client(trusted=False)
    untrusted.world.app.admin.add_principal(GATEWAY, "demo", frozenset({Grant.WORKFLOWS_READ}))
    refused = read(untrusted, Authorization=f"Bearer {gateway_token()}")
    assert refused.status == 401 and "gateway" in refused.body["error"]["message"]


def test_untrusted_the_forwarded_header_is_ignored() -> None:
    api = client(trusted=False)
    token = api.token()
    forged = {"X-Forwarded-Authorization": f"Bearer {token}"}
    assert read(api, **forged).status == 401  # no Authorization: nothing presented
    other = api.token("other")
    answer = read(api, Authorization=f"Bearer {token}", **{"X-Forwarded-Authorization": other})
    assert answer.status == 200


def test_carto_reads_the_forwarded_credential_too() -> None:
    api = client(trusted=True)
    token = api.token()
    body = {"query": "SELECT 1"}
    headers = {
        "Authorization": f"Bearer {gateway_token()}",
        "X-Forwarded-Authorization": f"Bearer {token}",
    }
    answer = api.call("POST", "/v3/sql/local/job", body=body, headers=headers)
    # Authenticated (the query itself is then refused as not a CALL of a workflow).
    assert answer.status == 400, answer.body
    anonymous = api.call(
        "POST", "/v3/sql/local/job", body=body, headers={"Authorization": headers["Authorization"]}
    )
    assert anonymous.status == 401


def test_the_setting_is_true_or_false() -> None:
    assert Settings.from_env({}).trust_forwarded_authorization is False
    for value, expected in (("true", True), ("TRUE", True), ("false", False), ("1", True)):
        env = {"WFAPI_TRUST_FORWARDED_AUTHORIZATION": value}
        assert Settings.from_env(env).trust_forwarded_authorization is expected
    with pytest.raises(ValueError, match="WFAPI_TRUST_FORWARDED_AUTHORIZATION"):
        Settings.from_env({"WFAPI_TRUST_FORWARDED_AUTHORIZATION": "yes please"})
