"""Google ID tokens: signature, audience, issuer, expiry; principals; cached certificates."""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable

import pytest

from tests.support.apps import on_fakes
from tests.support.fakes import InMemoryStore
from tests.support.oidc_issuer import Issuer
from workflows_api.adapters.google_oidc import (
    MAX_TOKEN_CHARS,
    UNKNOWN_KEY_REFETCH_SECONDS,
    GoogleIdTokenVerifier,
)
from workflows_api.config import Settings
from workflows_api.domain.access.tokens import Grant
from workflows_api.service.admin import AdminService
from workflows_api.service.auth import Authenticator
from workflows_api.service.errors import InvalidIdToken, ServiceError

AUDIENCE = "https://execute.example.run.app"
SA = "scheduler@demo-project.iam.gserviceaccount.com"
NOW = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
ISSUER = Issuer()


class Fetches:
    def __init__(self, *issuers: Issuer) -> None:
        self.count = 0
        self.certs = {k: v for issuer in issuers for k, v in issuer.certs.items()}

    def __call__(self, url: str) -> tuple[dict[str, str], float]:
        self.count += 1
        return dict(self.certs), 3600.0


def verifier(
    fetch: Fetches | None = None, monotonic: Callable[[], float] = time.monotonic
) -> GoogleIdTokenVerifier:
    return GoogleIdTokenVerifier(
        AUDIENCE, "https://certs.example", fetch or Fetches(ISSUER), monotonic
    )


def test_a_good_token_verifies_and_certificates_are_cached() -> None:
    fetch = Fetches(ISSUER)
    check = verifier(fetch)
    for _ in range(3):
        assert check.verify(ISSUER.token(email=SA, audience=AUDIENCE))["email"] == SA
    assert fetch.count == 1


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (
            ISSUER.token(email=SA, audience="https://someone-else.example"),
            "it was issued for another audience",
        ),
        (
            ISSUER.token(email=SA, audience=AUDIENCE, lifetime=60, issued_ago=3600),
            "it has expired",
        ),
        (
            ISSUER.token(email=SA, audience=AUDIENCE, issuer="https://evil.example"),
            "issuer 'https://evil.example' is not Google",
        ),
        (
            Issuer(key_id="test-key-1").token(email=SA, audience=AUDIENCE),  # other key
            "its signature does not verify",
        ),
        ("not.a.jwt", "it cannot be decoded"),
    ],
    ids=["wrong audience", "expired", "wrong issuer", "bad signature", "garbage"],
)
def test_bad_tokens_are_refused_saying_which_check_failed(token: str, reason: str) -> None:
    with pytest.raises(InvalidIdToken) as refused:
        verifier().verify(token)
    assert str(refused.value) == reason  # never google-auth's text: it quotes our audience


def test_an_unknown_key_id_fetches_the_certificates_again_at_most_once_a_minute() -> None:
    rotated = Issuer(key_id="test-key-2")
    forger = Issuer(key_id="forged-key")
    fetch = Fetches(ISSUER)
    now = [1000.0]
    check = verifier(fetch, lambda: now[0])
    check.verify(ISSUER.token(email=SA, audience=AUDIENCE))
    fetch.certs.update(rotated.certs)
    for _ in range(5):  # unknown key ids within the minute: no fetch per request
        with pytest.raises(InvalidIdToken):
            check.verify(forger.token(email=SA, audience=AUDIENCE))
    assert fetch.count == 1
    now[0] += UNKNOWN_KEY_REFETCH_SECONDS
    assert check.verify(rotated.token(email=SA, audience=AUDIENCE))["email"] == SA
    assert fetch.count == 2


@pytest.mark.parametrize(
    "token",
    [
        "e" + "yJ" * 5000 + ".x.y",
        base64.urlsafe_b64encode(b"[" * 2500 + b"]" * 2500).decode() + ".e30.sig",
        "a.b.c" + "a" * MAX_TOKEN_CHARS,
    ],
    ids=["junk header", "header nested 2500 deep", "oversized"],
)
def test_hostile_tokens_are_refused_without_fetching(token: str) -> None:
    fetch = Fetches(ISSUER)
    check = verifier(fetch)
    check.verify(ISSUER.token(email=SA, audience=AUDIENCE))
    with pytest.raises(InvalidIdToken):
        check.verify(token)
    assert fetch.count == 1


def authenticator() -> tuple[InMemoryStore, AdminService, Authenticator]:
    world = on_fakes(
        settings=Settings(token_cache_seconds=0),
        connections=(),
        now=NOW,
        id_token_verifier=verifier(),
    )
    return world.store, world.app.admin, world.app.authenticator


def test_a_registered_principal_acts_for_its_org_with_its_grants() -> None:
    _, admin, auth = authenticator()
    admin.add_principal(SA, "demo", frozenset({Grant.EXECUTE}), ("store_clusters",))
    caller = auth.authenticate(ISSUER.token(email=SA, audience=AUDIENCE))
    assert (caller.org, caller.grants, caller.id) == (
        "demo",
        frozenset({Grant.EXECUTE}),
        f"principal:{SA}",
    )
    assert caller.allows_workflow("store_clusters") and not caller.allows_workflow("other")


def test_unknown_principal_and_unverified_email_are_refused() -> None:
    _, admin, auth = authenticator()
    with pytest.raises(ServiceError) as unknown:
        auth.authenticate(ISSUER.token(email=SA, audience=AUDIENCE))
    assert (unknown.value.kind, unknown.value.code) == ("forbidden", "unknown_principal")
    admin.add_principal(SA, "demo", frozenset({Grant.EXECUTE}))
    with pytest.raises(ServiceError) as unverified:
        auth.authenticate(ISSUER.token(email=SA, audience=AUDIENCE, email_verified=False))
    assert unverified.value.kind == "unauthenticated"
    admin.remove_principal(SA)
    with pytest.raises(ServiceError) as removed:
        auth.authenticate(ISSUER.token(email=SA, audience=AUDIENCE))
    assert removed.value.code == "unknown_principal"


def test_a_principal_belongs_to_one_org() -> None:
    _, admin, _ = authenticator()
    admin.add_principal(SA, "demo", frozenset({Grant.EXECUTE}))
    with pytest.raises(ServiceError) as taken:
        admin.add_principal(SA, "other", frozenset({Grant.EXECUTE}))
    assert taken.value.code == "principal_taken"


def test_without_an_audience_id_tokens_are_not_accepted() -> None:
    auth = on_fakes(connections=(), now=NOW).app.authenticator  # no audience configured
    with pytest.raises(ServiceError) as refused:
        auth.authenticate(ISSUER.token(email=SA, audience=AUDIENCE))
    assert refused.value.kind == "unauthenticated"
