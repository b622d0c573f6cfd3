"""`make run`'s sweep interval (devstack/scheduler_standin.py): WFAPI_LOCAL_SWEEP_SECONDS,
checked before anything starts."""

from __future__ import annotations

import pytest

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
