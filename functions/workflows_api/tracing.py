"""Trace context: which trace the work in hand belongs to, from the caller's request to
BigQuery's job and the webhook.

Each request (http/dispatch.py) and each CloudEvent function (main.py) runs in a span
(`request_span`) whose parent is the caller's: W3C `traceparent`, else Cloud's
`X-Cloud-Trace-Context`, else Pub/Sub message attributes carrying a `traceparent`;
without one it starts a trace. A context variable holds it, so every log line of that
work carries `logging.googleapis.com/trace` and `spanId` (logs.py), a new execution
keeps its trace id (its record and its BigQuery job's `wfapi_trace` label), and work
done later for that execution in other processes (completion events, the sweep,
webhook deliveries) runs in that trace again (`following`).

OpenTelemetry spans (each request, each backend call: `span`) are made and exported to
Cloud Trace only when the setting asks for it (`configure(..., "cloud-trace")`); the
SDK is imported then and only then (tracing_export.py), so a cold start without it
loads nothing but this module. Off, the ids are made here and `span` does nothing.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

# The settings' value that turns on exporting spans to Cloud Trace.
CLOUD_TRACE = "cloud-trace"
TRACE_FIELD = "logging.googleapis.com/trace"
SPAN_FIELD = "logging.googleapis.com/spanId"
SAMPLED_FIELD = "logging.googleapis.com/trace_sampled"
# Headers (HTTP; Pub/Sub message attributes, matched without case) naming the caller's span.
TRACEPARENT = "traceparent"
CLOUD_TRACE_CONTEXT = "X-Cloud-Trace-Context"
# What Google's Pub/Sub client libraries put in a message's attributes when they trace.
PUBSUB_TRACEPARENT = "googclient_traceparent"
_MAX_HEADER = 256

_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_CLOUD_TRACE = re.compile(r"([0-9a-fA-F]{32})(?:/([0-9]{1,20}))?(?:;o=([0-9]+))?")
_TRACE_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class TraceContext:
    """A span: its trace (32 lowercase hex), its own id (16 hex), whether it is sampled."""

    trace_id: str
    span_id: str
    sampled: bool = False

    @property
    def ids(self) -> tuple[str, str, bool]:
        return self.trace_id, self.span_id, self.sampled

    @property
    def traceparent(self) -> str:
        """The W3C `traceparent` naming this span as the parent of a call it makes."""
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


Ids = tuple[str, str, bool]  # a TraceContext's fields


class SpanExporter(Protocol):
    """Makes OpenTelemetry spans (tracing_export.SpanExporter), current while open."""

    def span(
        self, name: str, parent: Ids | None, *, server: bool
    ) -> AbstractContextManager[Ids]: ...

    def root_span(self, name: str, trace_id: str) -> AbstractContextManager[Ids]: ...


_current: ContextVar[TraceContext | None] = ContextVar("trace_context", default=None)
_project: str | None = None
_exporter: SpanExporter | None = None
_export_failed = False
logger = logging.getLogger(__name__)


def configure(project: str, export: str | None = None) -> None:
    """The project log lines name their traces in, and whether spans are exported
    (`CLOUD_TRACE`). The exporter is made once per process, on the first call that asks;
    if it cannot be (no credentials), the process serves on without exporting."""
    global _project, _exporter, _export_failed
    _project = project
    if export == CLOUD_TRACE and _exporter is None and not _export_failed:
        try:
            from workflows_api.tracing_export import cloud_trace_exporter

            _exporter = cloud_trace_exporter(project)
        except Exception:
            _export_failed = True
            logger.exception("spans are not exported: no Cloud Trace exporter")


def install_exporter(exporter: SpanExporter | None) -> None:
    """Use `exporter` for spans (tests: one recording them in memory); None: none."""
    global _exporter
    _exporter = exporter


def current() -> TraceContext | None:
    return _current.get()


def trace_id() -> str | None:
    """The trace of the work in hand (what a new execution records)."""
    context = _current.get()
    return context.trace_id if context else None


def is_trace_id(value: object) -> bool:
    return isinstance(value, str) and bool(_TRACE_ID.fullmatch(value)) and value != "0" * 32


def parse_traceparent(value: str | None) -> TraceContext | None:
    """The caller's span from a W3C `traceparent`; None for anything malformed (version
    ff, all-zero ids, uppercase, extra fields on version 00), never an error."""
    if not value or len(value) > _MAX_HEADER:
        return None
    found = _TRACEPARENT.fullmatch(value.strip())
    if found is None:
        return None
    version, trace, span, flags, rest = found.groups()
    if version == "ff" or (version == "00" and rest) or span == "0" * 16:
        return None
    if not is_trace_id(trace):
        return None
    return TraceContext(trace, span, bool(int(flags, 16) & 1))


def parse_cloud_trace_context(value: str | None) -> TraceContext | None:
    """The caller's span from `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=OPTIONS` (the
    span id decimal, optional); None for anything malformed."""
    if not value or len(value) > _MAX_HEADER:
        return None
    found = _CLOUD_TRACE.fullmatch(value.strip())
    if found is None:
        return None
    trace, span, options = found.groups()
    if not is_trace_id(trace.lower()):
        return None
    span_number = int(span) if span else 0
    span_id = f"{span_number:016x}" if 0 < span_number < 2**64 else new_span_id()
    return TraceContext(trace.lower(), span_id, options == "1")


class _Headers(Protocol):
    def get(self, key: str, /) -> Any: ...


def incoming(headers: _Headers) -> TraceContext | None:
    """The caller's span named by request headers (case-insensitive, as werkzeug's),
    `traceparent` first. None when none is valid."""
    return parse_traceparent(_text(headers.get(TRACEPARENT))) or parse_cloud_trace_context(
        _text(headers.get(CLOUD_TRACE_CONTEXT))
    )


def from_attributes(attributes: Mapping[str, Any]) -> TraceContext | None:
    """The caller's span named by Pub/Sub message or CloudEvent attributes."""
    lowered = {str(k).lower(): v for k, v in attributes.items()}
    for name in (TRACEPARENT, PUBSUB_TRACEPARENT):
        found = parse_traceparent(_text(lowered.get(name)))
        if found is not None:
            return found
    return parse_cloud_trace_context(_text(lowered.get(CLOUD_TRACE_CONTEXT.lower())))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


