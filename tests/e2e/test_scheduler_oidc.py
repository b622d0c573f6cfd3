"""Cloud Scheduler's calls: a Google-signed OIDC ID token of a registered principal."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import OIDC_AUDIENCE
from tests.e2e.helpers import SEED_VALUES, Stack, execution_ids, poll
from tests.support.oidc_issuer import Issuer
from workflows_api.domain.access.tokens import Grant

pytestmark = pytest.mark.e2e

SCHEDULER = "scheduler@workflows-api-test.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def principal(stack: Stack) -> str:
    stack.app.admin.add_principal(SCHEDULER, "demo", frozenset({Grant.EXECUTE}))
    return SCHEDULER


def call(http: requests.Session, stack: Stack, token: str) -> requests.Response:
    return http.post(
        stack.url(f"/v1/workflows/{stack.info['workflow_id']}/executions"),
        json={"parameters": {**SEED_VALUES, "number_of_clusters": 6}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


def test_a_registered_principals_token_executes(
    http: requests.Session, stack: Stack, oidc_issuer: tuple[Issuer, str], principal: str
) -> None:
    issuer, _ = oidc_issuer
    answer = call(http, stack, issuer.token(email=principal, audience=OIDC_AUDIENCE))
    assert answer.status_code in (200, 202), answer.text
    assert poll(http, stack, answer.json()["id"])["state"] == "succeeded"
    # Its grants are its own: it may execute, not read workflows.
    read = http.get(
        stack.url(f"/v1/workflows/{stack.info['workflow_id']}"),
        headers={
            "Authorization": f"Bearer {issuer.token(email=principal, audience=OIDC_AUDIENCE)}"
        },
        timeout=30,
    )
    assert read.status_code == 403


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("wrong audience", 401),
        ("expired", 401),
        ("unknown principal", 403),
        ("bad signature", 401),
        ("not google", 401),
    ],
)
def test_bad_scheduler_tokens_are_refused(
    http: requests.Session,
    stack: Stack,
    oidc_issuer: tuple[Issuer, str],
    principal: str,
    case: str,
    status: int,
) -> None:
    issuer, _ = oidc_issuer
    token = {
        "wrong audience": lambda: issuer.token(email=principal, audience="https://elsewhere"),
        "expired": lambda: issuer.token(
            email=principal, audience=OIDC_AUDIENCE, lifetime=60, issued_ago=3600
        ),
        "unknown principal": lambda: issuer.token(
            email="stranger@else.iam.gserviceaccount.com", audience=OIDC_AUDIENCE
        ),
        "bad signature": lambda: Issuer(key_id=issuer.key_id).token(
            email=principal, audience=OIDC_AUDIENCE
        ),
        "not google": lambda: issuer.token(
            email=principal, audience=OIDC_AUDIENCE, issuer="https://evil.example"
        ),
    }[case]()
    before = execution_ids(stack)
    answer = call(http, stack, token)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] in ("invalid_token", "unknown_principal")
    assert execution_ids(stack) == before
