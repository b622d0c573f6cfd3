"""Settings, read once from environment variables.

Every variable the deployed functions read is listed here (the Terraform tests
cross-check this list against `infra/`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache

DEFAULT_PROJECT = "workflows-api-local"


@dataclass(frozen=True)
class Settings:
    # GCP project holding Firestore and, for the single-tenant default, BigQuery.
    project: str = DEFAULT_PROJECT
    # BigQuery location for jobs and the generated dataset.
    bigquery_location: str = "US"
    # Local only: "host:port" of the BigQuery emulator. Unset in production.
    bigquery_emulator_host: str | None = None
    # Local only: "host:port" of the Firestore emulator (read by the client library).
    firestore_emulator_host: str | None = None
    # Firestore database id.
    firestore_database: str = "(default)"
    log_level: str = "INFO"
    # How long a verified API token is trusted without reading Firestore again.
    token_cache_seconds: float = 10.0
    # The sweep re-reads an open execution not reconciled for this long (its completion
    # event may be lost): service/sweep.py RECHECK_AFTER.
    sweep_recheck_seconds: float = 600.0
    # Pub/Sub topics whose messages start executions, each bound to one org:
    # {"projects/p/topics/t": "org"}. A topic not listed runs nothing.
    pubsub_topic_orgs: dict[str, str] = field(default_factory=dict)
    # Where webhook signing secrets live: "secret-manager" (production) or "firestore"
    # (the local stack: there is no Secret Manager emulator).
    webhook_secrets: str = "secret-manager"
    # Local stack and tests only: let webhooks go to http:// receivers (else HTTPS only).
    webhooks_allow_http: bool = False
    # Secret Manager secret-id prefix of this deployment's webhook signing secrets.
    webhook_secret_prefix: str = "wfapi-webhook-"  # noqa: S105 (a name prefix)
    # Pub/Sub topic (projects/<p>/topics/<t>) of webhook deliveries, pushed to
    # deliver_webhook. Unset: `<project>`'s DEFAULT_DELIVERY_TOPIC.
    webhook_delivery_topic: str | None = None
    # Local only: "host:port" of the Pub/Sub emulator (deliveries are queued there).
    pubsub_emulator_host: str | None = None
    # Behind API Gateway in private mode: the caller's credential is in
    # X-Forwarded-Authorization (Authorization holds the gateway's own ID token, checked
    # by Cloud Run). False: X-Forwarded-Authorization is ignored.
    trust_forwarded_authorization: bool = False
    # API Gateway's own service account: its ID tokens are never a caller's credential.
    gateway_service_account: str | None = None
    # Audience of Cloud Scheduler's OIDC ID tokens (the URL it calls). Unset: no OIDC.
    oidc_audience: str | None = None
    # Where Google's token-signing certificates are published (tests serve their own).
    oidc_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    # One org only: connections may run as the runtime identity (no service account).
    # Off (the default), every connection must name a service account to impersonate.
    single_org: bool = False
    # The IAM Credentials API (`generateAccessToken`); the local stack runs a stand-in.
    iam_credentials_endpoint: str = "https://iamcredentials.googleapis.com"
    # "cloud-trace": OpenTelemetry spans of every request and backend call are exported
    # to Cloud Trace (tracing.py). Unset: none are made (trace ids are still logged).
    trace_export: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        return cls(
            project=env.get("GOOGLE_CLOUD_PROJECT") or DEFAULT_PROJECT,
            bigquery_location=env.get("WFAPI_BIGQUERY_LOCATION", "US"),
            bigquery_emulator_host=env.get("BIGQUERY_EMULATOR_HOST") or None,
            firestore_emulator_host=env.get("FIRESTORE_EMULATOR_HOST") or None,
            firestore_database=env.get("WFAPI_FIRESTORE_DATABASE", "(default)"),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            token_cache_seconds=float(env.get("WFAPI_TOKEN_CACHE_SECONDS", "10")),
            sweep_recheck_seconds=float(env.get("WFAPI_SWEEP_RECHECK_SECONDS", "600")),
            oidc_audience=env.get("WFAPI_OIDC_AUDIENCE") or None,
            oidc_certs_url=env.get(
                "WFAPI_OIDC_CERTS_URL", "https://www.googleapis.com/oauth2/v1/certs"
            ),
            webhook_secrets=_choice(
                env.get("WFAPI_WEBHOOK_SECRETS", "secret-manager"),
                ("secret-manager", "firestore"),
                "WFAPI_WEBHOOK_SECRETS",
            ),
            webhooks_allow_http=env.get("WFAPI_WEBHOOKS_ALLOW_HTTP", "") in ("1", "true"),
            webhook_secret_prefix=env.get("WFAPI_WEBHOOK_SECRET_PREFIX") or "wfapi-webhook-",
            webhook_delivery_topic=env.get("WFAPI_WEBHOOK_DELIVERY_TOPIC") or None,
            pubsub_emulator_host=env.get("PUBSUB_EMULATOR_HOST") or None,
            trust_forwarded_authorization=_flag(
                env.get("WFAPI_TRUST_FORWARDED_AUTHORIZATION", "false"),
                "WFAPI_TRUST_FORWARDED_AUTHORIZATION",
            ),
            gateway_service_account=env.get("WFAPI_GATEWAY_SERVICE_ACCOUNT") or None,
            single_org=_flag(env.get("WFAPI_SINGLE_ORG", "false"), "WFAPI_SINGLE_ORG"),
            iam_credentials_endpoint=env.get("WFAPI_IAM_CREDENTIALS_ENDPOINT")
            or "https://iamcredentials.googleapis.com",
            trace_export=_choice(
                env.get("WFAPI_TRACE_EXPORT", ""), ("", "cloud-trace"), "WFAPI_TRACE_EXPORT"
            )
            or None,
            pubsub_topic_orgs=_json_map(
                env.get("WFAPI_PUBSUB_TOPICS", "{}"), "WFAPI_PUBSUB_TOPICS"
            ),
        )


# Environment variables read by Settings.from_env, for the infrastructure checks.
ENVIRONMENT_VARIABLES = (
    "GOOGLE_CLOUD_PROJECT",
    "WFAPI_BIGQUERY_LOCATION",
    "BIGQUERY_EMULATOR_HOST",
    "FIRESTORE_EMULATOR_HOST",
    "WFAPI_FIRESTORE_DATABASE",
    "LOG_LEVEL",
    "WFAPI_TOKEN_CACHE_SECONDS",
    "WFAPI_SWEEP_RECHECK_SECONDS",
    "WFAPI_PUBSUB_TOPICS",
    "WFAPI_OIDC_AUDIENCE",
    "WFAPI_OIDC_CERTS_URL",
    "WFAPI_WEBHOOKS_ALLOW_HTTP",
    "WFAPI_WEBHOOK_SECRETS",
    "WFAPI_WEBHOOK_SECRET_PREFIX",
    "WFAPI_WEBHOOK_DELIVERY_TOPIC",
    "PUBSUB_EMULATOR_HOST",
    "WFAPI_TRUST_FORWARDED_AUTHORIZATION",
    "WFAPI_GATEWAY_SERVICE_ACCOUNT",
    "WFAPI_SINGLE_ORG",
    "WFAPI_IAM_CREDENTIALS_ENDPOINT",
    "WFAPI_TRACE_EXPORT",
)

DEFAULT_DELIVERY_TOPIC = "wfapi-webhook-deliveries"


def delivery_topic(settings: Settings) -> str:
    """The full name of the webhook deliveries topic."""
    return settings.webhook_delivery_topic or (
        f"projects/{settings.project}/topics/{DEFAULT_DELIVERY_TOPIC}"
    )


def _choice(value: str, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _flag(value: str, name: str) -> bool:
    """A boolean setting: a typo must not silently mean "off" (or "on")."""
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("", "0", "false", "no"):
        return False
    raise ValueError(f"{name} must be true or false, got {value[:40]!r}")


def _json_map(text: str, name: str) -> dict[str, str]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"{name} must be a JSON object of strings, got {text[:80]!r}")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
