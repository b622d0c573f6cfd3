"""Structured JSON logs that Cloud Logging understands.

Cloud Functions forward stdout lines; a JSON line with `severity` and `message`
becomes a structured entry, and `logging.googleapis.com/trace` ties it to the
request's trace. Nothing here ever logs request headers or bodies, so tokens
cannot leak through logs.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace", default=None)

_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


def set_trace(cloud_trace_header: str | None, project: str) -> None:
    """Remember the trace of the current request (from `X-Cloud-Trace-Context`)."""
    if not cloud_trace_header:
        _trace.set(None)
        return
    trace_id = cloud_trace_header.split("/", 1)[0]
    _trace.set(f"projects/{project}/traces/{trace_id}" if trace_id else None)


class CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        trace = _trace.get()
        if trace:
            entry["logging.googleapis.com/trace"] = trace
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, CloudLoggingFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter())
    root.handlers = [handler]
    root.setLevel(level)


def log(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    """Log `message` with extra structured fields (never pass secrets here)."""
    logger.log(level, message, extra={"fields": fields})
