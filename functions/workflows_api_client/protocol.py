"""Everything Client and AsyncClient share, free of I/O: each API call as a `Call` (method,
path, body, how to parse the answer), error parsing, the retry policy and the polling
schedule. The two clients only send calls and sleep, each its own way.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

import workflows_api_client.models as models
from workflows_api_client.errors import WaitTimeout, error_class

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# The server waits at most this long inside an execute call before answering: short enough
# for any gateway's request deadline; the rest of a wait is polling.
SERVER_WAIT_SECONDS = 20.0
DEFAULT_WAIT_TIMEOUT = 600.0
USER_AGENT = "workflows-api-client/0.1"


class Page(Protocol):
    @property
    def next_page_token(self) -> str | None: ...


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request of the API and how to read its answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, str | int] | None = None
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Safe to send again when the connection broke after the request may have arrived.
    idempotent: bool = True
    # The server may hold the answer this long on purpose (execute's wait_seconds).
    server_wait: float = 0.0

    def request(self, timeout: httpx.Timeout) -> dict[str, Any]:
        """Keyword arguments for httpx's `request`."""
        if self.server_wait:
            read = (timeout.read or 0) + self.server_wait
            timeout = httpx.Timeout(timeout.connect, read=read, write=timeout.write, pool=None)
        return {
            "method": self.method,
            "url": self.path,
            "params": self.params,
            "json": self.json,
            "content": self.content,
            "headers": dict(self.headers),
            "timeout": timeout,
        }


def parse_body(model: type[M]) -> Callable[[httpx.Response], M]:
    def parse(response: httpx.Response) -> M:
        # Unknown fields are ignored: a newer server may add some.
        return model.model_validate(response.json(), extra="ignore")

    return parse


def _no_body(response: httpx.Response) -> None:
    return None


def raise_for_error(response: httpx.Response) -> None:
    """Raise the typed error of a refusal, with the API's code, message, field, details."""
    if response.is_success:
        return
    status = response.status_code
    code, message, field_name, details = f"http_{status}", response.reason_phrase, None, None
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        detail = models.ErrorDetail.model_validate(body["error"], extra="ignore")
        code, message, field_name, details = (
            detail.code,
            detail.message,
            detail.field,
            detail.details,
        )
    elif response.text:
        message = response.text[:500]
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    raise error_class(status)(status, code, message, field_name, details, retry_after)


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """When to send a call again, and after how long.

    429 and 503 mean the request was not processed, so any call is retried, after the
    server's Retry-After when it gives one (a Retry-After longer than `max_delay` is not
    waited for: the error is raised, carrying it). A broken connection is retried for
    idempotent calls only, unless it never connected. Backoff is exponential with jitter.
    """

    attempts: int = 5
    backoff: float = 0.5
    max_delay: float = 60.0
    statuses: frozenset[int] = frozenset({429, 503})

    def after_response(self, attempt: int, response: httpx.Response) -> float | None:
        if response.status_code not in self.statuses or attempt + 1 >= self.attempts:
            return None
        told = retry_after_seconds(response.headers.get("Retry-After"))
        if told is None:
            return self.backoff_delay(attempt)
        return told if told <= self.max_delay else None

    def after_error(
        self, attempt: int, call: Call[Any], error: httpx.TransportError
    ) -> float | None:
        never_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
        if not (call.idempotent or never_sent) or attempt + 1 >= self.attempts:
            return None
        return self.backoff_delay(attempt)

    def backoff_delay(self, attempt: int) -> float:
        ceiling = min(self.max_delay, self.backoff * 2**attempt)
        return ceiling * random.uniform(0.5, 1.0)


class PollSchedule:
    """Delays between status reads while waiting: 0.5 s growing to 5 s, within a timeout."""

    def __init__(
        self,
        timeout: float,
        first: float = 0.5,
        longest: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self._clock = clock
        self._deadline = clock() + timeout
        self._interval = first
        self._longest = longest

    def remaining(self) -> float:
        return max(0.0, self._deadline - self._clock())

    def next_delay(self, execution: models.Execution) -> float:
        """How long to sleep before the next read; WaitTimeout once the time is up."""
        remaining = self.remaining()
        if remaining <= 0:
            raise WaitTimeout(execution, self.timeout)
        delay = min(self._interval, remaining)
        self._interval = min(self._longest, self._interval * 1.5)
        return delay


# --- the API's calls ----------------------------------------------------------------------

EXECUTION = parse_body(models.Execution)
API_STATE = parse_body(models.ApiState)


def _segment(value: str) -> str:
    """An id as one path segment: nothing in it can reach another route."""
    return quote(value, safe="")


def _page_params(page_token: str | None, page_size: int | None, **more: Any) -> dict[str, Any]:
    params = {"page_token": page_token, "page_size": page_size, **more}
    return {key: value for key, value in params.items() if value is not None}


def execute(
    workflow_id: str,
    parameters: Mapping[str, Any],
    *,
    cache: bool | None,
    wait_seconds: float,
    idempotency_key: str | None,
    cache_max_age_seconds: int | None = None,
) -> Call[models.Execution]:
    body: dict[str, Any] = {"parameters": dict(parameters)}
    if cache is not None:
        body["cache"] = cache
    if cache_max_age_seconds is not None:
        body["cache_max_age_seconds"] = cache_max_age_seconds
    if wait_seconds > 0:
        body["wait_seconds"] = wait_seconds
    return Call(
        "POST",
        f"/v1/workflows/{_segment(workflow_id)}/executions",
        EXECUTION,
        json=body,
        # Every execute carries a key, so sending it again never starts a second run.
        headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())},
        idempotent=True,
        server_wait=max(0.0, wait_seconds),
    )