@contextmanager
def request_span(name: str, parent: TraceContext | None) -> Iterator[TraceContext]:
    """The span of one request or event, a child of the caller's `parent` (a new trace
    without one), current for the block."""
    if _exporter is not None:
        with _exporter.span(name, parent.ids if parent else None, server=True) as ids:
            made = TraceContext(*ids)
            with _made_current(made):
                yield made
        return
    made = TraceContext(
        parent.trace_id if parent else new_trace_id(),
        new_span_id(),
        parent.sampled if parent else False,
    )
    with _made_current(made):
        yield made


@contextmanager
def span(name: str) -> Iterator[None]:
    """A child span of the current one around a backend call; nothing when spans are
    not exported, or outside any request."""
    parent = _current.get()
    if _exporter is None or parent is None:
        yield
        return
    with (
        _exporter.span(name, parent.ids, server=False) as ids,
        _made_current(TraceContext(*ids)),
    ):
        yield


@contextmanager
def following(trace: str | None, name: str) -> Iterator[None]:
    """Work done for something recorded under `trace` (an execution, later and
    elsewhere: its completion event, the sweep, its webhooks): a span of that trace for
    the block. Nothing changes when `trace` is not a trace id or is the current one."""
    context = _current.get()
    if not is_trace_id(trace) or (context is not None and context.trace_id == trace):
        yield
        return
    assert trace is not None
    if _exporter is not None:
        with _exporter.root_span(name, trace) as ids, _made_current(TraceContext(*ids)):
            yield
        return
    with _made_current(TraceContext(trace, new_span_id(), context.sampled if context else False)):
        yield


def traceparent_in(trace: str | None) -> str | None:
    """A `traceparent` for a message sent on for work in `trace` (a queued webhook
    delivery): the current span when it is of that trace, else a new one in it."""
    if not is_trace_id(trace):
        return None
    assert trace is not None
    context = _current.get()
    if context is not None and context.trace_id == trace:
        return context.traceparent
    return TraceContext(trace, new_span_id(), True).traceparent


@contextmanager
def _made_current(context: TraceContext) -> Iterator[None]:
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)


def log_fields() -> dict[str, Any]:
    """The fields tying a log line to the current span (none outside a trace)."""
    context = _current.get()
    if context is None:
        return {}
    fields: dict[str, Any] = {SPAN_FIELD: context.span_id, SAMPLED_FIELD: context.sampled}
    if _project:
        fields[TRACE_FIELD] = f"projects/{_project}/traces/{context.trace_id}"
    else:
        fields["trace_id"] = context.trace_id
    return fields
