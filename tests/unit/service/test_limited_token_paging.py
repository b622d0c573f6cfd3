"""WorkflowService.list filters a limited caller's workflows before paging (issue 23,
finding 7): its token is the last id the caller may see."""

from __future__ import annotations

from tests.support.apps import DEMO, on_fakes

ALL = ("a-hidden", "b-seen", "c-hidden", "e-seen", "f-hidden")


def test_the_service_filters_before_paging() -> None:
    fakes = on_fakes()
    for workflow_id in ALL:
        fakes.app.workflows.put("demo", workflow_id, DEMO)
    page, token = fakes.app.workflows.list("demo", 1, None, ("e-seen", "b-seen"))
    assert ([r.id for r in page], token) == (["b-seen"], "b-seen")
    page, token = fakes.app.workflows.list("demo", 1, token, ("e-seen", "b-seen"))
    assert ([r.id for r in page], token) == (["e-seen"], None)
