"""The web server's logs never keep a query string (it may carry CARTO's access_token)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from workflows_api import logs

TOKEN = "wfa_0123456789abcdef_" + "s" * 43


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def server_log() -> Iterator[tuple[logging.Logger, Capture]]:
    logs.configure()
    capture = Capture()
    logger = logging.getLogger("gunicorn.error")
    logger.addHandler(capture)
    yield logger, capture
    logger.removeHandler(capture)


def test_a_failed_request_is_logged_without_its_query_string(
    server_log: tuple[logging.Logger, Capture],
) -> None:
    logger, capture = server_log
    uri = f"/v3/sql/local/job?query=CALL%20x&access_token={TOKEN}"
    logger.error("Error handling request %s %s", "GET", uri)
    logger.error(f"Invalid request line 'GET {uri} HTTP/1.1'")
    assert capture.lines == [
        "Error handling request GET /v3/sql/local/job?<query redacted>",
        "Invalid request line 'GET /v3/sql/local/job?<query redacted> HTTP/1.1'",
    ]


def test_access_log_atoms_are_redacted() -> None:
    logs.configure()
    record = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        '"%(r)s" %(q)s %(s)s',
        None,
        None,
    )
    record.args = {
        "r": f"GET /v3/sql/local/job?access_token={TOKEN} HTTP/1.1",
        "q": "a=1",
        "s": 200,
    }
    assert logging.getLogger("gunicorn.access").filter(record)
    assert TOKEN not in record.getMessage()
    assert (
        record.getMessage()
        == '"GET /v3/sql/local/job?<query redacted> HTTP/1.1" <query redacted> 200'
    )


def test_installing_twice_adds_one_filter() -> None:
    logs.redact_server_logs()
    logs.redact_server_logs()
    for name in logs.SERVER_LOGGERS:
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, logs.QueryStringRedactor) for f in filters) == 1
