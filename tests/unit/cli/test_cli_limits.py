"""`wfapi limits set|show` on fakes: setting one limit keeps the other, a raised limit
submits queued executions at once, show reports the use, and bad values are refused
with exit code 2 and nothing changed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.apps import GOOD, OnFakes, with_demo_workflow
from workflows_api import cli
from workflows_api.domain.execution.states import State
from workflows_api.service.execution_requests import ExecuteRequest


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> OnFakes:
    world = with_demo_workflow()
    monkeypatch.setattr(cli, "get_app", lambda: world.app)
    return world


def wfapi(*args: str) -> Any:
    # Wide, so typer's boxed usage errors keep their sentences on one line.
    return CliRunner().invoke(cli.app, ["limits", *args], env={"COLUMNS": "200"})


def show(org: str = "demo") -> dict[str, Any]:
    result = wfapi("show", "--org", org)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_show_reports_the_defaults_of_an_org_never_set(world: OnFakes) -> None:
    assert show("other") == {
        "org": "other",
        "max_concurrent": 20,
        "max_queued": 10000,
        "submitted": 0,
        "queued": 0,
        "submitted_by_workflow": {},
    }


def test_set_one_limit_keeps_the_other(world: OnFakes) -> None:
    result = wfapi("set", "--org", "demo", "--max-concurrent", "3")
    assert result.exit_code == 0, result.output
    assert result.output == "org demo: max_concurrent 3, max_queued 10000\n"
    result = wfapi("set", "--org", "demo", "--max-queued", "50")
    assert result.output == "org demo: max_concurrent 3, max_queued 50\n"
    assert (show()["max_concurrent"], show()["max_queued"]) == (3, 50)
    assert show("other")["max_concurrent"] == 20  # per org


def test_a_raised_limit_submits_queued_executions_at_once(world: OnFakes) -> None:
    assert wfapi("set", "--org", "demo", "--max-concurrent", "1").exit_code == 0
    for i in range(3):
        world.clock.advance(0.01)
        request = ExecuteRequest({**GOOD, "buffer_radius": 500 + i})
        world.app.admission.execute("demo", "clusters", request)
    assert {k: show()[k] for k in ("submitted", "queued")} == {"submitted": 1, "queued": 2}

    result = wfapi("set", "--org", "demo", "--max-concurrent", "3")
    assert result.exit_code == 0, result.output
    assert "2 queued executions submitted" in result.output
    report = show()
    assert (report["submitted"], report["queued"]) == (3, 0)
    assert report["submitted_by_workflow"] == {"clusters": 3}
    # A status read records BigQuery's answer (the first one's insert answer is not).
    read = [world.app.queries.get("demo", e.id) for e in list(world.store.executions.values())]
    assert {e.state for e in read} == {State.RUNNING}
    assert len(world.warehouse.jobs) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--max-concurrent", "0"), "Invalid value for '--max-concurrent'"),
        (("--max-concurrent", "1001"), "max_concurrent: at most 1000"),
        (("--max-queued", "0"), "Invalid value for '--max-queued'"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(
    world: OnFakes, args: tuple[str, ...], message: str
) -> None:
    result = wfapi("set", "--org", "demo", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert (show()["max_concurrent"], show()["max_queued"]) == (20, 10000)
