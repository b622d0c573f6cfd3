"""`make run`'s sweep interval (devstack/scheduler_standin.py): WFAPI_LOCAL_SWEEP_SECONDS,
checked before anything starts, and said when the stack is up."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from devstack import run
from devstack.prerequisites import StackError
from devstack.scheduler_standin import DEFAULT_SWEEP_SECONDS, sweep_seconds


def test_the_sweep_runs_every_minute_unless_told() -> None:
    assert sweep_seconds({}) == DEFAULT_SWEEP_SECONDS == 60
    assert sweep_seconds({"WFAPI_LOCAL_SWEEP_SECONDS": " "}) == 60


@pytest.mark.parametrize(("raw", "seconds"), [("10", 10.0), ("0.5", 0.5), (" 300 ", 300.0)])
def test_an_interval_is_taken_as_given(raw: str, seconds: float) -> None:
    assert sweep_seconds({"WFAPI_LOCAL_SWEEP_SECONDS": raw}) == seconds


@pytest.mark.parametrize("raw", ["0", "-5", "soon", "nan", "inf", "1e999"])
def test_a_bad_interval_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(StackError, match="WFAPI_LOCAL_SWEEP_SECONDS must be a positive"):
        sweep_seconds({"WFAPI_LOCAL_SWEEP_SECONDS": raw})


def test_make_run_says_that_the_sweep_runs_and_how_often(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(run, "console", Console(file=out, width=200))
    run.print_stack(
        {
            "base_url": "http://127.0.0.1:8080",
            "workflow_id": "store_clusters",
            "token": "wfa_0123456789abcdef_" + "s" * 43,
            "pubsub_emulator_host": "127.0.0.1:8085",
            "pubsub_topic": "projects/p/topics/t",
            "sweep_topic": "projects/p/topics/wfapi-sweep",
            "sweep_seconds": 15.0,
        }
    )
    said = [line for line in out.getvalue().splitlines() if line.startswith("The sweep runs")]
    assert said == [
        "The sweep runs every 15 s (WFAPI_LOCAL_SWEEP_SECONDS; deployed: every 5 minutes): "
        "it submits the executions left `created` for over 60 s."
    ]
