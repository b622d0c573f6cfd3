"""Least privilege: every grant is on the narrowest resource that works, and no role
broader than needed is granted (no Owner, Editor, Viewer, admin roles, project-wide
BigQuery data roles...)."""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest

from tests.infra.hcl import FUNCTIONS, block, blocks, expression, module, root

CREATOR_ROLE = "google_project_iam_custom_role.webhook_secret_creator.name"
MANAGER_ROLE = "google_project_iam_custom_role.webhook_secret_manager.name"
MINTER_ROLE = "google_project_iam_custom_role.access_token_minter.name"
# Connection accounts of this project get the custom role; other projects' accounts
# Token Creator (a project's custom role cannot be granted outside it).
MINTER_GRANT = (
    '(endswith(each.value, "@${var.project_id}.iam.gserviceaccount.com") '
    "? google_project_iam_custom_role.access_token_minter.name "
    ': "roles/iam.serviceAccountTokenCreator")'
)

# (resource type, role) => whether the grant must carry an IAM condition.
ALLOWED: dict[tuple[str, str], bool] = {
    # Runtime
    ("google_project_iam_member", "roles/bigquery.jobUser"): False,
    ("google_project_iam_member", "roles/datastore.user"): True,
    # (and dataset access entries, test_dataset_grants_are_single_access_entries)
    ("google_service_account_iam_member", "roles/iam.serviceAccountTokenCreator"): False,
    ("google_service_account_iam_member", MINTER_GRANT): False,
    ("google_project_iam_member", CREATOR_ROLE): False,
    ("google_project_iam_member", MANAGER_ROLE): True,
    ("google_project_iam_member", "roles/cloudtrace.agent"): False,  # when exporting spans
    # Build
    ("google_project_iam_member", "roles/logging.logWriter"): False,
    ("google_project_iam_member", "roles/storage.objectAdmin"): True,
    ("google_artifact_registry_repository_iam_member", "roles/artifactregistry.writer"): False,
    ("google_storage_bucket_iam_member", "roles/storage.objectViewer"): False,
    # Invokers
    ("google_cloud_run_v2_service_iam_member", "roles/run.invoker"): False,
    # Pub/Sub: the log sink publishes job events; the service agent dead-letters.
    ("google_pubsub_topic_iam_member", "roles/pubsub.publisher"): False,
    ("google_pubsub_subscription_iam_member", "roles/pubsub.subscriber"): False,
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


def test_dataset_grants_are_single_access_entries() -> None:
    # google_bigquery_dataset_iam_* rewrite a dataset's whole access list and drop the
    # entries without a role: other teams' authorized views, datasets and routines.
    assert not [
        kind for kind in module().resources if kind.startswith("google_bigquery_dataset_iam")
    ]
    entries = module().all_resources("google_bigquery_dataset_access")
    assert set(entries) == {"runtime_generated_dataset_writer", "runtime_source_dataset_reader"}
    runtime = 'google_service_account.accounts["runtime"].email'
    writer = entries["runtime_generated_dataset_writer"]
    # Writing only in the generated dataset, which the module owns, and only when the
    # runtime runs the jobs itself (single-org); else connections' accounts write.
    assert writer["role"] == "WRITER"
    assert expression(writer["count"]) == "var.single_org ? 1 : 0"
    assert expression(writer["dataset_id"]) == "google_bigquery_dataset.generated.dataset_id"
    reader = entries["runtime_source_dataset_reader"]
    assert reader["role"] == "READER"
    assert expression(reader["for_each"]) == "local.source_datasets"
    for body in entries.values():
        assert expression(body["user_by_email"]) == runtime
        assert set(body) & {"special_group", "iam_member", "domain", "group_by_email"} == set()


def test_conditions_narrow_to_this_deployment() -> None:
    datastore = module().resource("google_project_iam_member", "runtime_datastore_user")
    assert "/databases/${local.firestore_database}" in block(datastore, "condition")["expression"]
    staging = module().resource("google_project_iam_member", "build_staging_objects")
    expression_text = block(staging, "condition")["expression"]
    assert expression_text.count("startsWith") == 2 and "${local.project_number}" in expression_text
    secrets = module().resource("google_project_iam_member", "runtime_webhook_secret_manager")
    assert "/secrets/${local.webhook_secret_prefix}" in block(secrets, "condition")["expression"]


def test_the_secret_prefix_is_the_deployments_and_by_default_the_codes() -> None:
    # Two deployments in one project (two name_prefix) never reach each other's secrets.
    secret_manager = pytest.importorskip("workflows_api.adapters.secret_manager")
    config = module()
    prefix = config.locals["webhook_secret_prefix"]
    assert prefix == "${var.name_prefix}-webhook-"
    default = config.variables["name_prefix"]["default"]
    assert prefix.replace("${var.name_prefix}", default) == secret_manager.SECRET_PREFIX
    environment = config.locals["environment"]
    assert expression(environment["WFAPI_WEBHOOK_SECRET_PREFIX"]) == "local.webhook_secret_prefix"
    # No prefix may contain another deployment's: name_prefix never holds "webhook".
    conditions = [rule["condition"] for rule in config.variables["name_prefix"]["validation"]]
    assert '${!strcontains(var.name_prefix, "webhook")}' in conditions


def test_creating_secrets_is_granted_on_this_project_alone() -> None:
    # projects.secrets.create is authorized on the parent project, where no condition on
    # the new secret's name applies: one permission, one project, nothing else.
    creator = module().resource("google_project_iam_member", "runtime_webhook_secret_creator")
    assert expression(creator["project"]) == "var.project_id"
    assert expression(creator["role"]) == CREATOR_ROLE
    creator_grants = [body for _, _, body in grants() if role_of(body) == CREATOR_ROLE]
    assert len(creator_grants) == 1


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
    assert expression(invokers["http"]) == (
        'var.access_mode == "public" ? "allUsers" : local.gateway_member'
    )
    assert all(
        "allUsers" not in member for trigger, member in invokers.items() if trigger != "http"
    )
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
    # Each push subscription signs as its function's invoker (test_events).
    wiring = str(config.locals["push_subscriptions"])
    for invoker in ("pubsub-invoker", "audit-invoker", "hooks-invoker"):
        assert f'invoker = "{invoker}"' in wiring, invoker
    scheduler = config.resource("google_cloud_scheduler_job", "executions")
    oidc = block(block(scheduler, "http_target"), "oidc_token")
    assert account(oidc["service_account_email"]) == "scheduler"
    api_config = config.resource("google_api_gateway_api_config", "api")
    backend = block(block(api_config, "gateway_config"), "backend_config")
    assert account(backend["google_service_account"]) == "gateway"
    # The gateway's account holds no role but run.invoker on the HTTP functions, and
    # that only in private mode (test_private_mode).
    assert 'accounts["gateway"]' not in "".join(str(body) for _, _, body in grants())
    assert 'accounts["gateway"]' in config.locals["gateway_member"]
    assert set(config.locals["service_accounts"]) == {
        "runtime",
        "build",
        "pubsub-invoker",
        "audit-invoker",
        "hooks-invoker",
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
        "roles/datastore.user",
        MINTER_GRANT,
        CREATOR_ROLE,
        MANAGER_ROLE,
        "roles/pubsub.publisher",
        "roles/cloudtrace.agent",
    }
    # It publishes to the webhook deliveries topic only.
    publishing = [
        body
        for kind, _, body in grants()
        if "local.runtime_member" in str(body.get("member", ""))
        and role_of(body) == "roles/pubsub.publisher"
    ]
    assert [expression(body["topic"]) for body in publishing] == [
        "google_pubsub_topic.webhook_deliveries.name"
    ]
    impersonation = module().resource(
        "google_service_account_iam_member", "runtime_impersonates_connection"
    )
    assert expression(impersonation["for_each"]) == "toset(var.impersonated_service_accounts)"
    assert blocks(impersonation, "condition") == []


def test_connections_run_as_their_own_accounts_unless_the_deployment_is_single_org() -> None:
    # The runtime's Token Creator is only on the listed connection accounts (one
    # member per account, on that account: never project-wide, reaching every account).
    grants_of_token_creator = [
        (kind, name)
        for kind, name, body in grants()
        if "roles/iam.serviceAccountTokenCreator" in role_of(body)
        and "local.runtime_member" in str(body.get("member", ""))
    ]
    assert grants_of_token_creator == [
        ("google_service_account_iam_member", "runtime_impersonates_connection")
    ]
    impersonation = module().resource(
        "google_service_account_iam_member", "runtime_impersonates_connection"
    )
    target = expression(impersonation["service_account_id"])
    assert target == "projects/-/serviceAccounts/${each.value}"
    for config in (module(), root()):
        assert config.variables["impersonated_service_accounts"]["default"] == []
        assert config.variables["single_org"]["default"] is False
    environment = module().locals["environment"]
    assert isinstance(environment, dict)
    assert expression(environment["WFAPI_SINGLE_ORG"]) == "tostring(var.single_org)"
    assert environment["WFAPI_IAM_CREDENTIALS_ENDPOINT"] == "https://iamcredentials.googleapis.com"


def test_the_runtime_runs_bigquery_jobs_itself_only_in_single_org_mode() -> None:
    # Otherwise every BigQuery call runs as the connection's own account (issue 27).
    job_user = module().resource("google_project_iam_member", "runtime_bigquery_job_user")
    assert expression(job_user["count"]) == "var.single_org ? 1 : 0"


def test_the_runtime_only_mints_access_tokens_of_connection_accounts() -> None:
    # Token Creator would also allow signBlob, signJwt and getOpenIdToken; the code
    # calls generateAccessToken only (issue 27).
    minter = module().resource("google_project_iam_custom_role", "access_token_minter")
    assert minter["permissions"] == ["iam.serviceAccounts.getAccessToken"]
    impersonation = module().resource(
        "google_service_account_iam_member", "runtime_impersonates_connection"
    )
    assert role_of(impersonation) == MINTER_GRANT


def test_the_secret_role_holds_only_what_the_code_calls() -> None:
    # adapters/secret_manager.py: get_secret, delete_secret, add_secret_version and
    # access_secret_version (create_secret: the creator role). No versions.get, list or
    # destroy (issue 27).
    manager = module().resource("google_project_iam_custom_role", "webhook_secret_manager")
    assert sorted(manager["permissions"]) == [
        "secretmanager.secrets.delete",
        "secretmanager.secrets.get",
        "secretmanager.versions.access",
        "secretmanager.versions.add",
    ]
    called = secret_manager_calls()
    assert called == {
        "access_secret_version",
        "add_secret_version",
        "create_secret",
        "delete_secret",
        "get_secret",
    }, f"the code calls more of Secret Manager than the roles allow: {called}"


def secret_manager_calls() -> set[str]:
    """The Secret Manager client methods the functions call (`self._client.<method>(`
    in the module that imports google.cloud.secretmanager)."""
    found: set[str] = set()
    for path in FUNCTIONS.rglob("*.py"):
        text = path.read_text()
        if "secretmanager" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "_client"
            ):
                found.add(node.func.attr)
    return found
