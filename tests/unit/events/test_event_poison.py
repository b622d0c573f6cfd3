"""The CloudEvent entry points (functions/main.py) acknowledge what no redelivery can fix
and raise only for a transient backend failure (issue 13 item 6)."""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from cloudevents.http import CloudEvent

from tests.support.bigquery_audit_events import cloud_event_attributes, job_change_entry
from workflows_api.config import Settings
from workflows_api.service.errors import BackendUnavailable, ServiceError

TOPIC = "projects/demo-project/topics/workflows-demo"


@pytest.fixture(scope="module")
def main() -> ModuleType:
    path = Path(__file__).parents[3] / "functions" / "main.py"
    spec = importlib.util.spec_from_file_location("wfapi_main_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Raising:
    """A service whose every call raises `error` (and counts the calls)."""

    def __init__(self, error: Exception) -> None:
        self.error, self.calls = error, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        raise self.error


def app_with(monkeypatch: pytest.MonkeyPatch, main: ModuleType, error: Exception) -> Raising:
    raising = Raising(error)
    app = SimpleNamespace(
        settings=Settings(),
        job_completions=SimpleNamespace(handle_job_event=raising),
        pubsub_triggers=SimpleNamespace(handle=raising),
    )
    monkeypatch.setattr(main, "get_app", lambda: app)
    return raising


def job_event() -> CloudEvent:
    labels = {"wfapi_org": "demo", "wfapi_execution": "e1"}
    entry = job_change_entry("demo-project", "wfapi_exec_e1", after="DONE", labels=labels)
    return CloudEvent(cloud_event_attributes(entry), entry)


def pubsub_event(data: Any) -> CloudEvent:
    attributes = {
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "source": f"//pubsub.googleapis.com/{TOPIC}",
    }
    return CloudEvent(attributes, data)


@pytest.mark.parametrize(
    "error",
    [KeyError("a bug"), ServiceError("not_found", "connection_not_found", "gone")],
    ids=["unexpected", "refused"],
)
def test_a_job_event_that_would_fail_again_is_acknowledged(
    monkeypatch: pytest.MonkeyPatch, main: ModuleType, error: Exception
) -> None:
    raising = app_with(monkeypatch, main, error)
    assert main.bigquery_job_completed(job_event()) is None
    assert raising.calls == 1


@pytest.mark.parametrize(
    "error",
    [BackendUnavailable("firestore", "down"), ServiceError("unavailable", "x", "later")],
    ids=["backend", "refusal"],
)
def test_a_transient_failure_raises_so_the_event_comes_again(
    monkeypatch: pytest.MonkeyPatch, main: ModuleType, error: Exception
) -> None:
    app_with(monkeypatch, main, error)
    with pytest.raises(type(error)):
        main.bigquery_job_completed(job_event())


def test_an_unreadable_job_event_is_acknowledged(
    monkeypatch: pytest.MonkeyPatch, main: ModuleType
) -> None:
    raising = app_with(monkeypatch, main, KeyError("never called"))
    event = job_event()
    event.data = {"protoPayload": {"metadata": {"jobChange": {"job": ["not", "a", "job"]}}}}
    assert main.bigquery_job_completed(event) is None
    assert raising.calls == 0


def test_an_unreadable_pubsub_event_is_acknowledged(
    monkeypatch: pytest.MonkeyPatch, main: ModuleType
) -> None:
    raising = app_with(monkeypatch, main, KeyError("never called"))
    # Data that is not base64 and holds a lone surrogate: no message can be read from it.
    event = pubsub_event({"message": {"messageId": "1", "data": "\ud800"}})
    assert main.pubsub_trigger(event) is None
    assert raising.calls == 0
    readable = pubsub_event({"message": {"messageId": "2", "data": base64.b64encode(b"{}")}})
    with pytest.raises(KeyError):  # readable: the service is called (it records failures)
        main.pubsub_trigger(readable)
    assert raising.calls == 1
