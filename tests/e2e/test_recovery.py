"""An accepted execution is never lost: a crash before its job was submitted is recovered
when its status is read."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from tests.e2e.helpers import SEED_VALUES, Stack, new_workflow, poll
from workflows_api.bootstrap import App
from workflows_api.domain.execution.states import State
from workflows_api.service.execution_requests import ExecuteRequest

pytestmark = pytest.mark.e2e


class ProcessDied(BaseException):
    """Stands for the process being killed: nothing after it runs."""


def test_execution_whose_job_was_never_submitted_is_submitted_on_read(
    http: requests.Session, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow_id = new_workflow(http, stack)
    dying = App(stack.settings)

    def die(*args: Any, **kwargs: Any) -> Any:
        raise ProcessDied

    monkeypatch.setattr(dying.warehouse, "submit_query", die)
    with pytest.raises(ProcessDied):
        dying.admission.execute("demo", workflow_id, ExecuteRequest(SEED_VALUES))

    records = list(
        stack.app.firestore.collection("orgs/demo/executions")
        .where(filter=FieldFilter("workflow_id", "==", workflow_id))
        .stream()
    )
    assert len(records) == 1
    orphan = stack.app.store.get_execution("demo", records[0].id)
    assert orphan is not None and orphan.state == State.CREATED
    assert (
        stack.app.warehouse.get_job(
            stack.app.workflows.connection("demo", "local"), orphan.bigquery_job_id
        )
        is None
    )

    done = poll(http, stack, orphan.id)
    assert done["state"] == "succeeded", done
    assert done["bigquery_job_id"] == orphan.bigquery_job_id
