"""Every entry point of functions/main.py is deployed, and nothing else is; each
function gets the settings the code reads."""

from __future__ import annotations

import re
from typing import Any

from tests.infra.hcl import block, entry_points, expression, module, root
from workflows_api.config import ENVIRONMENT_VARIABLES
from workflows_api.http.tables import HTTP_FUNCTIONS, all_routes
from workflows_api.service.execution_requests import MAX_WAIT_SECONDS

EVENT_TRIGGERS = {"pubsub", "bigquery_audit_log", "webhook_delivery", "schedule"}

# Settings for the local stack and tests only, beside the emulator hosts (config.py
# says so of each): production must not set them.
LOCAL_ONLY_SETTINGS = {"WFAPI_WEBHOOKS_ALLOW_HTTP"}


def declared_functions() -> dict[str, dict[str, Any]]:
    functions = module().locals["functions"]
    assert isinstance(functions, dict) and functions, "local.functions must be a map literal"
    return functions


def test_every_entry_point_in_main_py_has_a_function_of_its_kind() -> None:
    found = entry_points()
    assert set(HTTP_FUNCTIONS) <= set(found), "main.py no longer parses as expected"
    functions = declared_functions()
    for name, kind in found.items():
        assert name in functions, f"functions/main.py:{name} has no Cloud Function in infra/"
        trigger = functions[name]["trigger"]
        if kind == "http":
            assert trigger == "http", f"{name} is an HTTP function, declared with {trigger}"
        else:
            assert trigger in EVENT_TRIGGERS, f"{name} is a CloudEvent function, declared {trigger}"


def test_no_function_names_a_missing_entry_point() -> None:
    missing = set(declared_functions()) - set(entry_points())
    assert not missing, f"infra/ deploys entry points functions/main.py lacks: {missing}"
    # Other resources name functions by key: every key they name must exist.
    named = set(re.findall(r'google_cloudfunctions2_function\.functions\["(\w+)"\]', module().text))
    assert named <= set(declared_functions()), named - set(declared_functions())


def test_one_function_resource_runs_each_entry_point_on_python_3_12() -> None:
    resources = module().all_resources("google_cloudfunctions2_function")
    assert list(resources) == ["functions"]
    function = resources["functions"]
    assert expression(function["for_each"]) == "local.functions"
    build = block(function, "build_config")
    assert expression(build["entry_point"]) == "each.key"
    assert build["runtime"] == "python312"
    source = block(block(build, "source"), "storage_source")
    assert "google_storage_bucket_object.functions_source" in expression(source["object"])
    # The archive is of the repository's functions/ tree.
    assert module().data["archive_file"]["functions"]["source_dir"] == "${var.source_dir}"
    call = root().modules["workflows_api"]
    assert call["source"] == "./modules/workflows_api"
    assert call["source_dir"] == "${path.root}/../functions"


def test_http_functions_are_the_routing_tables() -> None:
    http = {name for name, spec in declared_functions().items() if spec["trigger"] == "http"}
    assert http == set(HTTP_FUNCTIONS) == {route.function for route in all_routes()}


def test_sizing_is_chosen_for_each_function() -> None:
    function = module().resource("google_cloudfunctions2_function", "functions")
    service = block(function, "service_config")
    assert expression(service["available_memory"]) == "each.value.memory"
    assert expression(service["timeout_seconds"]) == "each.value.timeout_seconds"
    assert expression(service["max_instance_request_concurrency"]) == "each.value.concurrency"
    assert "each.value.max_instances" in expression(service["max_instance_count"])
    # More than one request per instance needs a whole vCPU.
    assert service["available_cpu"] == "1"
    for name, spec in declared_functions().items():
        assert re.fullmatch(r"\d+(Mi|Gi)", str(spec["memory"])), name
        assert isinstance(spec["timeout_seconds"], int) and 0 < spec["timeout_seconds"] <= 3600
        assert isinstance(spec["concurrency"], int) and 1 <= spec["concurrency"] <= 1000
        assert isinstance(spec["max_instances"], int) and spec["max_instances"] >= 1
    # execute may hold a request for wait_seconds, then still has to answer.
    assert declared_functions()["execute"]["timeout_seconds"] >= MAX_WAIT_SECONDS + 60


def test_every_setting_the_code_reads_is_set_on_every_function() -> None:
    # Settings.from_env reads ENVIRONMENT_VARIABLES in every function (dispatch and the
    # event handlers alike). The local-only ones must stay unset in a deployment.
    local_only = {
        name
        for name in ENVIRONMENT_VARIABLES
        if name.endswith("_EMULATOR_HOST") or name in LOCAL_ONLY_SETTINGS
    }
    required = set(ENVIRONMENT_VARIABLES) - local_only
    assert "GOOGLE_CLOUD_PROJECT" in required and local_only
    environment = module().locals["environment"]
    assert isinstance(environment, dict)
    missing = required - set(environment)
    assert not missing, f"set these in local.environment (infra/modules/workflows_api): {missing}"
    # Every function's environment is built from local.environment.
    function = module().resource("google_cloudfunctions2_function", "functions")
    variables = expression(block(function, "service_config")["environment_variables"])
    assert re.fullmatch(r"merge\(local\.environment, \{.*\}\)|local\.environment", variables)
    # Nothing local-only in production.
    for name in local_only:
        assert name not in module().text, f"{name} must not be set in a deployment"


def test_event_functions_take_internal_traffic_only() -> None:
    function = module().resource("google_cloudfunctions2_function", "functions")
    ingress = expression(block(function, "service_config")["ingress_settings"])
    assert ingress == 'each.value.trigger == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"'


# Settings the deployment sets for code that arrives separately: none at the moment.
AWAITING_CODE: set[str] = set()


def test_every_setting_set_is_one_the_code_reads() -> None:
    # A misspelt name would be set and never read.
    environment = module().locals["environment"]
    unknown = set(environment) - set(ENVIRONMENT_VARIABLES) - AWAITING_CODE
    assert not unknown, f"local.environment sets settings the code does not read: {unknown}"