def get_execution(execution_id: str) -> Call[models.Execution]:
    return Call("GET", f"/v1/executions/{_segment(execution_id)}", EXECUTION)


def get_limits() -> Call[models.Limits]:
    return Call("GET", "/v1/orgs/current/limits", parse_body(models.Limits))


def cancel(execution_id: str) -> Call[models.Execution]:
    # Not idempotent: a second cancel of an execution the first one ended answers 409.
    path = f"/v1/executions/{_segment(execution_id)}/cancel"
    return Call("POST", path, EXECUTION, idempotent=False)


def results_page(
    execution_id: str,
    page_token: str | None = None,
    page_size: int | None = None,
    geography_format: str = "geojson",
) -> Call[models.Results]:
    params = _page_params(page_token, page_size, geography_format=geography_format)
    path = f"/v1/executions/{_segment(execution_id)}/results"
    return Call("GET", path, parse_body(models.Results), params=params)


def executions_page(
    workflow_id: str,
    page_token: str | None = None,
    page_size: int | None = None,
    state: str | None = None,
) -> Call[models.ExecutionList]:
    params = _page_params(page_token, page_size, state=state)
    path = f"/v1/workflows/{_segment(workflow_id)}/executions"
    return Call("GET", path, parse_body(models.ExecutionList), params=params)


def workflows_page(
    page_token: str | None = None, page_size: int | None = None
) -> Call[models.WorkflowList]:
    params = _page_params(page_token, page_size)
    return Call("GET", "/v1/workflows", parse_body(models.WorkflowList), params=params)


def get_workflow(workflow_id: str) -> Call[models.WorkflowResource]:
    path = f"/v1/workflows/{_segment(workflow_id)}"
    return Call("GET", path, parse_body(models.WorkflowResource))


def put_workflow(
    workflow_id: str, definition: Mapping[str, Any] | str, connection: str | None = None
) -> Call[models.SavedWorkflow]:
    """A definition as a mapping travels as JSON, as text as YAML (JSON text is YAML too)."""
    path = f"/v1/workflows/{_segment(workflow_id)}"
    params = {"connection": connection} if connection else None
    parse = parse_body(models.SavedWorkflow)
    if isinstance(definition, str):
        headers = {"Content-Type": "application/yaml"}
        content = definition.encode("utf-8")
        return Call("PUT", path, parse, params=params, content=content, headers=headers)
    return Call("PUT", path, parse, params=params, json=dict(definition))


def delete_workflow(workflow_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/workflows/{_segment(workflow_id)}", _no_body)


def workflow_sql(workflow_id: str) -> Call[models.CompiledSql]:
    path = f"/v1/workflows/{_segment(workflow_id)}/sql"
    return Call("GET", path, parse_body(models.CompiledSql))


def api_state(workflow_id: str) -> Call[models.ApiState]:
    return Call("GET", f"/v1/workflows/{_segment(workflow_id)}/api", API_STATE)


def enable_api(workflow_id: str) -> Call[models.ApiState]:
    return Call("POST", f"/v1/workflows/{_segment(workflow_id)}/api", API_STATE, idempotent=False)


def update_api(workflow_id: str) -> Call[models.ApiState]:
    return Call("PUT", f"/v1/workflows/{_segment(workflow_id)}/api", API_STATE)


def disable_api(workflow_id: str) -> Call[models.ApiState]:
    return Call("DELETE", f"/v1/workflows/{_segment(workflow_id)}/api", API_STATE)


def http_settings(url: str, token: str, timeout: float) -> dict[str, Any]:
    """What both httpx clients are built with."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url: expected http:// or https://, got {url!r}")
    return {
        "base_url": url.rstrip("/"),
        "headers": {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
        "timeout": httpx.Timeout(timeout),
    }


def first_wait(wait: bool, timeout: float) -> float:
    """How long execute asks the server to wait before answering."""
    return min(timeout, SERVER_WAIT_SECONDS) if wait else 0.0
