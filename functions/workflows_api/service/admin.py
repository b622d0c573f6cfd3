"""Operator use cases (the `wfapi` CLI): API tokens and connections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.identifiers import (
    EMAIL_PATTERN,
    ORG_PATTERN,
    SERVICE_ACCOUNT_PATTERN,
)
from workflows_api.domain.access.tokens import Grant, NewToken, Principal, Token, make_token
from workflows_api.domain.workflow.read_allowlist import entry_problem
from workflows_api.domain.workflow.sql_render import DATASET_PATTERN, PROJECT_PATTERN
from workflows_api.service.errors import ServiceError, WarehouseError
from workflows_api.service.ports import ConnectionStore, PrincipalStore, TokenStore, Warehouse


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


@dataclass(frozen=True, kw_only=True)
class AdminService:
    connections: ConnectionStore
    tokens: TokenStore
    clock: Callable[[], dt.datetime]
    principals: PrincipalStore
    warehouse: Warehouse
    single_org: bool

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
        now = self.clock()
        new = make_token(
            org,
            grants,
            now,
            name=name,
            workflows=workflows,
            expires_at=now + expires_in if expires_in else None,
        )
        self.tokens.create_token(new.token)
        return new

    def list_tokens(self, org: str) -> list[Token]:
        return sorted(self.tokens.list_tokens(org), key=lambda t: t.created_at)

    def revoke_token(self, token_id: str) -> None:
        if not self.tokens.revoke_token(token_id, self.clock()):
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
        existing = self.principals.get_principal(email)
        if existing is not None and existing.org != org:
            raise ServiceError(
                "conflict",
                "principal_taken",
                f"{email} is registered to another organization; remove it there first.",
                "email",
            )
        principal = Principal(email.strip().lower(), org, grants, self.clock(), workflows)
        self.principals.put_principal(principal)
        return principal

    def remove_principal(self, email: str) -> None:
        if not self.principals.delete_principal(email):
            raise ServiceError("not_found", "principal_not_found", f"No principal {email!r}.")

    def list_principals(self, org: str) -> list[Principal]:
        return self.principals.list_principals(org)

    def put_connection(self, connection: Connection) -> Connection:
        """Register (or replace) a connection and create its dataset if missing.

        Refused: a malformed name; no service account in a multi-org
        deployment (the org's SQL would run as the runtime, able to read every org's
        tables); a dataset another org's connection uses.
        """
        check_connection(connection, single_org=self.single_org)
        project, dataset = connection.project, connection.dataset
        # Claimed first, so a dataset another org holds is never touched; a claim left
        # by a registration that fails below reserves the name for this org only.
        owner = self.connections.claim_dataset(project, dataset, connection.org)
        if owner != connection.org:
            raise ServiceError(
                "conflict",
                "dataset_taken",
                f"dataset: {project}.{dataset} holds another "
                "organization's generated objects; choose another dataset (or omit it "
                "for the org's own).",
                "dataset",
            )
        try:
            self.warehouse.ensure_dataset(connection)
        except WarehouseError as error:
            raise ServiceError(
                "unprocessable",
                "dataset_unavailable",
                f"dataset: cannot use {project}.{dataset} as "
                f"{connection.service_account or 'the runtime identity'}: {error.message}",
                "dataset",
                details=[{"reason": error.reason, "message": error.message}],
            ) from None
        self.connections.put_connection(connection)
        return connection


def check_connection(connection: Connection, *, single_org: bool) -> None:
    check_org(connection.org)
    if not ORG_PATTERN.fullmatch(connection.id):
        raise ServiceError(
            "invalid",
            "invalid_connection",
            f"connection: expected a-z 0-9 _ -, got {connection.id!r}",
            "connection",
        )
    if not PROJECT_PATTERN.fullmatch(connection.project):
        raise ServiceError(
            "invalid",
            "invalid_project",
            f"project: not a GCP project id: {connection.project!r}",
            "project",
        )
    if not DATASET_PATTERN.fullmatch(connection.dataset):
        raise ServiceError(
            "invalid",
            "invalid_dataset",
            f"dataset: not a dataset name: {connection.dataset!r}",
            "dataset",
        )
    account = connection.service_account
    if account is None and not single_org:
        raise ServiceError(
            "invalid",
            "service_account_required",
            "service_account: this deployment serves several orgs, so each connection "
            "runs as its own service account: give one (WFAPI_SINGLE_ORG=true lets "
            "connections run as the runtime identity).",
            "service_account",
        )
    if account is not None and not SERVICE_ACCOUNT_PATTERN.fullmatch(account):
        raise ServiceError(
            "invalid",
            "invalid_service_account",
            f"service_account: expected a service account email, got {account[:200]!r}",
            "service_account",
        )
    for i, entry in enumerate(connection.read_allowlist):
        if (problem := entry_problem(entry)) is not None:
            raise ServiceError(
                "invalid",
                "invalid_read_allowlist",
                f"read_allowlist.{i}: {problem}",
                f"read_allowlist.{i}",
            )
