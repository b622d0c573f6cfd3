"""TokenStore and PrincipalStore on Firestore: who may call, and for which org.

Collections owned (top level: both are looked up before the caller's org is known):

    tokens/{token_id}                     only the secret's hash, never the secret
    principals/{sha256 of the email}      Google service accounts (Cloud Scheduler)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.api_core import exceptions
from google.cloud import firestore

from workflows_api.adapters.firestore.documents import (
    ONE_ATTEMPT,
    FirestoreCollections,
    call,
    delete_existing,
    optional_timestamp,
    optional_utc,
    read,
    run_query,
    timestamp,
    utc,
    write,
)
from workflows_api.domain.access.tokens import Grant, Principal, Token, principal_key


class FirestoreAccess(FirestoreCollections):
    """TokenStore and PrincipalStore."""

    # Tokens

    def create_token(self, token: Token) -> None:
        ref = self._client.collection("tokens").document(token.token_id)
        call(lambda: ref.create(_token_to_doc(token), **ONE_ATTEMPT))

    def get_token(self, token_id: str) -> Token | None:
        data = read(self._client.collection("tokens").document(token_id))
        return None if data is None else _token_from_doc(token_id, data)

    def list_tokens(self, org: str) -> list[Token]:
        # An equality filter alone needs no composite index; sorted here instead.
        query = self._client.collection("tokens").where(
            filter=firestore.FieldFilter("org", "==", org)
        )
        tokens = [_token_from_doc(s.id, s.to_dict() or {}) for s in run_query(query)]
        return sorted(tokens, key=lambda token: (token.created_at, token.token_id))

    def revoke_token(self, token_id: str, at: dt.datetime) -> bool:
        ref = self._client.collection("tokens").document(token_id)
        try:
            call(lambda: ref.update({"revoked_at": timestamp(at)}, **ONE_ATTEMPT))
        except exceptions.NotFound:
            return False
        return True

    # Principals: Google service accounts registered to an org (Cloud Scheduler).

    def get_principal(self, email: str) -> Principal | None:
        data = read(self._principal(email))
        return None if data is None else _principal_from_doc(data)

    def put_principal(self, principal: Principal) -> None:
        write(self._principal(principal.email), _principal_to_doc(principal))

    def delete_principal(self, email: str) -> bool:
        return delete_existing(self._principal(email))

    def list_principals(self, org: str) -> list[Principal]:
        query = self._client.collection("principals").where(
            filter=firestore.FieldFilter("org", "==", org)
        )
        principals = [_principal_from_doc(s.to_dict() or {}) for s in run_query(query)]
        return sorted(principals, key=lambda p: p.email)

    def _principal(self, email: str) -> firestore.DocumentReference:
        return self._client.collection("principals").document(principal_key(email))


def _token_to_doc(token: Token) -> dict[str, Any]:
    """Only the secret's hash is stored, never the secret."""
    return {
        "org": token.org,
        "secret_hash": token.secret_hash,
        "grants": sorted(grant.value for grant in token.grants),
        "created_at": timestamp(token.created_at),
        "name": token.name,
        "workflows": None if token.workflows is None else list(token.workflows),
        "expires_at": optional_timestamp(token.expires_at),
        "revoked_at": optional_timestamp(token.revoked_at),
    }


def _token_from_doc(token_id: str, data: dict[str, Any]) -> Token:
    workflows = data["workflows"]
    return Token(
        token_id=token_id,
        org=data["org"],
        secret_hash=data["secret_hash"],
        grants=frozenset(Grant(grant) for grant in data["grants"]),
        created_at=utc(data["created_at"]),
        name=data["name"],
        workflows=None if workflows is None else tuple(workflows),
        expires_at=optional_utc(data["expires_at"]),
        revoked_at=optional_utc(data["revoked_at"]),
    )


def _principal_to_doc(principal: Principal) -> dict[str, Any]:
    return {
        "email": principal.email,
        "org": principal.org,
        "grants": sorted(g.value for g in principal.grants),
        "workflows": list(principal.workflows) if principal.workflows is not None else None,
        "created_at": timestamp(principal.created_at),
    }


def _principal_from_doc(data: dict[str, Any]) -> Principal:
    return Principal(
        email=data["email"],
        org=data["org"],
        grants=frozenset(Grant(g) for g in data["grants"]),
        created_at=utc(data["created_at"]),
        workflows=tuple(data["workflows"]) if data["workflows"] is not None else None,
    )
