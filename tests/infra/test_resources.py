"""The rest of the deployment: pinned providers, APIs, the generated dataset, event
triggers, Scheduler jobs, outputs, the example variables and formatting."""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

from tests.infra.hcl import (
    INFRA,
    block,
    expression,
    module,
    root,
    run_terraform,
    terraform,
)
from workflows_api.domain.access.connections import DEFAULT_DATASET
from workflows_api.http.tables import all_routes


def test_providers_are_pinned_alike_in_the_module_and_the_root() -> None:
    pins = module().required_providers()
    assert set(pins) == {"google", "google-beta", "archive", "time"}
    for name, pin in pins.items():
        assert pin["source"] == f"hashicorp/{name}"
        assert re.fullmatch(r"~> \d+\.\d+", pin["version"]), pin
    assert pins["google"]["version"] == pins["google-beta"]["version"]
    assert root().required_providers() == pins
    assert set(root().providers) == {"google", "google-beta"}


def test_the_root_declares_and_passes_every_module_variable() -> None:
    module_variables = dict(module().variables)
    assert "source_dir" in module_variables
    del module_variables["source_dir"]
    root_only = {"completion_event_projects", "import_firestore_database"}
    assert {k: v for k, v in root().variables.items() if k not in root_only} == module_variables
    assert set(root().variables) - set(module_variables) == root_only
    call = root().modules["workflows_api"]
    for name in module_variables:
        assert call[name] == f"${{var.{name}}}", name


def test_the_example_variables_are_declared_ones() -> None:
    example = INFRA / "terraform.tfvars.example"
    values = hcl2.loads(
        example.read_text(),
        serialization_options=hcl2.SerializationOptions(
            strip_string_quotes=True, with_comments=False, explicit_blocks=False
        ),
    )
    assert "project_id" in values
    assert set(values) <= set(root().variables)
    for job in values.get("scheduler_jobs", []):
        assert {"name", "schedule", "workflow"} <= set(job)


def test_the_apis_every_resource_needs_are_enabled() -> None:
    services = expression(module().locals["services"])
    for api in (
        "apigateway",
        "artifactregistry",
        "bigquery",
        "cloudbuild",
        "cloudfunctions",
        "cloudscheduler",
        "firestore",
        "iam",
        "iamcredentials",
        "pubsub",
        "run",
        "secretmanager",
        "servicecontrol",
        "servicemanagement",
    ):
        assert f'"{api}.googleapis.com"' in services, api
    # The gateway's own managed service too.
    managed = module().resource("google_project_service", "gateway_managed_service")
    assert expression(managed["service"]) == "google_api_gateway_api.api.managed_service"


def test_the_generated_dataset_expires_tables() -> None:
    dataset = module().resource("google_bigquery_dataset", "generated")
    assert expression(dataset["dataset_id"]) == "var.dataset_id"
    assert module().variables["dataset_id"]["default"] == DEFAULT_DATASET
    assert expression(dataset["default_table_expiration_ms"]) == (
        "var.table_expiration_days * 24 * 60 * 60 * 1000"
    )
    assert module().variables["table_expiration_days"]["default"] == 30
    assert expression(dataset["location"]) == "var.bigquery_location"


def test_a_pubsub_topic_and_push_subscription_per_org() -> None:
    config = module()
    topic = config.resource("google_pubsub_topic", "org")
    assert expression(topic["for_each"]) == "local.pubsub_topics"
    assert "var.pubsub_orgs" in expression(config.locals["pubsub_topics"])
    wiring = expression(config.locals["push_subscriptions"])
    assert "for org in keys(local.pubsub_topics)" in wiring
    assert "topic = google_pubsub_topic.org[org].id, function = local.pubsub_function" in wiring
    # The topic => org binding the Pub/Sub function reads.
    topics = expression(config.locals["environment"]["WFAPI_PUBSUB_TOPICS"])
    assert topics == "jsonencode({for org, topic in google_pubsub_topic.org : topic.id => org})"


def test_bigquery_job_events_reach_the_completion_function() -> None:
    config = module()
    wiring = expression(config.locals["push_subscriptions"])
    assert (
        "topic = google_pubsub_topic.job_events.id, function = local.completion_function"
    ) in wiring
    completion = expression(config.locals["completion_function"])
    assert '"bigquery_audit_log"' in completion


def test_scheduler_jobs_call_the_execute_route_with_an_oidc_token() -> None:
    config = module()
    job = config.resource("google_cloud_scheduler_job", "executions")
    assert expression(job["for_each"]) == "local.scheduler_jobs"
    assert "var.scheduler_jobs" in expression(config.locals["scheduler_jobs"])
    target = block(job, "http_target")
    assert target["http_method"] == "POST"
    uri = expression(target["uri"])
    assert uri.startswith("${local.execute_url}")
    path = uri.removeprefix("${local.execute_url}").replace(
        "${each.value.workflow}", "<workflow_id>"
    )
    (route,) = [r for r in all_routes() if r.method == "POST" and r.path == path]
    assert route.function == "execute"
    assert '"execute"' in expression(config.locals["execute_url"])
    oidc = block(target, "oidc_token")
    # The audience execute verifies (WFAPI_OIDC_AUDIENCE) is the one Scheduler signs for.
    assert expression(oidc["audience"]) == "local.oidc_audience"
    assert expression(config.locals["environment"]["WFAPI_OIDC_AUDIENCE"]) == "local.oidc_audience"
    assert "-execute-" in config.locals["oidc_audience"]
    body = expression(target["body"])
    assert body == "base64encode(jsonencode(each.value.body))"
    for key in ("schedule", "time_zone", "workflow", "parameters"):
        assert key in expression(config.locals["scheduler_jobs"]), key


def test_outputs_give_the_base_url_and_an_example_call() -> None:
    outputs = root().outputs
    assert expression(outputs["base_url"]["value"]) == "module.workflows_api.base_url"
    assert expression(outputs["example_call"]["value"]) == "module.workflows_api.example_call"
    example = module().outputs["example_call"]["value"]
    assert "curl" in example and "/v1/workflows/" in example and "Authorization: Bearer" in example
    assert set(root().outputs) == set(module().outputs)


@pytest.mark.skipif(terraform() is None, reason="terraform is not installed")
def test_terraform_fmt_is_clean(tmp_path: Path) -> None:
    done = run_terraform("fmt", "-check", "-recursive", "-no-color", str(INFRA), cwd=tmp_path)
    assert done.returncode == 0, f"run: terraform fmt -recursive infra\n{done.stdout}"


def test_request_logs_with_url_tokens_are_excluded() -> None:
    """CARTO's GET form carries the token in the URL: Cloud Logging must not keep it."""
    exclusions = module().all_resources("google_logging_project_exclusion")
    assert any("access_token=" in str(body.get("filter")) for body in exclusions.values())
