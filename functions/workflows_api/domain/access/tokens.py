"""API tokens: format, hashing and grants.

A token reads `wfa_<token id>_<secret>`. Only sha256(secret) is stored, under the
token id; the secret is shown once when the token is made. The id is public (it
names the token in listings and revocation) and carries no power on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

TOKEN_PREFIX = "wfa_"  # noqa: S105 (a prefix, not a secret)
_TOKEN_PATTERN = re.compile(r"^wfa_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class Grant(StrEnum):
    WORKFLOWS_READ = "workflows:read"  # read definitions, compiled SQL and API state
    WORKFLOWS_WRITE = "workflows:write"  # create, replace, delete; enable/update/disable API
    EXECUTE = "executions:create"
    EXECUTIONS_READ = "executions:read"  # status, listing, results
    EXECUTIONS_CANCEL = "executions:cancel"
    SCHEDULES_READ = "schedules:read"  # read schedules and their last runs
    # create, change, delete and run-now schedules (creating and running also need
    # executions:create: a schedule starts executions as the org)
    SCHEDULES_WRITE = "schedules:write"


ALL_GRANTS = tuple(Grant)


@dataclass(frozen=True)
class Caller:
    """Who is calling, once authenticated: an API token or a registered principal."""

    id: str  # the token id, or `principal:<service account email>`
    org: str
    grants: frozenset[Grant]
    workflows: tuple[str, ...] | None = None  # None: every workflow of the org

    def allows_workflow(self, workflow_id: str) -> bool:
        return self.workflows is None or workflow_id in self.workflows


@dataclass(frozen=True)
class Principal:
    """A Google service account (Cloud Scheduler's OIDC identity) registered to one org."""

    email: str
    org: str
    grants: frozenset[Grant]
    created_at: dt.datetime
    workflows: tuple[str, ...] | None = None

    def as_caller(self) -> Caller:
        return Caller(f"principal:{self.email}", self.org, self.grants, self.workflows)


def principal_key(email: str) -> str:
    """Document id of a principal: emails hold characters Firestore ids should not."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Token:
    token_id: str
    org: str
    secret_hash: str
    grants: frozenset[Grant]
    created_at: dt.datetime
    name: str = ""
    workflows: tuple[str, ...] | None = None  # None: every workflow of the org
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None

    def is_active(self, now: dt.datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at

    def allows_workflow(self, workflow_id: str) -> bool:
        return self.workflows is None or workflow_id in self.workflows

    def as_caller(self) -> Caller:
        return Caller(self.token_id, self.org, self.grants, self.workflows)


@dataclass(frozen=True)
class NewToken:
    token: Token
    secret: str  # the full `wfa_...` string, to show once


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_token(presented: str) -> tuple[str, str] | None:
    """(token id, secret part) of a well-formed token, else None."""
    match = _TOKEN_PATTERN.fullmatch(presented)
    return (match.group(1), match.group(2)) if match else None


def secret_matches(token: Token, presented_secret: str) -> bool:
    return hmac.compare_digest(token.secret_hash, hash_secret(presented_secret))


def make_token(
    org: str,
    grants: frozenset[Grant],
    now: dt.datetime,
    *,
    name: str = "",
    workflows: tuple[str, ...] | None = None,
    expires_at: dt.datetime | None = None,
) -> NewToken:
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)  # 43 characters
    token = Token(
        token_id=token_id,
        org=org,
        secret_hash=hash_secret(secret),
        grants=grants,
        created_at=now,
        name=name,
        workflows=workflows,
        expires_at=expires_at,
    )
    return NewToken(token, f"{TOKEN_PREFIX}{token_id}_{secret}")
