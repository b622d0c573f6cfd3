"""Least privilege: every grant is on the narrowest resource that works, and no role
broader than needed is granted (no Owner, Editor, Viewer, admin roles, project-wide
BigQuery data roles...)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra.hcl import block, blocks, expression, module

CREATOR_ROLE = "google_project_iam_custom_role.webhook_secret_creator.name"
MANAGER_ROLE = "google_project_iam_custom_role.webhook_secret_manager.name"

# (resource type, role) => whether the grant must carry an IAM condition.
ALLOWED: dict[tuple[str, str], bool] = {
    # Runtime
    ("google_project_iam_member", "roles/bigquery.jobUser"): False,
    ("google_project_iam_member", "roles/datastore.user"): True,
    ("google_bigquery_dataset_iam_member", "roles/bigquery.dataEditor"): False,
    ("google_bigquery_dataset_iam_member", "roles/bigquery.dataViewer"): False,
    ("google_service_account_iam_member", "roles/iam.serviceAccountTokenCreator"): False,
    ("google_project_iam_member", CREATOR_ROLE): False,
    ("google_project_iam_member", MANAGER_ROLE): True,
    # Build
    ("google_project_iam_member", "roles/logging.logWriter"): False,
    ("google_project_iam_member", "roles/storage.objectAdmin"): True,
    ("google_artifact_registry_repository_iam_member", "roles/artifactregistry.writer"): False,
    ("google_storage_bucket_iam_member", "roles/storage.objectViewer"): False,
    # Invokers
    ("google_cloud_run_v2_service_iam_member", "roles/run.invoker"): False,
    ("google_project_iam_member", "roles/eventarc.eventReceiver"): False,
}

FORBIDDEN = re.compile(
    r"roles/(owner|editor|viewer|[a-z]+\.admin|bigquery\.(dataOwner|user)|"
    r"datastore\.owner|iam\.serviceAccountUser|resourcemanager\.\w+|iam\.securityAdmin)$"
)


def grants() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for kind, named in module().resources.items():
        if re.search(r"_iam_(member|binding|policy)$", kind):
            for name, body in named.items():
                found.append((kind, name, body))
    return found


def role_of(body: dict[str, Any]) -> str:
    role = body["role"]
    return expression(role) if role.startswith("${") else role


def test_only_additive_grants() -> None:
    # _binding and _policy resources are authoritative: they would strip other members.
    for kind, name, _ in grants():
        assert kind.endswith("_iam_member"), f"{kind}.{name} is authoritative"


def test_no_role_broader_than_needed() -> None:
    assert grants()
    for kind, name, body in grants():
        role = role_of(body)
        assert not FORBIDDEN.match(role), f"{kind}.{name} grants {role}"
        assert (kind, role) in ALLOWED, f"{kind}.{name}: {role} is not an expected grant"
        if ALLOWED[(kind, role)]:
            condition = block(body, "condition")
            assert condition["expression"] and condition["title"], f"{kind}.{name}"


def test_data_editor_only_on_the_generated_dataset() -> None:
    for _, name, body in grants():
        if role_of(body) == "roles/bigquery.dataEditor":
            assert (
                expression(body["dataset_id"]) == "google_bigquery_dataset.generated.dataset_id"
            ), name
    viewer = module().resource(
        "google_bigquery_dataset_iam_member", "runtime_source_dataset_viewer"
    )
    assert expression(viewer["for_each"]) == "local.source_datasets"


def test_conditions_narrow_to_this_deployment() -> None:
    datastore = module().resource("google_project_iam_member", "runtime_datastore_user")
    assert "/databases/${local.firestore_database}" in block(datastore, "condition")["expression"]
    staging = module().resource("google_project_iam_member", "build_staging_objects")
    expression_text = block(staging, "condition")["expression"]
    assert expression_text.count("startsWith") == 2 and "${local.project_number}" in expression_text
    secrets = module().resource("google_project_iam_member", "runtime_webhook_secret_manager")
    assert "/secrets/${local.webhook_secret_prefix}" in block(secrets, "condition")["expression"]


def test_the_secret_condition_uses_the_codes_prefix() -> None:
    # The adapter arrives with the Secret Manager signing secrets (issue 6).
    secret_manager = pytest.importorskip("workflows_api.adapters.secret_manager")
    assert module().locals["webhook_secret_prefix"] == secret_manager.SECRET_PREFIX


def test_webhook_secret_roles_hold_only_secret_manager_permissions() -> None:
    creator = module().resource("google_project_iam_custom_role", "webhook_secret_creator")
    assert creator["permissions"] == ["secretmanager.secrets.create"]
    manager = module().resource("google_project_iam_custom_role", "webhook_secret_manager")
    for permission in manager["permissions"]:
        assert permission.startswith("secretmanager."), permission
        assert "*" not in permission and not permission.endswith("setIamPolicy"), permission
    assert "secretmanager.secrets.create" not in manager["permissions"]
    assert "secretmanager.googleapis.com" in module().text


def test_only_http_functions_are_public() -> None:
    invokers = module().locals["invoker_by_trigger"]
    assert invokers["http"] == "allUsers"
    assert all(member != "allUsers" for trigger, member in invokers.items() if trigger != "http")
    assert {spec["trigger"] for spec in module().locals["functions"].values()} == set(invokers)
    assert module().text.count('"allUsers"') == 1
    assert "allAuthenticatedUsers" not in module().text
    binding = module().resource("google_cloud_run_v2_service_iam_member", "invokers")
    assert expression(binding["for_each"]) == "local.functions"
    assert expression(binding["member"]) == "local.invoker_by_trigger[each.value.trigger]"


def account(reference: Any) -> str:
    found = re.search(r'google_service_account\.accounts\["([\w-]+)"\]', str(reference))
    assert found, reference
    return found[1]


def test_each_role_has_its_own_service_account() -> None:
    config = module()
    function = config.resource("google_cloudfunctions2_function", "functions")
    assert account(block(function, "service_config")["service_account_email"]) == "runtime"
    assert account(block(function, "build_config")["service_account"]) == "build"
    assert account(config.resource("google_eventarc_trigger", "pubsub")["service_account"]) == (
        "pubsub-invoker"
    )
    completion = config.resource("google_eventarc_trigger", "bigquery_job_completed")
    assert account(completion["service_account"]) == "audit-invoker"
    scheduler = config.resource("google_cloud_scheduler_job", "executions")
    oidc = block(block(scheduler, "http_target"), "oidc_token")
    assert account(oidc["service_account_email"]) == "scheduler"
    api_config = config.resource("google_api_gateway_api_config", "api")
    backend = block(block(api_config, "gateway_config"), "backend_config")
    assert account(backend["google_service_account"]) == "gateway"
    # The gateway's account holds no role at all.
    assert 'accounts["gateway"]' not in "".join(str(body) for _, _, body in grants())
    assert set(config.locals["service_accounts"]) == {
        "runtime",
        "build",
        "pubsub-invoker",
        "audit-invoker",
        "scheduler",
        "gateway",
    }


def test_runtime_grants_are_the_runtimes() -> None:
    runtime_roles = {
        role_of(body)
        for _, _, body in grants()
        if "local.runtime_member" in str(body.get("member", ""))
    }
    assert runtime_roles == {
        "roles/bigquery.jobUser",
        "roles/bigquery.dataEditor",
        "roles/bigquery.dataViewer",
        "roles/datastore.user",
        "roles/iam.serviceAccountTokenCreator",
        CREATOR_ROLE,
        MANAGER_ROLE,
    }
    impersonation = module().resource(
        "google_service_account_iam_member", "runtime_impersonates_connection"
    )
    assert expression(impersonation["for_each"]) == "toset(var.impersonated_service_accounts)"
    assert blocks(impersonation, "condition") == []
