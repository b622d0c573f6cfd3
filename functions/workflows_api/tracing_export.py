"""OpenTelemetry spans exported to Cloud Trace: imported by tracing.configure only when
the setting turns export on (WFAPI_TRACE_EXPORT=cloud-trace), never on a cold start
without it.

Spans are batched and exported from a background thread (BatchSpanProcessor), so no
request waits on Cloud Trace; a span ended just before an instance is throttled goes
out with the next batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace import export as sdk_export
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

# A span as tracing.py knows it: (trace id, span id, sampled); tracing.TraceContext's
# fields (this module imports nothing of the package, which imports it).
Ids = tuple[str, str, bool]

SERVICE_NAME = "workflows-api"
# The trace a root span made by `root_span` joins (an execution's, recorded earlier).
_root_trace: ContextVar[int | None] = ContextVar("root_trace", default=None)


class _IdGenerator(RandomIdGenerator):
    """Random ids, except the trace id of a root span `root_span` asks for."""

    def generate_trace_id(self) -> int:
        return _root_trace.get() or super().generate_trace_id()


class SpanExporter:
    """Makes spans with one tracer provider; each span is current (in OpenTelemetry's
    context too) while its block runs, so backend calls become its children."""

    def __init__(self, processor: sdk_export.SpanProcessor) -> None:
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": SERVICE_NAME}), id_generator=_IdGenerator()
        )
        self.provider.add_span_processor(processor)
        self._tracer = self.provider.get_tracer("workflows_api")

    @contextmanager
    def span(self, name: str, parent: Ids | None, *, server: bool) -> Iterator[Ids]:
        """A request's span (`server`: a child of the caller's `parent`, a new trace
        without one) or a backend call's (a child of the current span)."""
        if server:
            remote = otel_context.Context()
            if parent is not None:
                trace_id, span_id, sampled = parent
                flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
                caller = SpanContext(int(trace_id, 16), int(span_id, 16), True, flags)
                remote = trace.set_span_in_context(NonRecordingSpan(caller), remote)
            kind, context = SpanKind.SERVER, remote
        else:
            kind, context = SpanKind.CLIENT, None
        with self._tracer.start_as_current_span(name, context=context, kind=kind) as made:
            yield _ids(made)

    @contextmanager
    def root_span(self, name: str, trace_id: str) -> Iterator[Ids]:
        """A span starting a part of the trace `trace_id` that has no parent here."""
        token = _root_trace.set(int(trace_id, 16))
        try:
            started = self._tracer.start_span(name, context=otel_context.Context())
        finally:
            _root_trace.reset(token)
        with trace.use_span(started, end_on_exit=True):
            yield _ids(started)


def _ids(span: trace.Span) -> Ids:
    made = span.get_span_context()
    return format(made.trace_id, "032x"), format(made.span_id, "016x"), made.trace_flags.sampled


def cloud_trace_exporter(project: str) -> SpanExporter:
    """Spans of this process, batched to Cloud Trace in `project`."""
    from opentelemetry.exporter.cloud_trace import CloudTraceSpanExporter

    return SpanExporter(sdk_export.BatchSpanProcessor(CloudTraceSpanExporter(project_id=project)))
