"""Trace context (tracing.py): the caller's span from `traceparent` or
`X-Cloud-Trace-Context` (anything malformed ignored, never an error), the fields of a
log line, work done later in an execution's trace, and the OpenTelemetry spans made
when export is on."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from workflows_api import logs, tracing
from workflows_api.events.pubsub import message_attributes
from workflows_api.tracing_export import SpanExporter

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"00-{TRACE}-{SPAN}-01", (TRACE, SPAN, True)),
        (f"00-{TRACE}-{SPAN}-00", (TRACE, SPAN, False)),
        (f" 00-{TRACE}-{SPAN}-01 ", (TRACE, SPAN, True)),
        # A later version may add fields: read what version 00 defines.
        (f"01-{TRACE}-{SPAN}-03-future", (TRACE, SPAN, True)),
        (f"00-{TRACE}-{SPAN}-01-extra", None),  # version 00 has exactly four fields
        (f"ff-{TRACE}-{SPAN}-01", None),
        (f"00-{'0' * 32}-{SPAN}-01", None),
        (f"00-{TRACE}-{'0' * 16}-01", None),
        (f"00-{TRACE.upper()}-{SPAN}-01", None),
        (f"00-{TRACE[:-1]}-{SPAN}-01", None),
        (f"00-{TRACE}-{SPAN}", None),
        (f"00-{TRACE}-{SPAN}-01" + "x" * 300, None),
        ("", None),
        (None, None),
        ("garbage", None),
        ("00-\n-\r-01", None),
    ],
)
def test_traceparent(header: str | None, expected: tuple[str, str, bool] | None) -> None:
    parsed = tracing.parse_traceparent(header)
    assert (parsed.ids if parsed else None) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"{TRACE}/1;o=1", (TRACE, "0000000000000001", True)),
        (f"{TRACE.upper()}/18446744073709551615;o=0", (TRACE, "f" * 16, False)),
        (f"{TRACE};o=1", (TRACE, None, True)),  # no span: one is made up
        (f"{TRACE}", (TRACE, None, False)),
        (f"{TRACE}/99999999999999999999;o=1", (TRACE, None, True)),  # past 64 bits
        ("abc123/1;o=1", None),
        (f"{'0' * 32}/1;o=1", None),
        (f"{TRACE}/x;o=1", None),
        (f"{TRACE}/1;o=1;extra", None),
        ("", None),
        (None, None),
    ],
)
def test_cloud_trace_context(header: str | None, expected: tuple | None) -> None:
    parsed = tracing.parse_cloud_trace_context(header)
    if expected is None:
        assert parsed is None
        return
    assert parsed is not None
    trace, span, sampled = expected
    assert (parsed.trace_id, parsed.sampled) == (trace, sampled)
    assert parsed.span_id == span if span else len(parsed.span_id) == 16


def test_traceparent_comes_first_and_a_malformed_one_is_passed_over() -> None:
    other = "0af7651916cd43dd8448eb211c80319c"
    both = {"traceparent": f"00-{TRACE}-{SPAN}-01", "X-Cloud-Trace-Context": f"{other}/1;o=1"}
    assert tracing.incoming(both) == tracing.TraceContext(TRACE, SPAN, True)
    broken = {**both, "traceparent": "00-nonsense"}
    found = tracing.incoming(broken)
    assert found is not None and found.trace_id == other
    assert tracing.incoming({}) is None


def test_pubsub_attributes_name_the_caller_without_case() -> None:
    data = {"message": {"attributes": {"TraceParent": f"00-{TRACE}-{SPAN}-01", "n": 1}}}
    attributes = message_attributes(data)
    assert attributes == {"TraceParent": f"00-{TRACE}-{SPAN}-01"}  # strings only
    assert tracing.from_attributes(attributes) == tracing.TraceContext(TRACE, SPAN, True)
    google = {"googclient_traceparent": f"00-{TRACE}-{SPAN}-00"}
    assert tracing.from_attributes(google) == tracing.TraceContext(TRACE, SPAN, False)
    assert message_attributes({"message": "x"}) == {} == message_attributes(None)
    assert tracing.from_attributes({"traceparent": "bad"}) is None


def _entry(message: str = "hello") -> dict:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, None, None)
    return json.loads(logs.CloudLoggingFormatter().format(record))


def test_log_lines_carry_the_requests_trace_and_its_own_span() -> None:
    tracing.configure("proj")
    caller = tracing.TraceContext(TRACE, SPAN, True)
    with tracing.request_span("GET /x", caller) as made:
        entry = _entry()
    assert made.trace_id == TRACE and made.span_id != SPAN and made.sampled
    assert entry["logging.googleapis.com/trace"] == f"projects/proj/traces/{TRACE}"
    assert entry["logging.googleapis.com/spanId"] == made.span_id
    assert entry["logging.googleapis.com/trace_sampled"] is True
    # Outside any request: no trace fields at all.
    assert not any(key.startswith("logging.googleapis.com/") for key in _entry())
    assert tracing.current() is None


def test_a_request_without_a_caller_starts_a_trace() -> None:
    with tracing.request_span("GET /x", None) as made:
        assert tracing.is_trace_id(made.trace_id) and len(made.span_id) == 16
        assert tracing.trace_id() == made.trace_id
    with tracing.request_span("GET /x", None) as other:
        assert other.trace_id != made.trace_id


def test_following_an_executions_trace_and_back() -> None:
    mine, theirs = "1" * 32, "2" * 32
    with tracing.request_span("sweep", tracing.TraceContext(mine, SPAN)):
        with tracing.following(theirs, "sweep execution"):
            assert tracing.trace_id() == theirs
            assert tracing.traceparent_in(theirs) == tracing.current().traceparent  # type: ignore[union-attr]
        assert tracing.trace_id() == mine
        before = tracing.current()
        for nothing in (None, "not a trace", mine):
            with tracing.following(nothing, "x"):
                assert tracing.current() == before
    sent = tracing.traceparent_in(theirs)
    assert sent is not None and tracing.parse_traceparent(sent).trace_id == theirs  # type: ignore[union-attr]
    assert tracing.traceparent_in(None) is None


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    tracing.install_exporter(SpanExporter(SimpleSpanProcessor(memory)))
    yield memory
    tracing.install_exporter(None)


def test_exported_spans_form_the_trace(spans: InMemorySpanExporter) -> None:
    tracing.configure("proj")
    caller = tracing.TraceContext(TRACE, SPAN, True)
    with tracing.request_span("GET /v1/x", caller) as request:
        with tracing.span("bigquery: submit job"):
            backend_span = tracing.current()
            entry = _entry()
        with tracing.following("3" * 32, "deliver webhook"):
            followed = tracing.current()
    backend, rooted, served = spans.get_finished_spans()
    assert served.name == "GET /v1/x" and served.parent is not None
    assert served.parent.span_id == int(SPAN, 16) and served.parent.is_remote
    assert format(served.context.trace_id, "032x") == TRACE == request.trace_id
    assert format(served.context.span_id, "016x") == request.span_id
    assert backend.name == "bigquery: submit job"
    assert backend.parent is not None and backend.parent.span_id == served.context.span_id
    # Log lines inside a backend call name its span.
    assert backend_span is not None
    assert entry["logging.googleapis.com/spanId"] == backend_span.span_id
    assert entry["logging.googleapis.com/spanId"] == format(backend.context.span_id, "016x")
    # Work for an execution recorded under another trace starts a part of that trace.
    assert rooted.name == "deliver webhook" and rooted.parent is None
    assert format(rooted.context.trace_id, "032x") == "3" * 32
    assert followed is not None and followed.trace_id == "3" * 32


def test_an_unsampled_caller_is_followed_but_not_recorded(spans: InMemorySpanExporter) -> None:
    caller = tracing.TraceContext(TRACE, SPAN, False)
    with tracing.request_span("GET /x", caller) as made, tracing.span("firestore: get"):
        pass
    assert made.trace_id == TRACE and not made.sampled
    assert spans.get_finished_spans() == ()


def test_spans_are_made_only_when_exported() -> None:
    with tracing.request_span("GET /x", None) as made, tracing.span("bigquery: get job"):
        assert tracing.current() == made  # no child span without an exporter


def test_export_that_cannot_start_leaves_requests_served(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_credentials(project: str) -> SpanExporter:
        raise RuntimeError("no credentials")

    monkeypatch.setattr("workflows_api.tracing_export.cloud_trace_exporter", no_credentials)
    monkeypatch.setattr(tracing, "_export_failed", False)
    tracing.configure("proj", tracing.CLOUD_TRACE)
    tracing.configure("proj", tracing.CLOUD_TRACE)  # tried once per process
    with tracing.request_span("GET /x", None) as made:
        assert tracing.current() == made
    assert tracing._exporter is None
