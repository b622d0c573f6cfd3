"""Apply and re-apply (issue 27): what made a first apply or an apply after a destroy
fail, each fixed here (IAM propagation: test_first_apply): the gateway's managed
service ordered between its config and the gateway, Scheduler waiting as long as
execute may answer, no second sink in the deployment's own project, an example
variables file that names nothing a fresh project lacks, and the Firestore database
of an earlier deployment adopted rather than created again."""

from __future__ import annotations

import re

import hcl2

from tests.infra.hcl import INFRA, dependencies, expression, module, root


def test_the_gateways_service_is_enabled_after_its_config_before_the_gateway() -> None:
    config = module()
    managed = "google_project_service.gateway_managed_service"
    assert "google_api_gateway_api_config.api" in dependencies(config, managed)
    assert managed in dependencies(config, "google_api_gateway_gateway.gateway")


def test_scheduler_waits_as_long_as_execute_may_answer() -> None:
    # A shorter attempt deadline has Scheduler retry a call execute is still serving.
    config = module()
    job = config.resource("google_cloud_scheduler_job", "executions")
    deadline = expression(job["attempt_deadline"])
    found = re.fullmatch(
        r'\$\{local\.functions\["execute"\]\.timeout_seconds \+ (\d+)\}s', deadline
    )
    assert found, deadline
    seconds = config.locals["functions"]["execute"]["timeout_seconds"] + int(found[1])
    assert seconds > config.locals["functions"]["execute"]["timeout_seconds"]
    assert seconds <= 1800, "Cloud Scheduler allows 30 minutes at most for HTTP targets"


def test_the_deployments_own_project_gets_no_second_sink() -> None:
    variable = root().variables["completion_event_projects"]
    conditions = [rule["condition"] for rule in variable["validation"]]
    assert "${!contains(var.completion_event_projects, var.project_id)}" in conditions
    # Cross-variable validations need Terraform 1.9.
    for config in (root(), module()):
        (block,) = config.terraform
        assert block["required_version"] == ">= 1.9"


def test_the_example_variables_name_nothing_a_fresh_project_lacks() -> None:
    values = hcl2.loads(
        (INFRA / "terraform.tfvars.example").read_text(),
        serialization_options=hcl2.SerializationOptions(
            strip_string_quotes=True, with_comments=False, explicit_blocks=False
        ),
    )
    # Access entries on a missing dataset, grants on a missing account: both fail.
    assert values.get("source_datasets", []) == []
    assert values.get("impersonated_service_accounts", []) == []
    assert values.get("access_mode", "private") == "private"
    assert not values.get("import_firestore_database", False)


def test_an_apply_after_destroy_adopts_the_kept_firestore_database() -> None:
    # ABANDON (the default) keeps the database on destroy; creating it again is a 409.
    assert module().variables["firestore_deletion_policy"]["default"] == "ABANDON"
    assert root().variables["import_firestore_database"]["default"] is False
    text = (INFRA / "main.tf").read_text()
    (found,) = re.findall(r"\nimport \{\n(.*?)\n\}", text, re.DOTALL)
    statements = dict(
        (key.strip(), value.strip())
        for key, value in (line.split("=", 1) for line in found.splitlines() if "=" in line)
    )
    assert statements["for_each"] == (
        "var.import_firestore_database && var.create_firestore_database"
        " ? toset([var.firestore_database]) : toset([])"
    )
    assert statements["to"] == "module.workflows_api.google_firestore_database.records[0]"
    assert statements["id"] == '"projects/${var.project_id}/databases/${each.value}"'
    records = module().resource("google_firestore_database", "records")
    assert expression(records["name"]) == "var.firestore_database"
    assert expression(records["count"]) == "var.create_firestore_database ? 1 : 0"
