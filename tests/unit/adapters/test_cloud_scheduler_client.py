"""The Cloud Scheduler adapter makes its client on first use: an App whose scheduler
cannot be reached (no credentials, no stand-in) still deletes a workflow that has no
schedule, which calls no Cloud Scheduler API."""

from __future__ import annotations

from typing import Any

import pytest
from google.auth.exceptions import DefaultCredentialsError

from tests.support.apps import with_demo_workflow
from workflows_api.adapters import cloud_scheduler
from workflows_api.adapters.cloud_scheduler import CloudSchedulerJobs


def _no_credentials(**_: Any) -> Any:
    raise DefaultCredentialsError("no credentials here")


def test_the_client_is_made_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cloud_scheduler.scheduler_v1, "CloudSchedulerClient", _no_credentials)
    jobs = CloudSchedulerJobs.connect()  # nothing made yet
    with pytest.raises(DefaultCredentialsError):
        jobs.job_exists("projects/p/locations/l/jobs/j")


def test_a_workflow_without_schedules_is_deleted_without_the_scheduler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cloud_scheduler.scheduler_v1, "CloudSchedulerClient", _no_credentials)
    world = with_demo_workflow(workflow_id="store_clusters", scheduler_jobs=None)  # as deployed
    world.app.schedules.service.delete_workflow("demo", "store_clusters")
    assert world.store.get_workflow("demo", "store_clusters") is None
