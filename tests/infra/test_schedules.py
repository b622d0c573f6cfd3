"""Schedules' Terraform: a dedicated invoker account, the runtime's least-privilege role
on Cloud Scheduler (the job calls the adapter makes, nothing else), actAs on the invoker
alone, and the settings that point the code at them."""

from __future__ import annotations

import re
from pathlib import Path

from tests.infra.hcl import expression, module

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = ROOT / "functions/workflows_api/adapters/cloud_scheduler.py"
# Each client call of the adapter and the permission it needs.
PERMISSION_OF_CALL = {
    "create_job": "cloudscheduler.jobs.create",
    "get_job": "cloudscheduler.jobs.get",
    "update_job": "cloudscheduler.jobs.update",
    "pause_job": "cloudscheduler.jobs.pause",
    "resume_job": "cloudscheduler.jobs.enable",
    "delete_job": "cloudscheduler.jobs.delete",
}


def test_the_runtime_may_manage_jobs_and_nothing_else_of_cloud_scheduler() -> None:
    role = module().resource("google_project_iam_custom_role", "scheduler_jobs_manager")
    calls = set(re.findall(r"self\._client\.(\w+)\(", ADAPTER.read_text()))
    assert calls == set(PERMISSION_OF_CALL)
    assert set(role["permissions"]) == set(PERMISSION_OF_CALL.values())
    grant = module().resource("google_project_iam_member", "runtime_scheduler_jobs")
    assert expression(grant["member"]) == "local.runtime_member"
    assert expression(grant["role"]).endswith("scheduler_jobs_manager.name")


def test_the_runtime_acts_as_the_invoker_alone() -> None:
    role = module().resource("google_project_iam_custom_role", "invoker_act_as")
    assert role["permissions"] == ["iam.serviceAccounts.actAs"]
    act_as = [
        body
        for body in module().all_resources("google_service_account_iam_member").values()
        if "invoker_act_as" in str(body["role"])
    ]
    assert len(act_as) == 1
    assert 'accounts["sched-invoker"]' in act_as[0]["service_account_id"]
    assert "for_each" not in act_as[0] and "count" not in act_as[0]


def test_the_invoker_is_its_own_account_and_may_call_execute() -> None:
    config = module()
    assert "sched-invoker" in config.locals["service_accounts"]
    binding = config.resource(
        "google_cloud_run_v2_service_iam_member", "schedule_invoker_invokes_execute"
    )
    assert 'functions["execute"]' in binding["name"] and binding["role"] == "roles/run.invoker"
    assert 'accounts["sched-invoker"]' in binding["member"]


def test_the_code_is_pointed_at_the_region_prefix_invoker_and_execute() -> None:
    environment = module().locals["environment"]
    assert expression(environment["WFAPI_SCHEDULER_LOCATION"]) == "var.region"
    assert expression(environment["WFAPI_SCHEDULE_TARGET_URL"]) == "local.oidc_audience"
    assert 'accounts["sched-invoker"]' in environment["WFAPI_SCHEDULE_INVOKER"]
    assert environment["WFAPI_SCHEDULE_JOB_PREFIX"] == "${var.name_prefix}-sched"
    # Scheduler waits for execute's longest answer before it retries a fire.
    deadline = expression(environment["WFAPI_SCHEDULE_ATTEMPT_DEADLINE_SECONDS"])
    assert deadline == 'tostring(local.functions["execute"].timeout_seconds + 30)'
