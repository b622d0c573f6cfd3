"""Operator use cases (the `wfapi` CLI): API tokens and connections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from workflows_api.domain.identifiers import EMAIL_PATTERN, ORG_PATTERN
from workflows_api.domain.read_allowlist import entry_problem
from workflows_api.domain.sql import DATASET_PATTERN, PROJECT_PATTERN
from workflows_api.domain.tokens import Grant, NewToken, Principal, Token, make_token
from workflows_api.service.errors import ServiceError
from workflows_api.service.ports import Connection, ConnectionStore, PrincipalStore, TokenStore


def check_org(org: str) -> None:
    if not ORG_PATTERN.fullmatch(org):
        raise ServiceError(
            "invalid", "invalid_org", f"org: expected 1-63 of a-z 0-9 _ -, got {org!r}", "org"
        )


def parse_grants(names: Iterable[str]) -> frozenset[Grant]:
    grants = set()
    for name in names:
        try:
            grants.add(Grant(name))
        except ValueError:
            known = ", ".join(g.value for g in Grant)
            raise ServiceError(
                "invalid", "unknown_grant", f"grant: {name!r} is not one of {known}", "grant"
            ) from None
    return frozenset(grants)


class AdminService:
    def __init__(
        self,
        *,
        connections: ConnectionStore,
        tokens: TokenStore,
        clock: Callable[[], dt.datetime],
        principals: PrincipalStore,
    ) -> None:
        self._connections = connections
        self._tokens = tokens
        self._clock = clock
        self._principals = principals

    def create_token(
        self,
        org: str,
        grants: frozenset[Grant],
        *,
        name: str = "",
        workflows: tuple[str, ...] | None = None,
        expires_in: dt.timedelta | None = None,
    ) -> NewToken:
        """A new token; its secret is in the result and nowhere else."""
        check_org(org)
        if not grants:
            raise ServiceError("invalid", "no_grants", "grant: give at least one grant", "grant")
        now = self._clock()
        new = make_token(
            org,
            grants,
            now,
            name=name,
            workflows=workflows,
            expires_at=now + expires_in if expires_in else None,
        )
        self._tokens.create_token(new.token)
        return new

    def list_tokens(self, org: str) -> list[Token]:
        return sorted(self._tokens.list_tokens(org), key=lambda t: t.created_at)

    def revoke_token(self, token_id: str) -> None:
        if not self._tokens.revoke_token(token_id, self._clock()):
            raise ServiceError("not_found", "token_not_found", f"No token {token_id!r}.")

    def add_principal(
        self,
        email: str,
        org: str,
        grants: frozenset[Grant],
        workflows: tuple[str, ...] | None = None,
    ) -> Principal:
        """Register a service account (whose OIDC tokens Cloud Scheduler sends) to an org."""
        check_org(org)
        if not EMAIL_PATTERN.fullmatch(email):
            raise ServiceError(
                "invalid", "invalid_email", f"email: not an email: {email!r}", "email"
            )
        if not grants:
            raise ServiceError("invalid", "no_grants", "grant: give at least one grant", "grant")
        existing = self._principals.get_principal(email)
        if existing is not None and existing.org != org:
            raise ServiceError(
                "conflict",
                "principal_taken",
                f"{email} is registered to another organization; remove it there first.",
                "email",
            )
        principal = Principal(email.strip().lower(), org, grants, self._clock(), workflows)
        self._principals.put_principal(principal)
        return principal

    def remove_principal(self, email: str) -> None:
        if not self._principals.delete_principal(email):
            raise ServiceError("not_found", "principal_not_found", f"No principal {email!r}.")

    def list_principals(self, org: str) -> list[Principal]:
        return self._principals.list_principals(org)

    def put_connection(self, connection: Connection) -> Connection:
        check_org(connection.org)
        if not ORG_PATTERN.fullmatch(connection.id):
            raise ServiceError(
                "invalid",
                "invalid_connection",
                f"connection: expected a-z 0-9 _ -, got {connection.id!r}",
            )
        if not PROJECT_PATTERN.fullmatch(connection.project):
            raise ServiceError(
                "invalid",
                "invalid_project",
                f"project: not a GCP project id: {connection.project!r}",
            )
        if not DATASET_PATTERN.fullmatch(connection.dataset):
            raise ServiceError(
                "invalid", "invalid_dataset", f"dataset: not a dataset name: {connection.dataset!r}"
            )
        for i, entry in enumerate(connection.read_allowlist):
            if (problem := entry_problem(entry)) is not None:
                raise ServiceError(
                    "invalid",
                    "invalid_read_allowlist",
                    f"read_allowlist.{i}: {problem}",
                    f"read_allowlist.{i}",
                )
        self._connections.put_connection(connection)
        return connection
