"""Token authentication and grants, over an in-memory token store."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.apps import on_fakes
from tests.support.fakes import InMemoryStore
from workflows_api.config import Settings
from workflows_api.domain.access.tokens import (
    ALL_GRANTS,
    Grant,
    hash_secret,
    make_token,
    split_token,
)
from workflows_api.service.admin import AdminService
from workflows_api.service.auth import Authenticator, require
from workflows_api.service.errors import ServiceError

NOW = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def setup(cache_seconds: float = 0) -> tuple[InMemoryStore, AdminService, Authenticator]:
    settings = Settings(token_cache_seconds=cache_seconds)
    world = on_fakes(settings=settings, connections=(), now=NOW)
    return world.store, world.app.admin, world.app.authenticator


def refused(auth: Authenticator, presented: str | None) -> tuple[str, str]:
    with pytest.raises(ServiceError) as raised:
        auth.authenticate(presented)
    return raised.value.kind, raised.value.code


def test_a_new_token_authenticates_and_only_its_hash_is_stored() -> None:
    store, admin, auth = setup()
    new = admin.create_token("demo", frozenset({Grant.EXECUTE}))
    assert auth.authenticate(new.secret).org == "demo"
    stored = store.tokens[new.token.token_id]
    parts = split_token(new.secret)
    assert parts is not None
    assert stored.secret_hash == hash_secret(parts[1])
    assert parts[1] not in repr(stored)


@pytest.mark.parametrize("presented", [None, ""])
def test_missing_token(presented: str | None) -> None:
    assert refused(setup()[2], presented) == ("unauthenticated", "missing_token")


def test_malformed_unknown_and_wrong_secret() -> None:
    _, admin, auth = setup()
    new = admin.create_token("demo", frozenset({Grant.EXECUTE}))
    token_id = new.token.token_id
    assert refused(auth, "Bearer nonsense") == ("unauthenticated", "invalid_token")
    assert refused(auth, f"wfa_{token_id}_{'x' * 43}") == ("unauthenticated", "invalid_token")
    assert refused(auth, f"wfa_{'f' * 16}_{new.secret[-43:]}") == (
        "unauthenticated",
        "invalid_token",
    )


def test_revoked_and_expired() -> None:
    store, admin, auth = setup()
    revoked = admin.create_token("demo", frozenset({Grant.EXECUTE}))
    admin.revoke_token(revoked.token.token_id)
    assert refused(auth, revoked.secret) == ("unauthenticated", "invalid_token")
    expired = make_token("demo", frozenset(ALL_GRANTS), NOW, expires_at=NOW)
    store.create_token(expired.token)
    assert refused(auth, expired.secret) == ("unauthenticated", "invalid_token")


def test_verified_tokens_are_cached_for_the_configured_time() -> None:
    store, admin, auth = setup(cache_seconds=60)
    new = admin.create_token("demo", frozenset({Grant.EXECUTE}))
    auth.authenticate(new.secret)
    auth.authenticate(new.secret)
    assert store.token_reads == 1
    # A wrong secret for a cached id is still refused: the cache holds the hash, not a pass.
    assert refused(auth, new.secret[:-1] + ("A" if new.secret[-1] != "A" else "B")) == (
        "unauthenticated",
        "invalid_token",
    )


def test_grants_and_workflow_limits() -> None:
    _, admin, _ = setup()
    token = admin.create_token(
        "demo", frozenset({Grant.EXECUTE}), workflows=("a",)
    ).token.as_caller()
    require(token, Grant.EXECUTE, "a")
    with pytest.raises(ServiceError) as missing:
        require(token, Grant.WORKFLOWS_WRITE)
    assert (missing.value.kind, missing.value.code) == ("forbidden", "missing_grant")
    with pytest.raises(ServiceError) as other:
        require(token, Grant.EXECUTE, "b")
    assert (other.value.kind, other.value.code) == ("forbidden", "workflow_not_allowed")


def test_unknown_grant_name_is_refused() -> None:
    from workflows_api.service.admin import parse_grants

    with pytest.raises(ServiceError) as raised:
        parse_grants(["executions:create", "everything"])
    assert raised.value.code == "unknown_grant" and "everything" in raised.value.message
