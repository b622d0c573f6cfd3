"""Structured JSON logs that Cloud Logging understands.

Cloud Functions forward stdout lines; a JSON line with `severity` and `message`
becomes a structured entry, and `logging.googleapis.com/trace` and `spanId` tie it to
the span of the work in hand (tracing.py). Nothing here ever logs request headers or
bodies, so tokens cannot leak through logs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from workflows_api import tracing

_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


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
        entry.update(tracing.log_fields())
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# functions-framework serves with gunicorn (locally and on Cloud Functions). It writes
# no access log at its default settings, but its error log names the full URI of a
# request whose handling failed outside Flask, and a query string may hold a token
# (CARTO's `access_token`). Those loggers drop query strings.
SERVER_LOGGERS = ("gunicorn.error", "gunicorn.access")
_QUERY_STRING = re.compile(r"\?[^\s'\"]*")
REDACTED_QUERY = "?<query redacted>"


def redact_query_strings(text: str) -> str:
    return _QUERY_STRING.sub(REDACTED_QUERY, text)


class QueryStringRedactor(logging.Filter):
    """Removes query strings from a server log record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query_strings(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query_strings(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            # An access log's atoms: `q` is the bare query string, others may hold URLs.
            record.args = {
                key: (REDACTED_QUERY[1:] if key == "q" and value else redact_query_strings(value))
                if isinstance(value, str)
                else value
                for key, value in record.args.items()
            }
        return True


def redact_server_logs() -> None:
    """Install QueryStringRedactor on the web server's loggers (idempotent)."""
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        if not any(isinstance(f, QueryStringRedactor) for f in server_logger.filters):
            server_logger.addFilter(QueryStringRedactor())


def configure(level: str = "INFO") -> None:
    redact_server_logs()
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
