"""`make run` prints the two variables that point wfapi and the SDK at the local stack."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from devstack import run


def test_make_run_prints_wfapi_url_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(run, "console", Console(file=out, width=100))
    token = "wfa_0123456789abcdef_" + "s" * 43
    run.print_stack(
        {
            "base_url": "http://127.0.0.1:8080",
            "workflow_id": "store_clusters",
            "token": token,
            "pubsub_emulator_host": "127.0.0.1:8085",
            "pubsub_topic": "projects/p/topics/t",
            "sweep_seconds": 60.0,
        }
    )
    lines = out.getvalue().splitlines()
    assert "  export WFAPI_URL=http://127.0.0.1:8080" in lines
    assert f"  export WFAPI_TOKEN={token}" in lines  # whole, on one line: ready to paste
