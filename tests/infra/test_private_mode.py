"""access_mode "private" (the default since issue 27): no allUsers anywhere, for
organisations whose policy restricts members to their domain (issue 17, item 4). Only
API Gateway's own account invokes the HTTP functions, so callers cannot bypass the
gateway; Scheduler still calls execute."""

from __future__ import annotations

import re

from tests.infra.hcl import all_configs, block, expression, module, root


def test_access_mode_is_public_or_private_and_private_by_default() -> None:
    # Domain Restricted Sharing (the default of new organisations) refuses allUsers:
    # public is an explicit choice (issue 27).
    for config in (module(), root()):
        variable = config.variables["access_mode"]
        assert variable["default"] == "private"
        conditions = [rule["condition"] for rule in variable["validation"]]
        assert '${contains(["public", "private"], var.access_mode)}' in conditions
    assert root().modules["workflows_api"]["access_mode"] == "${var.access_mode}"


def test_all_users_only_in_public_mode() -> None:
    # The one allUsers of the configuration is the HTTP invoker's public branch.
    for config in all_configs():
        assert "allAuthenticatedUsers" not in config.text
    assert sum(config.text.count('"allUsers"') for config in all_configs()) == 1
    http = expression(module().locals["invoker_by_trigger"]["http"])
    assert http == 'var.access_mode == "public" ? "allUsers" : local.gateway_member'
    assert expression(module().locals["gateway_member"]) == (
        'serviceAccount:${google_service_account.accounts["gateway"].email}'
    )
    binding = module().resource("google_cloud_run_v2_service_iam_member", "invokers")
    assert binding["role"] == "roles/run.invoker"
    assert expression(binding["member"]) == "local.invoker_by_trigger[each.value.trigger]"


def test_scheduler_still_invokes_execute_in_private_mode() -> None:
    binding = module().resource(
        "google_cloud_run_v2_service_iam_member", "scheduler_invokes_execute"
    )
    assert (
        expression(binding["name"]) == 'google_cloudfunctions2_function.functions["execute"].name'
    )
    assert 'accounts["scheduler"]' in binding["member"]


def test_the_functions_know_where_the_callers_credential_arrives() -> None:
    environment = module().locals["environment"]
    trust = expression(environment["WFAPI_TRUST_FORWARDED_AUTHORIZATION"])
    assert trust == 'tostring(var.access_mode == "private")'
    backends = expression(module().locals["gateway_backends"])
    assert re.search(r'disable_auth = var\.access_mode == "public"', backends)


def test_ingress_lets_the_gateway_in_and_keeps_event_functions_internal() -> None:
    # API Gateway calls the run.app URL from outside (neither internal traffic nor a
    # load balancer): ALLOW_ALL on HTTP functions, with IAM as the gate in private mode.
    function = module().resource("google_cloudfunctions2_function", "functions")
    ingress = expression(block(function, "service_config")["ingress_settings"])
    assert ingress == 'each.value.trigger == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"'
