"""TokenStore and PrincipalStore: the behaviour every implementation shares."""

from __future__ import annotations

from dataclasses import replace

import pytest
from google.api_core import exceptions

from tests.contract.support import ORG, OTHER_ORG, Store, at, token
from workflows_api.domain.access.tokens import Grant, Principal


class AccessContract:
    def test_token_round_trip_and_listing(self, store: Store) -> None:
        issued = token()
        everywhere = replace(token("fedcba9876543210"), workflows=None, expires_at=None, name="")
        store.create_token(issued)
        store.create_token(everywhere)
        store.create_token(token("1111111111111111", org=OTHER_ORG))

        assert store.get_token(issued.token_id) == issued
        assert store.get_token(everywhere.token_id) == everywhere
        assert store.get_token("ffffffffffffffff") is None
        assert store.list_tokens(ORG) == [issued, everywhere]

    def test_tokens_list_oldest_first_then_by_id(self, store: Store) -> None:
        newest = replace(token("0000000000000000"), created_at=at(10))
        second = replace(token("bbbbbbbbbbbbbbbb"), created_at=at(5))
        first = replace(token("aaaaaaaaaaaaaaaa"), created_at=at(5))
        for issued in (newest, second, first):
            store.create_token(issued)
        assert store.list_tokens(ORG) == [first, second, newest]
        assert store.list_tokens("nobody") == []

    def test_creating_an_existing_token_is_refused(self, store: Store) -> None:
        issued = token()
        store.create_token(issued)
        with pytest.raises(exceptions.Conflict):
            store.create_token(replace(issued, org=OTHER_ORG, secret_hash="cd" * 32))
        assert store.get_token(issued.token_id) == issued

    def test_revoke_token(self, store: Store) -> None:
        issued = token()
        store.create_token(issued)
        assert store.revoke_token(issued.token_id, at(100)) is True

        revoked = store.get_token(issued.token_id)
        assert revoked == replace(issued, revoked_at=at(100))
        assert revoked is not None and not revoked.is_active(at(101))
        assert store.revoke_token("ffffffffffffffff", at(100)) is False
        assert store.get_token("ffffffffffffffff") is None

    def test_principal_round_trip_listing_and_removal(self, store: Store) -> None:
        scheduler = Principal(
            "scheduler@p.iam.gserviceaccount.com", ORG, frozenset({Grant.EXECUTE}), at(1), ("wf-1",)
        )
        other = Principal(
            "x@p.iam.gserviceaccount.com", OTHER_ORG, frozenset({Grant.EXECUTE}), at(2)
        )
        store.put_principal(scheduler)
        store.put_principal(other)
        assert store.get_principal("Scheduler@p.iam.gserviceaccount.com") == scheduler
        assert store.get_principal(" scheduler@p.iam.gserviceaccount.com ") == scheduler
        assert store.get_principal(other.email) == other
        assert store.list_principals(ORG) == [scheduler]
        assert store.delete_principal(scheduler.email) is True
        assert store.delete_principal(scheduler.email) is False
        assert store.get_principal(scheduler.email) is None
        assert store.list_principals(ORG) == []

    def test_principals_list_by_email_and_replace_by_email(self, store: Store) -> None:
        grants = frozenset({Grant.EXECUTE})
        later = Principal("b@p.iam.gserviceaccount.com", ORG, grants, at(1))
        earlier = Principal("a@p.iam.gserviceaccount.com", ORG, grants, at(2))
        store.put_principal(later)
        store.put_principal(earlier)
        assert store.list_principals(ORG) == [earlier, later]
        # One record per service account, whatever the case it was written in.
        moved = Principal("B@p.iam.gserviceaccount.com", OTHER_ORG, grants, at(3))
        store.put_principal(moved)
        assert store.list_principals(ORG) == [earlier]
        assert store.get_principal(later.email) == moved
        assert store.delete_principal("B@P.iam.gserviceaccount.com") is True
