"""WFAPI_WEBHOOKS_ALLOW_HTTP is for the local stack and tests: `make run` turns it on,
and a deployed function (Cloud Run and Cloud Functions set K_SERVICE) refuses to start
with it rather than send webhooks over plain HTTP or to loopback."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from devstack import run
from workflows_api.config import Settings

DEPLOYED = {"K_SERVICE": "execute", "K_REVISION": "execute-00007-xuz"}


@pytest.mark.parametrize("value", ["1", "true", "false", "0", "yes"])
def test_a_deployed_function_refuses_the_setting_whatever_its_value(value: str) -> None:
    with pytest.raises(ValueError, match=r"WFAPI_WEBHOOKS_ALLOW_HTTP .* refused on Cloud Run") as e:
        Settings.from_env({**DEPLOYED, "WFAPI_WEBHOOKS_ALLOW_HTTP": value})
    assert "K_SERVICE='execute'" in str(e.value)
    assert "Remove it" in str(e.value)


def test_a_deployed_function_without_it_starts_https_only() -> None:
    assert Settings.from_env(DEPLOYED).webhooks_allow_http is False
    assert (
        Settings.from_env({**DEPLOYED, "WFAPI_WEBHOOKS_ALLOW_HTTP": ""}).webhooks_allow_http
        is False
    )


@pytest.mark.parametrize(("value", "allowed"), [("1", True), ("true", True), ("0", False)])
def test_locally_the_setting_is_read_as_before(value: str, allowed: bool) -> None:
    env = {"WFAPI_WEBHOOKS_ALLOW_HTTP": value}
    assert Settings.from_env(env).webhooks_allow_http is allowed


def test_an_empty_k_service_is_not_a_deployment() -> None:
    env = {"K_SERVICE": "", "WFAPI_WEBHOOKS_ALLOW_HTTP": "1"}
    assert Settings.from_env(env).webhooks_allow_http is True


def test_make_run_turns_it_on_for_every_function(monkeypatch: pytest.MonkeyPatch) -> None:
    class Running:
        def env(self) -> dict[str, str]:
            return {"GOOGLE_CLOUD_PROJECT": "p"}

    env = run.function_env(Running())  # type: ignore[arg-type]
    assert Settings.from_env(env).webhooks_allow_http is True


def test_make_run_says_webhooks_may_go_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(run, "console", Console(file=out, width=400))
    run.print_stack(
        {
            "base_url": "http://127.0.0.1:8080",
            "workflow_id": "store_clusters",
            "token": "wfa_0123456789abcdef_" + "s" * 43,
            "pubsub_emulator_host": "127.0.0.1:8085",
            "pubsub_topic": "projects/p/topics/t",
            "sweep_seconds": 60.0,
        }
    )
    [said] = [line for line in out.getvalue().splitlines() if line.startswith("Webhooks:")]
    assert "WFAPI_WEBHOOKS_ALLOW_HTTP=1" in said and "http://127.0.0.1:" in said
    assert "deployed functions refuse" in said
